"""`make bench`: every benchmark in turn, then the results section of docs/PERFORMANCE.md.

Each benchmark runs in its own process (a clean interpreter and its own throw-away
PostgreSQL), one after another so they never compete for the cores. Takes about 25 minutes,
most of it generating the 1,000,000-row table and the comparison with the Next.js peer (which
needs Node.js and npm). `python -m bench.run_all http browser` runs only those; the report is
rewritten from whatever results exist.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench import common, report

BENCHMARKS = {
    "roundtrips": ["bench.roundtrips"],
    "transactions": ["bench.transactions"],  # BEGIN by hand, psycopg's, pipeline mode
    "http": ["bench.http"],
    "http-servers": ["bench.http", "--servers"],  # worker class and count, granian
    "profile": ["bench.profile", "portfolio"],
    "profile-patch": ["bench.profile", "patch"],
    "browser": ["bench.browser"],
    "browser-profile": ["bench.browser_profile"],
    "scale": ["bench.scale"],
    "peer": ["bench.peer"],  # needs Node.js and npm: builds ../shared/peer outside git
    "skills": ["bench.skills"],
    "skills-ablation": ["bench.skills", "--ablation"],
    "search": ["bench.search"],
}


def main() -> int:
    chosen = sys.argv[1:] or list(BENCHMARKS)
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        print(f"unknown benchmark(s): {', '.join(sorted(unknown))}; choose from"
              f" {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = []
    for name in chosen:
        start = time.monotonic()
        print(f"== {name}", flush=True)
        done = subprocess.run([sys.executable, "-m", *BENCHMARKS[name]], cwd=common.ROOT,
                              check=False)
        print(f"== {name}: exit {done.returncode} after {time.monotonic() - start:.0f} s",
              flush=True)
        if done.returncode:
            failed.append(name)
    report.write()
    print(f"results written to {report.DOC.relative_to(common.ROOT)}")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
