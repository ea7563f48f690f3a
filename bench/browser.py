"""In a real browser: key-to-focus latency, and what a cold page load transfers.

Run with `python -m bench.browser`. Playwright drives the system Chromium (/usr/bin/chromium or
$CHROMIUM_PATH; no browser download) against the app under gunicorn (bench/server.py), signed
in with the session cookie of a real login, on a portfolio of 50 artifacts.

- Keys: TRIES rounds on the first row: press `e` and wait for the edit form's title field to
  be focused, then press Ctrl+Enter and wait for the saved row to be focused. Every other
  round the row keeps focus for DWELL_MS before `e`, as a person reading it would, so the
  form fetched ahead (SPEC §8) is there; in the other rounds `e` follows the save at once and
  the form is fetched after the key. The time of each is measured inside the page, from the
  keydown event to the focusin event on the element that should get focus (so Playwright's
  own polling adds nothing); it includes any htmx request, the server, the swap and the
  settle. p50 and p95, and the median time from the key to each htmx event.
- Cold load: a fresh browser context (empty cache) opens /portfolio; every request is
  recorded with its transferred size (headers + body, as Chromium reports it, compressed as
  the app served it to Chromium's Accept-Encoding) and its encoding; and the page's HTML size
  and DOM size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import sync_playwright

from bench import common
from bench.server import served_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync"]
TRIES = 50
TIMEOUT_MS = 10_000
DWELL_MS = 300  # focus or hover before a key or click: longer than the app's 120 ms preload delay

DOM_NODES = """
() => {
  const walker = document.createTreeWalker(document, NodeFilter.SHOW_ALL);
  let n = 0;
  while (walker.nextNode()) { n++; }
  return {elements: document.getElementsByTagName("*").length, nodes: n};
}
"""

# Installed in the page through Playwright (the CDP, which the page's CSP does not govern).
PROBE = """
() => {
  window.__bench = {down: 0, focus: [], htmx: []};
  window.addEventListener("keydown", () => { window.__bench.down = performance.now(); }, true);
  for (const name of ["htmx:beforeRequest", "htmx:afterRequest", "htmx:afterSwap",
                      "htmx:afterSettle"]) {
    document.addEventListener(name, () => {
      window.__bench.htmx.push({t: performance.now(), name});
    }, true);
  }
  document.addEventListener("focusin", (event) => {
    const t = event.target;
    window.__bench.focus.push({t: performance.now(), id: t.id || "", name: t.name || ""});
  }, true);
}
"""
ELAPSED = """
([kind, rowId]) => {
  const b = window.__bench;
  const hit = b.focus.find((f) => f.t >= b.down && (kind === "title"
      ? f.name === "title" : f.id === rowId));
  if (!hit) { return null; }
  // Where the time went: the first of each htmx event between the key and the focus.
  const phase = (name) => {
    const e = b.htmx.find((h) => h.name === name && h.t >= b.down && h.t <= hit.t);
    return e ? e.t - b.down : null;
  };
  return {total: hit.t - b.down, request_sent: phase("htmx:beforeRequest"),
          response_in: phase("htmx:afterRequest"), swapped: phase("htmx:afterSwap"),
          settled: phase("htmx:afterSettle")};
}
"""


def _cookie(served, base: str) -> list[dict]:
    name, _, value = served.cookie.partition("=")
    return [{"name": name, "value": value, "url": base}]


def cold_load(browser, served) -> dict:
    context = browser.new_context()
    context.add_cookies(_cookie(served, served.base))
    page = context.new_page()
    records = []

    def on_finished(request):
        response = request.response()
        sizes = request.sizes()
        body = response.body() if response else b""
        records.append({
            "url": request.url.replace(served.base, ""),
            "status": response.status if response else None,
            "encoding": response.headers.get("content-encoding") if response else None,
            "transferred": sizes["responseHeadersSize"] + sizes["responseBodySize"],
            "headers": sizes["responseHeadersSize"],
            "body": len(body),
        })

    page.on("requestfinished", on_finished)
    response = page.goto(served.base + "/portfolio", wait_until="networkidle")
    page.wait_for_timeout(500)  # late requests (a favicon) are counted too
    dom = page.evaluate(DOM_NODES)
    html_bytes = len(response.body())
    context.close()
    return {
        "requests": len(records),
        "transferred_bytes": sum(r["transferred"] for r in records),
        "html_bytes": html_bytes, "dom_elements": dom["elements"], "dom_nodes": dom["nodes"],
        "detail": records,
    }


def first_row_focused(browser, served):
    """A new signed-in context on /portfolio with the in-page PROBE installed and the first
    row focused; return (context, page, the row's id)."""
    context = browser.new_context()
    context.add_cookies(_cookie(served, served.base))
    page = context.new_page()
    page.goto(served.base + "/portfolio", wait_until="networkidle")
    page.evaluate(PROBE)
    row_id = page.locator("#artifacts li.artifact").first.get_attribute("id")
    page.locator(f"#{row_id}").focus()
    return context, page, row_id


def key_latencies(browser, served) -> dict:
    """Key-to-focus timings, with the time of each htmx event between key and focus."""
    context, page, row_id = first_row_focused(browser, served)
    edit_ms, save_ms, dwelt = [], [], []
    for i in range(TRIES):
        if i % 2 == 0:
            page.wait_for_timeout(DWELL_MS)
        page.keyboard.press("e")
        title = page.locator(f"#{row_id} [name=title]")
        title.wait_for(state="visible", timeout=TIMEOUT_MS)
        page.wait_for_function(
            "(n) => document.activeElement && document.activeElement.name === n", arg="title",
            timeout=TIMEOUT_MS)
        (dwelt if i % 2 == 0 else edit_ms).append(page.evaluate(ELAPSED, ["title", row_id]))
        page.keyboard.press("Control+Enter")
        page.wait_for_function(
            "(id) => document.activeElement && document.activeElement.id === id", arg=row_id,
            timeout=TIMEOUT_MS)
        save_ms.append(page.evaluate(ELAPSED, ["row", row_id]))
    context.close()
    if None in edit_ms or None in save_ms or None in dwelt:
        raise RuntimeError("a focus change was not observed by the in-page probe")
    return {
        "tries": TRIES, "dwell_ms": DWELL_MS,
        "e_to_title_focus": _stats(dwelt),
        "e_to_title_focus_at_once": _stats(edit_ms),
        "ctrl_enter_to_row_focus": _stats(save_ms),
    }


def _stats(measures: list[dict]) -> dict:
    """p50/p95 of the total, and the median time from the key to each htmx event."""
    totals = [m["total"] for m in measures]
    phases = {}
    for name in ("request_sent", "response_in", "swapped", "settled"):
        values = [m[name] for m in measures if m[name] is not None]
        phases[name] = round(common.percentile(values, 50), 1) if values else None
    return {"p50_ms": round(common.percentile(totals, 50), 1),
            "p95_ms": round(common.percentile(totals, 95), 1),
            "max_ms": round(max(totals), 1), "median_ms_from_key_to": phases}


@contextmanager
def served_browser() -> Iterator[tuple[object, object]]:
    """The app under gunicorn (bench/server.py) and the system Chromium: (served, browser)."""
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"no Chromium at {CHROMIUM}: install it or set CHROMIUM_PATH")
    with served_app() as served, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield served, browser
        finally:
            browser.close()


def run() -> dict:
    with served_browser() as (served, browser):
        result = {"chromium": browser.version, "cold_load": cold_load(browser, served),
                  **key_latencies(browser, served)}
    common.write_result("browser", result)
    return result


def main() -> None:
    result = run()
    load = result["cold_load"]
    print(f"Chromium {result['chromium']}")
    print(f"cold load: {load['requests']} requests, {load['transferred_bytes']} bytes as served;"
          f" HTML {load['html_bytes']} bytes, {load['dom_nodes']} DOM nodes")
    for r in load["detail"]:
        print(f"    {r['status']} {r['url']}: {r['transferred']} B ({r['encoding']}),"
              f" body {r['body']} B")
    for key in ("e_to_title_focus", "e_to_title_focus_at_once", "ctrl_enter_to_row_focus"):
        print(f"{key}: {result[key]}")


if __name__ == "__main__":
    main()
