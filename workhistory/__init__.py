"""Work history: the product's own code.

- `workhistory.data`: everything that talks to PostgreSQL, with no Flask in it (a test imports
  it with Flask blocked). Each public function is one transaction under row-level security.
- `workhistory.web`: what the HTTP layer shares: forms and their rules, htmx answers, security
  headers, rate limits, the error pages, template filters, the row cache, CSV.
- `workhistory.cli`, `workhistory.migrate`, `workhistory.embedded_pg`, `workhistory.devserver`:
  the command line, the migration runner, the embedded PostgreSQL and `make run`.

The views are in the top-level `blueprints/` package and the app factory in `app.py`; the
product's contract, referred to as "SPEC §N" in docstrings, is `docs/SPEC.md`.
"""
