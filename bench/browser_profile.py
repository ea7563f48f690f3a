"""Where the time of `e` and of a save goes inside Chromium: a performance trace, summed.

Run with `python -m bench.browser_profile`. Same set-up as bench/browser.py (the app under
gunicorn, 50 artifacts, the system Chromium, the row focused for DWELL_MS so its form is
fetched ahead), but each of ROUNDS rounds records a Chromium trace (the DevTools timeline
categories) from just before `e` to the saved row's focus. In each trace, on the renderer's
main thread, between the keydown and the focusin that ends each step:

- `main_thread_ms`: the time the main thread was busy, by activity (self time of each trace
  event: script, HTML parsing, style recalculation, layout, paint, ...);
- `idle_ms`: the rest, the main thread waiting: for the network (the save's request), for
  the next frame, or for the browser process (the input events themselves);
- the time from the keydown to each htmx event, as bench/browser.py reports it.

Medians over the rounds. A trace costs a little time of its own, so these totals run a few
milliseconds above bench/browser.py's; it is the split that this benchmark is for.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict

from bench import common
from bench.browser import DWELL_MS, ELAPSED, TIMEOUT_MS, first_row_focused, served_browser

ROUNDS = 15
CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute",
              "blink.user_timing", "toplevel", "blink"]
# Trace event names, grouped as DevTools' summary groups them; the "blink" category's own
# names (Document::recalcStyle, LocalFrameView::performLayout, ...) by what they name.
GROUPS = (
    ("html parse", ("ParseHTML", "ParseAuthorStyleSheet")),
    ("style", ("UpdateLayoutTree", "RecalculateStyles", "Style", "style", "Document::")),
    ("layout", ("Layout", "layout", "InlineNode::", "IntersectionObserver")),
    ("paint", ("Paint", "Commit", "Raster", "Layerize", "UpdateLayer", "Composit")),
    ("script", ("FunctionCall", "EventDispatch", "TimerFire", "FireAnimationFrame", "v8.",
                "V8.", "RunMicrotasks", "XHR", "EvaluateScript", "Editor::")),
    ("network", ("ResourceFetcher::", "ResponseBodyLoader::", "ResourceLoader")),
)


def _group(name: str) -> str:
    """The first group one of whose patterns `name` contains; "other" (task and message
    handling: RunTask, Receive mojo message, ...) otherwise."""
    for group, patterns in GROUPS:
        if any(p in name for p in patterns):
            return group
    return "other"


def main_thread(events: list[dict]) -> tuple[int, int]:
    """(pid, tid) of the page's renderer main thread."""
    for event in events:
        if event.get("name") == "thread_name" and event["args"].get("name") == "CrRendererMain":
            pid, tid = event["pid"], event["tid"]
            if any(e.get("pid") == pid and e.get("name") == "EventDispatch"
                   and e.get("args", {}).get("data", {}).get("type") == "keydown"
                   for e in events):
                return pid, tid
    raise RuntimeError("no renderer main thread with a keydown in the trace")


def busy_by_group(events: list[dict], start: float, end: float) -> dict[str, float]:
    """Self time (ms) of complete events on one thread within [start, end] (µs), by group.

    Events nest (a RunTask holds an EventDispatch holding a FunctionCall ...): each event's
    self time is its duration minus its children's, so nothing is counted twice; the time of
    a bare RunTask with nothing inside it is counted as "other"."""
    spans = sorted(((e["ts"], e["ts"] + e.get("dur", 0), e["name"]) for e in events
                    if e.get("ph") == "X" and e.get("dur") and e["ts"] < end
                    and e["ts"] + e["dur"] > start), key=lambda s: (s[0], -s[1]))
    totals: dict[str, float] = defaultdict(float)
    stack: list[list] = []  # [end, name, clipped duration, children's time]

    def close(item):
        self_us = max(0.0, item[2] - item[3])
        totals[_group(item[1])] += self_us / 1000
        if stack:
            stack[-1][3] += item[2]

    for s_start, s_end, name in spans:
        while stack and stack[-1][0] <= s_start:
            close(stack.pop())
        clipped = min(s_end, end) - max(s_start, start)
        stack.append([s_end, name, clipped, 0.0])
    while stack:
        close(stack.pop())
    return dict(totals)


def split(trace: bytes, marks: list[str]) -> list[dict]:
    """For each consecutive pair of user-timing marks: busy time by group and idle time."""
    data = json.loads(trace)
    events = data["traceEvents"] if isinstance(data, dict) else data
    pid, tid = main_thread(events)
    own = [e for e in events if e.get("pid") == pid and e.get("tid") == tid]
    at = {}
    for e in events:
        if e.get("pid") == pid and e.get("name") in marks and e.get("ph") in ("R", "I", "n", "b"):
            at.setdefault(e["name"], e["ts"])
    steps = []
    for first, second in zip(marks, marks[1:], strict=False):
        if first not in at or second not in at:
            raise RuntimeError(f"mark {first} or {second} missing from the trace")
        busy = busy_by_group(own, at[first], at[second])
        total = (at[second] - at[first]) / 1000
        steps.append({"total_ms": total, "busy_ms": busy,
                      "idle_ms": max(0.0, total - sum(busy.values()))})
    return steps


# Marks from inside the page: the keydown of `e`, the title's focus, the keydown of the save
# (Ctrl+Enter) and the saved row's focus.
MARKS = """
([rowId]) => {
  window.__marks = [];
  const mark = (name) => { if (!window.__marks.includes(name)) { performance.mark(name);
                                                               window.__marks.push(name); } };
  window.__markDown = (event) => {
    mark(event.key === "e" ? "e-down" : event.key === "Enter" ? "save-down" : "other-down");
  };
  window.__markFocus = (event) => {
    if (event.target.name === "title") { mark("title-focus"); }
    if (event.target.id === rowId && window.__marks.includes("save-down")) { mark("row-focus"); }
  };
  if (!window.__marksOn) {
    window.addEventListener("keydown", (e) => window.__markDown(e), true);
    document.addEventListener("focusin", (e) => window.__markFocus(e), true);
    window.__marksOn = true;
  }
}
"""
STEPS = ["e-down", "title-focus", "save-down", "row-focus"]


def rounds(browser, served) -> list[dict]:
    context, page, row_id = first_row_focused(browser, served)
    results = []
    for _ in range(ROUNDS):
        page.evaluate(MARKS, [row_id])
        page.wait_for_timeout(DWELL_MS)
        browser.start_tracing(page=page, categories=CATEGORIES)
        page.keyboard.press("e")
        page.wait_for_function("() => window.__marks.includes('title-focus')", timeout=TIMEOUT_MS)
        edit_phases = page.evaluate(ELAPSED, ["title", row_id])
        page.keyboard.press("Control+Enter")
        page.wait_for_function("() => window.__marks.includes('row-focus')", timeout=TIMEOUT_MS)
        save_phases = page.evaluate(ELAPSED, ["row", row_id])
        trace = browser.stop_tracing()
        edit_step, _between, save_step = split(trace, STEPS)
        results.append({"edit": {**edit_step, "phases": edit_phases},
                        "save": {**save_step, "phases": save_phases}})
    context.close()
    return results


def _median_split(steps: list[dict]) -> dict:
    groups = sorted({g for s in steps for g in s["busy_ms"]})
    phase_names = ("request_sent", "response_in", "swapped", "settled")
    phases = {}
    for name in phase_names:
        values = [s["phases"][name] for s in steps if s["phases"] and s["phases"][name] is not None]
        phases[name] = round(statistics.median(values), 1) if values else None
    return {
        "total_ms": round(statistics.median(s["total_ms"] for s in steps), 1),
        "idle_ms": round(statistics.median(s["idle_ms"] for s in steps), 1),
        "busy_ms": {g: round(statistics.median(s["busy_ms"].get(g, 0.0) for s in steps), 1)
                    for g in groups},
        "median_ms_from_key_to": phases,
    }


def run() -> dict:
    with served_browser() as (served, browser):
        found = rounds(browser, served)
        version = browser.version
    result = {"chromium": version, "rounds": ROUNDS, "dwell_ms": DWELL_MS,
              "edit": _median_split([r["edit"] for r in found]),
              "save": _median_split([r["save"] for r in found])}
    common.write_result("browser-profile", result)
    return result


def main() -> None:
    result = run()
    print(f"Chromium {result['chromium']}, {result['rounds']} traced rounds (medians)")
    for step in ("edit", "save"):
        s = result[step]
        busy = ", ".join(f"{g} {ms}" for g, ms in sorted(s["busy_ms"].items(), key=lambda x: -x[1]))
        print(f"{step}: {s['total_ms']} ms = idle {s['idle_ms']} + busy ({busy});"
              f" from the key to: {s['median_ms_from_key_to']}")


if __name__ == "__main__":
    main()
