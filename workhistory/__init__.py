"""Work history: the product's own code.

- `workhistory.data`: everything that talks to PostgreSQL, with no Flask in it (a test imports
  it with Flask blocked). Each public function is one transaction under row-level security.
- `workhistory.web`: what the HTTP layer shares: forms and their rules, htmx answers, security
  headers, rate limits, the error pages, template filters, the row cache, CSV.
- `workhistory.cli`, `workhistory.migrate`, `workhistory.embedded_pg`, `workhistory.devserver`:
  the command line, the migration runner, the embedded PostgreSQL and `make run`.
- `workhistory.skills`: the skill-suggestion engine over the ESCO catalog (no Flask, no SQL).

The views are in the top-level `blueprints/` package and the app factory in `app.py`; the
product's contract, referred to as "SPEC §N" in docstrings, is `docs/SPEC.md`.
"""

from __future__ import annotations

import os

# One BLAS thread per process, set before anything imports numpy (workhistory.skills does).
# The skill engine's one matrix product per suggestion is small; with OpenBLAS's default of a
# thread per core its helper threads spin and, when another process holds the second core,
# the call waits for a time slice: p95 went from 4 ms to 35 ms on the 2-core machine
# (docs/PERFORMANCE.md, "Skill suggestions"). Pre-forked web workers want one thread each
# anyway. An operator's own setting wins (setdefault).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
