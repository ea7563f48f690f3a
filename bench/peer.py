"""Ours against the Next.js 16 peer (`../shared/peer/`), in the same run, interleaved.

Run with `python -m bench.peer`: about 6 minutes on a quiet machine, up to about 12 when it has
to wait out other work (below); the first run adds about 30 s for the peer's build. Needs
Node.js 20+ with npm (the npm registry, for the peer's `npm install`), Debian's `chromium` and
`wrk`, and the project's `.venv` (as `make test` creates it). PEER_TRIALS, PEER_TRIES,
PEER_WRK_SECONDS, PEER_QUIET_PCT, PEER_RETRIES and PEER_NOISE_BUDGET_S override the defaults.

The peer is built outside git, in `bench/out/peer-build/` (ignored; `$PEER_BUILD` overrides):
the source is copied from `$PEER_SRC` (default `../shared/peer`), then `npm install` and
`next build`. The build is reused while the source (and the Node.js version) is unchanged; a
digest of both is kept beside it. It is started with its own `start.sh` (port in `.port`, pid in
`server.pid`) and stopped by that pid afterwards. Ours is `bench/server.py`'s `served_app()`:
gunicorn, sync workers, one per core, on a throw-away PostgreSQL with 50 artifacts, signed in.

TRIALS trials; in each, every measurement runs on both apps back to back, the order alternating
from trial to trial; each figure's ratio ours/peer is taken within a trial, then the median.

- Cold load: a fresh browser context opens ours' /portfolio (signed in) and the peer's `/`;
  every request with its transferred size (headers + body as Chromium reports them: whatever
  the server sent, compressed or not); the page's HTML size after decoding; its DOM size
  (`getElementsByTagName('*')`, and all nodes with text and comments).
- Edit → title focused and save → new title shown, TRIES times per trial on the first row,
  timed inside the page from the input event (keydown or click, capture phase) to the first
  moment the condition holds (checked on every focusin and DOM mutation). Before each Edit the
  row is focused (ours, `e`) or the Edit control hovered for DWELL_MS, as a person would, so a
  form fetched ahead on focus or hover has its moment. Ours: `e` on the focused row, and a
  click on the row's Edit control; save is Ctrl+Enter until the saved row has focus and shows
  the new title. The peer: a click on Edit (its input has autoFocus); save is a click on Save
  until `.title` shows the new text.
- Throughput: `wrk -t2 -c32 -d10s --latency` on ours' GET /portfolio and htmx PATCH of the
  title (round-robin over the 50 rows), and on the peer's GET / and its server action, replayed
  (below), round-robin over its 50 rows. Both send the browser's Accept-Encoding. Each request
  is first sent once by hand (200, and the edit shows on the page); under load any 4xx/5xx or
  socket error fails the run, and so do answers smaller than the one by hand (a 3xx, which
  wrk does not count as an error); after each edit run every row must show the title that run
  wrote. The machine is shared, so each run records the CPU that processes outside this
  benchmark took meanwhile (CpuMeter). Before each pair of runs (one kind, both apps) it waits
  up to 30 s for a quiet moment (2 s with at most QUIET_PCT % taken by others); a pair during
  which others took more is run again, at most RETRIES times, and the last pair is kept. All
  the waiting and rerunning comes out of NOISE_BUDGET_S seconds per run; once that is spent,
  pairs are kept as they come (the share stays recorded with each).
- Memory: RSS and PSS of ours' gunicorn master and workers and of the peer's node process,
  after all the load (ours' PostgreSQL is not counted: the peer has no database).

The server action replay: one real save is made in Chromium and its `POST /` recorded: the
`Next-Action` header (the action's id, which changes with every build), `Next-Router-State-Tree`,
and the multipart body (React's encoding: the form field `_1_title` and the bound arguments in
field `0`, `[<row id>,"$K1"]`). The replay sends the same headers and the same body with the
title and the row id substituted; it is checked once by hand (200, `x-action-revalidated`, the
title changed on the page) before any load.
"""

from __future__ import annotations

import hashlib
import html
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import stat
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus

import psycopg
from playwright.sync_api import sync_playwright

from bench import common, memory
from bench.browser import CHROMIUM, DOM_NODES, DWELL_MS, LAUNCH_ARGS
from bench.http import parse_wrk, wrk_binary
from bench.server import Served, fetch, served_app

TRIALS = int(os.environ.get("PEER_TRIALS", "5"))
TRIES = int(os.environ.get("PEER_TRIES", "10"))
THREADS, CONNECTIONS, SECONDS = 2, 32, int(os.environ.get("PEER_WRK_SECONDS", "10"))
WARMUP_SECONDS = 3
QUIET_PCT = float(os.environ.get("PEER_QUIET_PCT", "10"))  # of all cores, used by others
RETRIES = int(os.environ.get("PEER_RETRIES", "2"))
NOISE_BUDGET_S = float(os.environ.get("PEER_NOISE_BUDGET_S", "300"))
TIMEOUT_MS = 10_000
# What Chromium sends: both apps may compress as they choose, as they would for a browser.
ACCEPT_ENCODING = "gzip, deflate, br, zstd"

PEER_SRC = Path(os.environ.get("PEER_SRC", common.ROOT.parent / "shared" / "peer"))
BUILD = Path(os.environ.get("PEER_BUILD", common.OUT / "peer-build"))
NOT_SOURCE = ("node_modules", ".next", ".port", "server.pid", "server.log", "build.log",
              "next-env.d.ts", "tsconfig.tsbuildinfo", ".bench-source-digest")

# Ours: the rows and a row's Edit control; the peer: its rows (README: #artifact-<id>).
OURS_ROWS = "#artifacts li.artifact"
OURS_EDIT = ".artifact-edit"
PEER_ROWS = "li[id^=artifact-]"
CAPTURE_TITLE = "Bench capture title"

# Installed in the page through Playwright. `arm(kind, rowId, text)` clears the clock; the next
# keydown (not a bare modifier) or click starts it; it stops the first time the condition holds,
# checked on every focusin and every DOM mutation.
PROBE = """
() => {
  const b = window.__bench = {start: null, done: null, test: null};
  const modifiers = new Set(["Control", "Shift", "Alt", "Meta"]);
  const begin = (event) => {
    if (!b.test || b.start !== null) { return; }
    if (event.type === "keydown" && modifiers.has(event.key)) { return; }
    b.start = performance.now();
  };
  window.addEventListener("keydown", begin, true);
  window.addEventListener("click", begin, true);
  const check = () => {
    if (b.test && b.start !== null && b.done === null && b.test()) {
      b.done = performance.now();
    }
  };
  new MutationObserver(check).observe(document,
                                      {subtree: true, childList: true, characterData: true});
  document.addEventListener("focusin", check, true);
  // The peer's title is its `.title` span (its <h2> holds the Edit button too); ours is the
  // row's <h2>. `.title` first: one selector list would take whichever comes first.
  const titleOf = (row) => {
    const t = row.querySelector(".title") || row.querySelector(":scope > h2");
    return t ? t.textContent.trim() : null;
  };
  b.arm = ([kind, rowId, text]) => {
    b.start = null;
    b.done = null;
    const row = () => document.getElementById(rowId);
    b.test = {
      title_focused: () => {
        const a = document.activeElement;
        return !!a && a.name === "title" && !!row() && row().contains(a);
      },
      saved: () => !!row() && !row().querySelector("[name=title]") && titleOf(row()) === text,
      saved_focused: () => !!row() && document.activeElement === row()
                           && titleOf(row()) === text,
    }[kind];
  };
  b.elapsed = () => (b.done === null || b.start === null ? null : b.done - b.start);
}
"""

EDIT_LUA = """
wrk.method = "{method}"
local reqs = {{
{requests}
}}
local n = 0
-- Round-robin over the 50 rows, each request its own path and body.
request = function()
  n = n + 1
  local r = reqs[n % #reqs + 1]
  return wrk.format(nil, r[1], nil, r[2])
end
"""


def lua_str(text: str) -> str:
    """A Lua string literal for any text (bytes outside printable ASCII as decimal escapes)."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        out.append(char if 32 <= byte < 127 and char not in '"\\' else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


# ---- the peer: build, start, stop --------------------------------------------------------

def _node_version() -> str:
    if not shutil.which("node") or not shutil.which("npm"):
        raise SystemExit("the peer needs Node.js 20+ and npm on PATH")
    return subprocess.run(["node", "--version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def source_digest(src: Path, node: str) -> str:
    digest = hashlib.sha256(node.encode())
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_file() and not set(rel.parts) & set(NOT_SOURCE):
            digest.update(b"\0" + str(rel).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _logged(cmd: list[str], log: Path, env: dict[str, str], timeout: int) -> None:
    with log.open("a") as out:
        out.write(f"$ {' '.join(cmd)}\n")
        out.flush()
        done = subprocess.run(cmd, cwd=BUILD, env=env, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, timeout=timeout, check=False)
    if done.returncode:
        tail = "\n".join(log.read_text().splitlines()[-30:])
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}) in {BUILD}:\n{tail}")


def build_peer() -> dict:
    """Copy, `npm install` and `next build` the peer, unless the same source is built."""
    if not (PEER_SRC / "package.json").exists():
        raise SystemExit(f"no peer at {PEER_SRC} (set PEER_SRC)")
    node = _node_version()
    digest = source_digest(PEER_SRC, node)
    stamp = BUILD / ".bench-source-digest"
    info = {"source": str(PEER_SRC), "build_dir": str(BUILD), "node": node}
    if (stamp.exists() and stamp.read_text() == digest
            and (BUILD / ".next" / "BUILD_ID").exists()):
        return {**info, "reused": True, **_versions()}
    stop_leftover()
    start = time.monotonic()
    shutil.rmtree(BUILD, ignore_errors=True)
    shutil.copytree(PEER_SRC, BUILD, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    for path in [BUILD, *BUILD.rglob("*")]:  # shared/ is read-only; the build writes here
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1"}
    log = BUILD / "build.log"
    print(f"building the peer in {BUILD} (log: {log})", flush=True)
    _logged(["npm", "install", "--no-audit", "--no-fund"], log, env, 600)
    _logged(["npx", "next", "build"], log, env, 600)
    stamp.write_text(digest)
    return {**info, "reused": False, "build_seconds": round(time.monotonic() - start, 1),
            **_versions()}


def _versions() -> dict:
    def version(package: str) -> str:
        meta = BUILD / "node_modules" / package / "package.json"
        return json.loads(meta.read_text())["version"] if meta.exists() else "unknown"
    return {"next": version("next"), "react": version("react")}


def _is_our_peer(pid: int) -> bool:
    """Is `pid` alive and a server started from BUILD (its working directory)?"""
    try:
        return Path(f"/proc/{pid}/cwd").resolve() == BUILD.resolve()
    except OSError:
        return False


def stop_peer(pid: int) -> None:
    if not _is_our_peer(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.2)
    if _is_our_peer(pid):
        os.kill(pid, signal.SIGKILL)


def stop_leftover() -> None:
    """Stop a peer an earlier, interrupted run of this benchmark left running."""
    pid_file = BUILD / "server.pid"
    if pid_file.exists():
        text = pid_file.read_text().strip()
        if text.isdigit():
            stop_peer(int(text))
        pid_file.unlink()


@dataclass(frozen=True)
class Peer:
    base: str
    pid: int


@contextmanager
def served_peer() -> Iterator[Peer]:
    """The built peer started with its own start.sh on a free port; stopped afterwards."""
    stop_leftover()
    (BUILD / ".port").unlink(missing_ok=True)  # start.sh then picks a free port
    subprocess.run(["bash", str(BUILD / "start.sh"), str(BUILD)], capture_output=True,
                   stdin=subprocess.DEVNULL, timeout=60, check=True)
    pid = int((BUILD / "server.pid").read_text())
    base = f"http://127.0.0.1:{int((BUILD / '.port').read_text())}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if fetch(base + "/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or not _is_our_peer(pid):
                log = (BUILD / "server.log").read_text()
                raise RuntimeError(f"the peer did not start:\n{log}")
            time.sleep(0.2)
        yield Peer(base, pid)
    finally:
        stop_peer(pid)


# ---- the two sides -----------------------------------------------------------------------

@dataclass
class Side:
    """What the measurements need of one app."""

    name: str
    base: str
    page_path: str
    cookies: list[dict]
    get_headers: dict[str, str]
    rows: list[tuple[str, str]] = field(default_factory=list)  # (element id, first title)
    edit_method: str = "POST"
    edit_headers: dict[str, str] = field(default_factory=dict)
    # (row element id, new title) -> (path, body) of one edit request
    edit_request: Callable[[str, str], tuple[str, str]] | None = None
    expected_bytes: dict[str, int] = field(default_factory=dict)  # one answer, by hand
    meter: CpuMeter | None = None


def ours_side(served: Served) -> Side:
    pairs = [p.split("=", 1) for p in served.cookie.split("; ") if "=" in p]
    side = Side("ours", served.base, "/portfolio",
                [{"name": k, "value": v, "url": served.base} for k, v in pairs],
                {"Cookie": served.cookie})
    side.edit_method = "PATCH"
    # As htmx sends it (bench/http.py), changing the title as the peer's action does.
    side.edit_headers = {"Content-Type": "application/x-www-form-urlencoded",
                         "HX-Request": "true", "X-CSRFToken": served.csrf,
                         "Cookie": served.cookie}

    def request(row_id: str, title: str) -> tuple[str, str]:
        return (f"/portfolio/artifacts/{row_id.removeprefix('artifact-')}",
                f"title={quote_plus(title)}")

    side.edit_request = request
    return side


def peer_side(peer: Peer) -> Side:
    return Side("peer", peer.base, "/", [], {})


def capture_action(browser, side: Side) -> dict:
    """Save a title in Chromium and record the server action's POST; set up its replay."""
    context = browser.new_context()
    page = context.new_page()
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.goto(side.base + side.page_path, wait_until="networkidle")
    row_id = side.rows[0][0]
    row = page.locator(f"#{row_id}")
    row.get_by_role("button", name="Edit").click()
    row.locator("input[name=title]").fill(CAPTURE_TITLE)
    row.get_by_role("button", name="Save").click()
    page.wait_for_function(
        "([id, t]) => document.querySelector(`#${id} .title`)?.textContent === t",
        arg=[row_id, CAPTURE_TITLE], timeout=TIMEOUT_MS)
    if len(posts) != 1:
        raise RuntimeError(f"expected one POST for the save, saw {len(posts)}")
    req = posts[0]
    url, headers, body = req.url, req.all_headers(), req.post_data or ""
    context.close()
    if "next-action" not in headers:
        raise RuntimeError(f"the save's POST has no Next-Action header: {sorted(headers)}")
    number = row_id.removeprefix("artifact-")
    bound = re.findall(r'name="0"\r\n\r\n\[(\d+),"\$K\d+"\]', body)
    if body.count(CAPTURE_TITLE) != 1 or bound != [number]:
        raise RuntimeError(f"the peer's action body is not the encoding this replays:\n{body!r}")
    head, tail = body.split(CAPTURE_TITLE)
    at = tail.index(f'name="0"\r\n\r\n[{number},') + len('name="0"\r\n\r\n[')
    middle, rest = tail[:at], tail[at + len(number):]

    def request(row_id: str, title: str) -> tuple[str, str]:
        return "/", head + title + middle + row_id.removeprefix("artifact-") + rest

    replayed = ("next-action", "next-router-state-tree", "content-type", "accept")
    side.edit_method = "POST"
    side.edit_headers = {k: v for k, v in headers.items() if k in replayed}
    side.edit_headers["origin"] = side.base
    side.edit_request = request
    return {"url": url.replace(side.base, ""), "headers_replayed": side.edit_headers,
            "headers_seen": sorted(headers), "body": body}


# ---- browser measurements ----------------------------------------------------------------

def _launch(pw):
    if not os.path.exists(CHROMIUM):
        raise SystemExit(f"no Chromium at {CHROMIUM}: install it or set CHROMIUM_PATH")
    return pw.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)


def read_rows(browser, side: Side) -> None:
    """The rows' element ids and titles as the browser shows them."""
    context = browser.new_context()
    if side.cookies:
        context.add_cookies(side.cookies)
    page = context.new_page()
    page.goto(side.base + side.page_path, wait_until="networkidle")
    selector = OURS_ROWS if side.name == "ours" else PEER_ROWS
    side.rows = page.eval_on_selector_all(selector, """rows => rows.map(r => [r.id,
        (r.querySelector(".title") || r.querySelector(":scope > h2") || r)
        .textContent.trim()])""")
    context.close()
    if len(side.rows) != 50:
        raise RuntimeError(f"{side.name}: expected 50 rows, found {len(side.rows)}")


def cold_load(browser, side: Side) -> dict:
    context = browser.new_context()
    if side.cookies:
        context.add_cookies(side.cookies)
    page = context.new_page()
    records, failed = [], []

    def on_finished(request):
        response = request.response()
        sizes = request.sizes()
        records.append({
            "url": request.url.replace(side.base, ""),
            "status": response.status if response else None,
            "encoding": response.headers.get("content-encoding") if response else None,
            "transferred": sizes["responseHeadersSize"] + sizes["responseBodySize"],
            "body": len(response.body()) if response else 0,
        })

    page.on("requestfinished", on_finished)
    page.on("requestfailed", lambda r: failed.append(r.url))
    response = page.goto(side.base + side.page_path, wait_until="networkidle")
    page.wait_for_timeout(500)  # late requests (a favicon) are counted too
    dom = page.evaluate(DOM_NODES)
    html_bytes = len(response.body())
    context.close()
    if response.status != 200 or failed:
        raise RuntimeError(f"{side.name}: cold load {response.status}, failed: {failed}")
    return {"requests": len(records),
            "transferred_bytes": sum(r["transferred"] for r in records),
            "html_bytes": html_bytes, "dom_elements": dom["elements"], "dom_nodes": dom["nodes"],
            "detail": records}


def _timed(page, kind: str, row_id: str, text: str, act: Callable[[], None]) -> float:
    page.evaluate("(args) => window.__bench.arm(args)", [kind, row_id, text])
    act()
    page.wait_for_function("() => window.__bench.done !== null", timeout=TIMEOUT_MS)
    elapsed = page.evaluate("() => window.__bench.elapsed()")
    if elapsed is None:
        raise RuntimeError(f"{kind}: the probe saw no input event")
    return elapsed


def interactions(browser, side: Side, trial: int) -> dict[str, list[float]]:
    """TRIES × (Edit → title focused, save → new title shown) on the first row."""
    context = browser.new_context()
    if side.cookies:
        context.add_cookies(side.cookies)
    page = context.new_page()
    page.goto(side.base + side.page_path, wait_until="networkidle")
    page.evaluate(PROBE)
    row_id, first_title = side.rows[0]
    row = page.locator(f"#{row_id}")
    times: dict[str, list[float]] = {"edit_key_ms": [], "edit_click_ms": [], "save_ms": []}
    for k in range(TRIES):
        new_title = f"{first_title} (edit {trial}.{k})"
        if side.name == "ours":
            row.focus()
            page.wait_for_timeout(DWELL_MS)
            times["edit_key_ms"].append(_timed(page, "title_focused", row_id, "",
                                               lambda: page.keyboard.press("e")))
            row.locator("[name=title]").fill(new_title)
            times["save_ms"].append(_timed(page, "saved_focused", row_id, new_title,
                                           lambda: page.keyboard.press("Control+Enter")))
            edit = row.locator(OURS_EDIT)
            if edit.count() != 1:
                raise RuntimeError(f"ours: no single Edit control {OURS_EDIT!r} in the row")
            edit.hover()
            page.wait_for_timeout(DWELL_MS)
            times["edit_click_ms"].append(_timed(page, "title_focused", row_id, "", edit.click))
            page.keyboard.press("Escape")
            page.wait_for_function(
                """(id) => document.activeElement && document.activeElement.id === id
                           && !document.activeElement.querySelector("[name=title]")""",
                arg=row_id, timeout=TIMEOUT_MS)
        else:
            edit = row.get_by_role("button", name="Edit")
            edit.hover()
            page.wait_for_timeout(DWELL_MS)
            times["edit_click_ms"].append(_timed(page, "title_focused", row_id, "", edit.click))
            row.locator("input[name=title]").fill(new_title)
            save = row.get_by_role("button", name="Save")
            times["save_ms"].append(_timed(page, "saved", row_id, new_title, save.click))
    context.close()
    return {k: v for k, v in times.items() if v}


# ---- load with wrk -----------------------------------------------------------------------

def edit_script(side: Side, marker: str, directory: Path) -> Path:
    lines = []
    for row_id, title in side.rows:
        path, body = side.edit_request(row_id, f"{title} {marker}")
        lines.append(f"  {{{lua_str(path)}, {lua_str(body)}}},")
    headers = {**side.edit_headers, "Accept-Encoding": ACCEPT_ENCODING}
    script = directory / f"{side.name}-edit.lua"
    script.write_text(
        "".join(f"wrk.headers[{lua_str(k)}] = {lua_str(v)}\n" for k, v in headers.items())
        + EDIT_LUA.format(method=side.edit_method, requests="\n".join(lines)))
    return script


def get_script(side: Side, directory: Path) -> Path:
    headers = {**side.get_headers, "Accept-Encoding": ACCEPT_ENCODING}
    script = directory / f"{side.name}-page.lua"
    script.write_text(
        "".join(f"wrk.headers[{lua_str(k)}] = {lua_str(v)}\n" for k, v in headers.items()))
    return script


def run_wrk(side: Side, kind: str, script: Path, seconds: int = SECONDS) -> dict:
    """wrk on the page or the edit; fails on any error, and on answers of the wrong size.

    wrk counts 4xx and 5xx (parse_wrk fails on them) but not 3xx: a redirect (to the login,
    say) would pass as a fast answer. So the bytes read per answer must be at least 80 % of
    the answer the check by hand got with the same headers (side.expected_bytes).
    """
    path = side.page_path if kind == "page" else side.edit_request(*side.rows[0])[0]
    cmd = [wrk_binary(), f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency",
           "--timeout", "5s", "-s", str(script), side.base + path]
    side.meter.start()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         timeout=seconds + 30).stdout
    other = side.meter.other_pct()
    result = parse_wrk(out, f"{side.name} {kind}")
    value, unit = re.search(r"requests in [\d.]+\w+, ([\d.]+)([KMG]?B) read", out).groups()
    read = float(value) * 1024 ** "BKMG".index(unit[0])
    per_answer = read / result["requests"]
    if per_answer < 0.8 * side.expected_bytes[kind]:
        raise RuntimeError(f"{side.name} {kind}: {per_answer:.0f} bytes per answer under load,"
                           f" {side.expected_bytes[kind]} by hand: not the same answer\n{out}")
    return {**result, "bytes_per_answer": round(per_answer), "other_cpu_pct": other}


def raw_request(side: Side, method: str, path: str, body: str | None,
                headers: dict[str, str]) -> tuple[int, dict[str, str], int]:
    """One request as wrk sends it (no redirect followed, the body left compressed)."""
    host, port = side.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path, body=body.encode() if body else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        head = sum(len(k) + len(v) + 4 for k, v in resp.getheaders()) + 17  # + status line
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, head + len(data)
    finally:
        conn.close()


def page_text(side: Side) -> str:
    return fetch(side.base + side.page_path, headers=side.get_headers)[1]


def check_titles(side: Side, marker: str) -> None:
    """Every row on the page shows the title the last edit load wrote."""
    text = page_text(side)
    missing = [row_id for row_id, title in side.rows
               if f"{title} {marker}" not in _row_html(text, row_id)]
    if missing:
        raise RuntimeError(f"{side.name}: the edit load did not change {len(missing)} rows,"
                           f" e.g. {missing[0]}")


def _row_html(page: str, row_id: str) -> str:
    start = page.find(f'id="{row_id}"')
    return html.unescape(page[start:page.find("</li>", start)]) if start >= 0 else ""


def check_requests(side: Side) -> None:
    """The page and one edit by hand, as wrk will send them, before any load: 200 each, and
    the page then shows the new title. Their sizes are what run_wrk expects under load."""
    status, _, size = raw_request(side, "GET", side.page_path, None,
                                  {**side.get_headers, "Accept-Encoding": ACCEPT_ENCODING})
    if status != 200:
        raise RuntimeError(f"{side.name}: the page answered {status}")
    side.expected_bytes["page"] = size
    row_id, title = side.rows[1]
    new_title = f"{title} (check {secrets.token_hex(3)})"
    path, body = side.edit_request(row_id, new_title)
    status, headers, size = raw_request(side, side.edit_method, path, body,
                                        {**side.edit_headers, "Accept-Encoding": ACCEPT_ENCODING})
    if status != 200:
        raise RuntimeError(f"{side.name}: the edit answered {status}")
    if side.name == "peer" and "x-action-revalidated" not in headers:
        raise RuntimeError("peer: the replayed action did not revalidate the page")
    if new_title not in _row_html(page_text(side), row_id):
        raise RuntimeError(f"{side.name}: the edit answered {status} but the title did not change")
    side.expected_bytes["edit"] = size


# ---- other work on the machine -----------------------------------------------------------

class CpuMeter:
    """CPU time the rest of the machine used while a measurement ran.

    The machine is shared (other sessions' tests and builds run on the same two cores), so
    each load run records how much of the CPU went to processes outside this benchmark: the
    machine's user + system time (/proc/stat) less that of this process, the peer's node and
    ours' PostgreSQL with all their descendants (gunicorn, wrk, Chromium; reaped children
    count through their parents' cutime/cstime). Interrupt time and steal are left out.
    """

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.begin: tuple[float, int, int] | None = None

    def _ours(self) -> int:
        parent, times = {}, {}
        for stat_file in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat_file.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat_file.parent.name)
            parent[pid] = int(fields[1])
            times[pid] = sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
        ours = 0
        for pid, ticks in times.items():
            p = pid
            while p > 1 and p not in self.roots:
                p = parent.get(p, 0)
            if p in self.roots:
                ours += ticks
        return ours

    @staticmethod
    def _busy() -> int:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system = (int(x) for x in fields[:3])
        return user + nice + system

    def start(self) -> None:
        self.begin = (time.monotonic(), self._busy(), self._ours())

    def wait_quiet(self, budget: list[float], most: float = 30.0) -> float:
        """Wait (at most `most` s, and within what is left of `budget[0]`) for 2 s during
        which other processes took at most QUIET_PCT of the CPU; return the seconds waited."""
        start = time.monotonic()
        limit = min(most, budget[0])
        while time.monotonic() - start < limit:
            self.start()
            time.sleep(2)
            if self.other_pct() <= QUIET_PCT:
                break
        waited = time.monotonic() - start
        budget[0] = max(0.0, budget[0] - waited)
        return round(waited, 1)

    def other_pct(self) -> float:
        """Share of all cores' time that went elsewhere since start(), in %."""
        t0, busy0, ours0 = self.begin
        elapsed = time.monotonic() - t0
        other = (self._busy() - busy0) - (self._ours() - ours0)
        ticks = elapsed * os.sysconf("SC_CLK_TCK") * (os.cpu_count() or 1)
        return round(max(0.0, 100.0 * other / ticks), 1)


def postmaster_pid(url: str) -> int:
    """ours' PostgreSQL server process: the parent of a backend."""
    with psycopg.connect(url) as conn:  # read while the backend is alive
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])


# ---- memory ------------------------------------------------------------------------------

def _kib(pid: int, key: str, source: str) -> int:
    for line in Path(f"/proc/{pid}/{source}").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {key} in /proc/{pid}/{source}")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def memory_of(served: Served, peer: Peer) -> dict:
    ours = memory.snapshot(served.master_pid)
    ours["master_pss_mib"] = round(_kib(served.master_pid, "Pss", "smaps_rollup") / 1024, 1)
    ours["total_pss_mib"] = round(ours["master_pss_mib"] + sum(ours["workers_pss_mib"]), 1)
    ours["total_rss_mib"] = round(ours["master_rss_mib"] + sum(ours["workers_rss_mib"]), 1)
    pids = [peer.pid, *_children(peer.pid)]
    peer_mem = {
        "processes": len(pids),
        "node_rss_mib": round(_kib(peer.pid, "VmRSS", "status") / 1024, 1),
        "total_rss_mib": round(sum(_kib(p, "VmRSS", "status") for p in pids) / 1024, 1),
        "total_pss_mib": round(sum(_kib(p, "Pss", "smaps_rollup") for p in pids) / 1024, 1),
    }
    return {"ours": ours, "peer": peer_mem,
            "ratio_pss": round(ours["total_pss_mib"] / peer_mem["total_pss_mib"], 3),
            "ratio_rss": round(ours["total_rss_mib"] / peer_mem["total_rss_mib"], 3)}


# ---- the run -----------------------------------------------------------------------------

# (figure, ours' key, peer's key): each ratio is ours / peer within a trial.
RATIOS = (
    ("cold_requests", "cold_requests", "cold_requests"),
    ("cold_bytes", "cold_bytes", "cold_bytes"),
    ("html_bytes", "html_bytes", "html_bytes"),
    ("dom_elements", "dom_elements", "dom_elements"),
    ("edit_key_ms", "edit_key_ms", "edit_click_ms"),
    ("edit_click_ms", "edit_click_ms", "edit_click_ms"),
    ("save_ms", "save_ms", "save_ms"),
    ("page_rps", "page_rps", "page_rps"),
    ("page_p50_ms", "page_p50_ms", "page_p50_ms"),
    ("page_p99_ms", "page_p99_ms", "page_p99_ms"),
    ("edit_rps", "edit_rps", "edit_rps"),
    ("edit_p50_ms", "edit_p50_ms", "edit_p50_ms"),
    ("edit_p99_ms", "edit_p99_ms", "edit_p99_ms"),
)


def trial(number: int, browser, sides: list[Side], tmp: Path, timings: dict,
          budget: list[float]) -> dict:
    order = sides if number % 2 else sides[::-1]
    figures: dict[str, dict] = {s.name: {} for s in sides}
    details: dict[str, dict] = {s.name: {} for s in sides}
    meter = order[0].meter
    waited = {"browser": meter.wait_quiet(budget)}
    meter.start()
    for side in order:
        load = cold_load(browser, side)
        details[side.name]["cold_load"] = load["detail"]
        figures[side.name].update(cold_requests=load["requests"],
                                  cold_bytes=load["transferred_bytes"],
                                  html_bytes=load["html_bytes"], dom_elements=load["dom_elements"],
                                  dom_nodes=load["dom_nodes"])
    for side in order:
        for key, values in interactions(browser, side, number).items():
            timings[side.name].setdefault(key, []).extend(values)
            figures[side.name][key] = round(statistics.median(values), 2)
    browser_other = meter.other_pct()
    attempts = {}
    for kind in ("page", "edit"):
        # Both apps' runs of one kind, again (at most RETRIES times) while other processes
        # took more than QUIET_PCT of the CPU during either: the shared machine's noise.
        for attempt in range(1, RETRIES + 2):
            started = time.monotonic()
            waited_now = meter.wait_quiet(budget)
            runs = {}
            for side in order:
                if kind == "page":
                    runs[side.name] = run_wrk(side, kind, get_script(side, tmp))
                else:
                    marker = f"(load {number:02d}.{attempt})"
                    runs[side.name] = run_wrk(side, kind, edit_script(side, marker, tmp))
                    check_titles(side, marker)
            noisy = max(r["other_cpu_pct"] for r in runs.values())
            if noisy <= QUIET_PCT:
                break
            if attempt > 1:  # a rerun comes out of the budget too
                budget[0] = max(0.0, budget[0] - (time.monotonic() - started - waited_now))
            again = attempt <= RETRIES and budget[0] > 0
            print(f"  {kind}: other processes took {noisy} % of the CPU after waiting"
                  f" {waited_now} s for a quiet moment; {'again' if again else 'kept'}",
                  flush=True)
            if not again:
                break
        attempts[kind] = attempt
        waited[kind] = waited_now
        for name, r in runs.items():
            figures[name].update({f"{kind}_rps": r["rps"], f"{kind}_p50_ms": r["p50_ms"],
                                  f"{kind}_p99_ms": r["p99_ms"],
                                  f"{kind}_other_cpu_pct": r["other_cpu_pct"]})
    ratio = {name: round(figures["ours"][a] / figures["peer"][b], 3) for name, a, b in RATIOS
             if a in figures["ours"] and b in figures["peer"]}
    # Other work on the machine shows here (both apps share the two cores with it).
    other = max(figures[s][f"{k}_other_cpu_pct"] for s in figures for k in ("page", "edit"))
    return {"order": [s.name for s in order], **figures, "ratio": ratio,
            "other_cpu_pct_max": other, "browser_other_cpu_pct": browser_other,
            "load_attempts": attempts, "waited_for_quiet_s": waited,
            "load_average_1m_at_end": round(os.getloadavg()[0], 2), "detail": details}


def quiet_pairs(trials: list[dict]) -> dict:
    """The load figures and ratios over only the pairs that other processes left alone."""
    quiet: dict[str, dict] = {}
    for kind in ("page", "edit"):
        kept = [t for t in trials
                if max(t[s][f"{kind}_other_cpu_pct"] for s in ("ours", "peer")) <= QUIET_PCT]
        quiet[kind] = {"pairs": len(kept)}
        if not kept:
            continue
        keys = [f"{kind}_{k}" for k in ("rps", "p50_ms", "p99_ms")]
        quiet[kind].update({key: round(statistics.median(t["ratio"][key] for t in kept), 3)
                            for key in keys})
        for side in ("ours", "peer"):
            quiet[kind][side] = {key: round(statistics.median(t[side][key] for t in kept), 2)
                                 for key in [*keys, f"{kind}_other_cpu_pct"]}
    return quiet


def run() -> dict:
    started = time.monotonic()
    build = build_peer()
    how = "build reused" if build["reused"] else f"built in {build['build_seconds']} s"
    print(f"peer: Next.js {build['next']} on Node.js {build['node']} ({how})", flush=True)
    with (served_app() as served, served_peer() as peer, sync_playwright() as pw,
          tempfile.TemporaryDirectory(prefix="portfolio-peer-") as tmp_name):
        tmp = Path(tmp_name)
        browser = _launch(pw)
        try:
            ours, other = ours_side(served), peer_side(peer)
            ours.meter = other.meter = CpuMeter(
                [os.getpid(), peer.pid, postmaster_pid(served.database_url)])
            for side in (ours, other):
                read_rows(browser, side)
            idle = memory_of(served, peer)
            action = capture_action(browser, other)
            for side in (ours, other):
                check_requests(side)
                # Warm both up unmeasured (Node's JIT, caches): a few seconds of each load.
                run_wrk(side, "page", get_script(side, tmp), WARMUP_SECONDS)
                run_wrk(side, "edit", edit_script(side, "(warm-up)", tmp), WARMUP_SECONDS)
            timings: dict[str, dict[str, list[float]]] = {"ours": {}, "peer": {}}
            budget = [NOISE_BUDGET_S]  # seconds left for waiting out and rerunning noise
            trials = []
            for number in range(1, TRIALS + 1):
                result = trial(number, browser, [ours, other], tmp, timings, budget)
                trials.append(result)
                print(f"trial {number} ({' then '.join(result['order'])}):",
                      {k: v for k, v in result["ratio"].items()}, flush=True)
            mem = memory_of(served, peer)
            chromium = browser.version
        finally:
            browser.close()
        workers = served.workers
    median = {
        side: {key: round(statistics.median(t[side][key] for t in trials), 2)
               for key in trials[0][side]}
        for side in ("ours", "peer")
    }
    median["ratio"] = {key: round(statistics.median(t["ratio"][key] for t in trials), 3)
                       for key in trials[0]["ratio"]}
    median["ratio_quiet_pairs"] = quiet_pairs(trials)
    pooled = {side: {key: {"p50_ms": round(common.percentile(v, 50), 2),
                           "p95_ms": round(common.percentile(v, 95), 2),
                           "max_ms": round(max(v), 2), "count": len(v)}
                     for key, v in timings[side].items()} for side in timings}
    result = {
        "trials": TRIALS, "tries_per_trial": TRIES, "dwell_ms": DWELL_MS,
        "wrk": f"-t{THREADS} -c{CONNECTIONS} -d{SECONDS}s --latency",
        "quiet_pct": QUIET_PCT, "retries": RETRIES, "noise_budget_s": NOISE_BUDGET_S,
        "accept_encoding": ACCEPT_ENCODING, "chromium": chromium, "peer_build": build,
        "gunicorn_workers": workers, "action_capture": action,
        "median": median, "pooled_browser_ms": pooled, "memory_after_load": mem,
        "memory_before_load": idle,
        "trial_results": trials, "seconds": round(time.monotonic() - started),
    }
    common.write_result("peer", result)
    return result


def main() -> None:
    result = run()
    med = result["median"]
    m = common.machine()
    print(f"{m['cpu']}, {m['nproc']} cores; Chromium {result['chromium']};"
          f" Next.js {result['peer_build']['next']}")
    print(f"{result['trials']} trials, {result['seconds']} s; medians (ours / peer / ratio):")
    for key in med["ratio"]:
        peer_key = "edit_click_ms" if key == "edit_key_ms" else key
        print(f"  {key:14s} {med['ours'][key]:>10} {med['peer'][peer_key]:>10}"
              f" {med['ratio'][key]:>8}")
    mem, idle = result["memory_after_load"], result["memory_before_load"]
    print(f"  memory PSS MiB {mem['ours']['total_pss_mib']:>10} {mem['peer']['total_pss_mib']:>10}"
          f" {mem['ratio_pss']:>8}  (before the load: {idle['ours']['total_pss_mib']}"
          f" / {idle['peer']['total_pss_mib']})")


if __name__ == "__main__":
    main()
