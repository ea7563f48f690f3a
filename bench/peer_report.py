"""The "Compared with the Next.js peer" section of docs/PERFORMANCE.md, from bench/out/peer.json.

Kept apart from bench/peer.py so that bench/report.py renders it without importing the app or
Playwright. Every ratio is ours / peer, taken within each trial, then the median over trials.
"""

from __future__ import annotations

from bench import common

# Issue 15's targets for the comparison (this machine, medians of several runs).
PAGE_RATIO_TARGET = 4.0
EDIT_RATIO_TARGET = 2.5

# (key, label, unit, higher is better); for edit_key_ms the peer's figure is its click.
ROWS = (
    ("cold_requests", "Cold load: requests", "", False),
    ("cold_bytes", "Cold load: bytes transferred as served (headers + body)", "B", False),
    ("html_bytes", "Page HTML, uncompressed", "B", False),
    ("dom_elements", "DOM elements (`getElementsByTagName('*')`)", "", False),
    ("dom_nodes", "DOM nodes with text and comments", "", False),
    ("edit_key_ms", "Edit → title focused, median ms (ours: `e`; peer: Edit click)", "ms", False),
    ("edit_click_ms", "Edit → title focused, median ms (Edit click)", "ms", False),
    ("save_ms", "Save → new title shown, median ms (ours: Ctrl+Enter, row focused)", "ms",
     False),
    ("page_rps", "Page throughput, req/s (ours GET /portfolio, peer GET /)", "", True),
    ("page_p50_ms", "Page p50 ms", "ms", False),
    ("page_p99_ms", "Page p99 ms", "ms", False),
    ("edit_rps", "Edit throughput, req/s (ours htmx PATCH, peer server action)", "", True),
    ("edit_p50_ms", "Edit p50 ms", "ms", False),
    ("edit_p99_ms", "Edit p99 ms", "ms", False),
)


def _fmt(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _better(ratio: float, higher: bool) -> str:
    if abs(ratio - 1) < 0.02:
        return "even"
    return "ours" if (ratio > 1) == higher else "peer"


def section() -> list[str]:
    r = common.read_result("peer")
    if not r:
        return ["Not run yet (`python -m bench.peer`)."]
    m, build, med = r["machine"], r["peer_build"], r["median"]
    load = ", ".join(str(x) for x in r.get("load_average_at_end", []))
    lines = [
        f"_Measured {r['measured_at']}; load average at the end: {load}._", "",
        f"{m['cpu']}, {m['nproc']} cores, {m['ram_gib']} GiB; Chromium {r['chromium']}"
        f" headless; the peer: Next.js {build['next']}, React {build['react']}, Node.js"
        f" {build['node']}, `next start`; ours: gunicorn, {r['gunicorn_workers']} sync"
        " workers, PostgreSQL on the same cores. Both hold 50 rows.", "",
        f"{r['trials']} trials; in each, every figure is measured on both apps back to back, the"
        " order alternating between trials; the browser figures are the median of"
        f" {r['tries_per_trial']} tries per trial; wrk {r['wrk']} with the browser's"
        f" `Accept-Encoding: {r['accept_encoding']}`"
        + (f". The machine is shared: each part waits (up to 30 s) for a moment when"
           f" processes outside the benchmark take at most {r['quiet_pct']:.0f} % of the CPU,"
           f" and a pair of load runs (one kind, both apps) during which they took more is run"
           f" again, at most {r['retries']} times, within {r['noise_budget_s']:.0f} s per run"
           if "noise_budget_s" in r else "")
        + ". Each cell is the median over trials;"
        " ours / peer is taken within each trial, then the median. In the last column"
        " \"ours\" means ours is the better of the two on that figure.", "",
        "| figure | ours | peer | ours / peer | better |", "|---|---:|---:|---:|---|",
    ]
    for key, label, unit, higher in ROWS:
        if key not in med["ratio"] and key not in med["ours"]:
            continue
        peer_key = "edit_click_ms" if key == "edit_key_ms" else key
        ours, peer = med["ours"][key], med["peer"][peer_key]
        ratio = med["ratio"].get(key, round(ours / peer, 3))
        lines.append(f"| {label} | {_fmt(ours, unit)} | {_fmt(peer, unit)} | {ratio:.2f} |"
                     f" {_better(ratio, higher)} |")
    mem, idle = r["memory_after_load"], r["memory_before_load"]
    lines.append(
        f"| Memory after the load, PSS MiB (ours: gunicorn master + workers; peer: node) |"
        f" {mem['ours']['total_pss_mib']:.0f} | {mem['peer']['total_pss_mib']:.0f} |"
        f" {mem['ratio_pss']:.2f} | {_better(mem['ratio_pss'], False)} |")
    page, edit = med["ratio"]["page_rps"], med["ratio"]["edit_rps"]
    quiet = med.get("ratio_quiet_pairs", {})
    lines += [
        "", f"Targets (issue 15): page throughput ≥ {PAGE_RATIO_TARGET:.0f}× the peer's:"
        f" {page:.2f}×, {_met(page >= PAGE_RATIO_TARGET)}; edit throughput ≥"
        f" {EDIT_RATIO_TARGET}× the peer's: {edit:.2f}×, {_met(edit >= EDIT_RATIO_TARGET)}"
        " (medians over all trials).", "",
    ]
    if quiet:
        parts = []
        for kind, label in (("page", "page"), ("edit", "edit")):
            q = quiet[kind]
            if not q["pairs"]:
                parts.append(f"{label}: no such pair")
                continue
            parts.append(
                f"{label} ({q['pairs']} of {r['trials']} pairs) ours"
                f" {q['ours'][f'{kind}_rps']:,.0f} req/s, peer {q['peer'][f'{kind}_rps']:,.0f},"
                f" ours / peer {q[f'{kind}_rps']:.2f}× (p99 {q['ours'][f'{kind}_p99_ms']:.0f}"
                f" vs {q['peer'][f'{kind}_p99_ms']:.0f} ms)")
        lines += ["Over only the pairs of load runs that other processes left alone (at most"
                  f" {r['quiet_pct']:.0f} % of the CPU during both runs): " + "; ".join(parts)
                  + ".", ""]
    lines += [
        f"Memory before the load: ours {idle['ours']['total_pss_mib']:.0f} MiB PSS"
        f" ({idle['ours']['total_rss_mib']:.0f} MiB RSS), the peer"
        f" {idle['peer']['total_pss_mib']:.0f} MiB PSS; after it, RSS ours"
        f" {mem['ours']['total_rss_mib']:.0f} MiB (workers"
        f" {', '.join(f'{x:.0f}' for x in mem['ours']['workers_rss_mib'])}), the peer"
        f" {mem['peer']['total_rss_mib']:.0f} MiB. Ours' PostgreSQL is not counted (the peer"
        " keeps its rows in memory).", "",
        "Browser timings over all tries (p50 / p95 / max ms): " + "; ".join(
            f"{side} {key.removesuffix('_ms').replace('_', ' ')}"
            f" {v['p50_ms']:.1f} / {v['p95_ms']:.1f} / {v['max_ms']:.1f}"
            for side, keys in r["pooled_browser_ms"].items() for key, v in keys.items()) + ".",
        "", "Each trial, ours / peer (page req/s, edit req/s, save ms, `e` → focused ms), and"
        " the most CPU that processes outside the benchmark took during one of its load runs"
        " (the machine is shared; a trial with much of it is noise that the median rides"
        " out):", "",
    ]
    for i, t in enumerate(r["trial_results"], 1):
        q = t["ratio"]
        lines.append(f"- trial {i} ({' first, '.join(t['order'])} second):"
                     f" page {t['ours']['page_rps']:,.0f} / {t['peer']['page_rps']:,.0f}"
                     f" = {q['page_rps']:.2f}; edit {t['ours']['edit_rps']:,.0f} /"
                     f" {t['peer']['edit_rps']:,.0f} = {q['edit_rps']:.2f};"
                     f" save {t['ours']['save_ms']:.1f} / {t['peer']['save_ms']:.1f};"
                     f" `e` {t['ours']['edit_key_ms']:.1f} / {t['peer']['edit_click_ms']:.1f}"
                     + (f"; other processes up to {t['other_cpu_pct_max']:.0f} % of the CPU"
                        f" in a load run, {t['browser_other_cpu_pct']:.0f} % in the browser part"
                        if "browser_other_cpu_pct" in t else "")
                     + (f" (load runs: page {t['load_attempts']['page']}, edit"
                        f" {t['load_attempts']['edit']} attempts)"
                        if max(t.get("load_attempts", {"": 1}).values()) > 1 else ""))
    lines += [
        "", "The peer's edit is its server action replayed: one save made in Chromium, its"
        " `POST /` recorded (`Next-Action`, `Next-Router-State-Tree` and React's multipart"
        " body), then sent by wrk with the title and row id substituted, round-robin over the"
        " 50 rows; ours is the htmx PATCH of the title, round-robin too. Each request is sent"
        " once by hand first (200, and the new title on the page); under load a 4xx, 5xx,"
        " socket error or an answer shorter than that one (a redirect) fails the run, and after"
        " each edit run every row must show the title it wrote.",
    ]
    return lines


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def target_rows(r: dict) -> list[tuple[str, str, str]]:
    """Issue 15's peer targets as rows of the Targets table: (target, measured, met?)."""
    ratio = r["median"]["ratio"]
    return [
        (f"page throughput / the peer's, same run ≥ {PAGE_RATIO_TARGET:g}×",
         f"{ratio['page_rps']:.2f}×", _met(ratio["page_rps"] >= PAGE_RATIO_TARGET)),
        (f"edit throughput / the peer's, same run ≥ {EDIT_RATIO_TARGET:g}×",
         f"{ratio['edit_rps']:.2f}×", _met(ratio["edit_rps"] >= EDIT_RATIO_TARGET)),
    ]
