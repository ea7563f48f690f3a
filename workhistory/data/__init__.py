"""The data layer: PostgreSQL under row-level security, and nothing of the web.

No module here imports Flask or Werkzeug (`tests/test_layout.py` imports the package with them
blocked). Each public function is one transaction on one pooled connection that runs as
`portfolio_app` for an `Actor` (tenant and user), and fails only with the domain errors of
`errors.py`.
"""
