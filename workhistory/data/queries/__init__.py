"""Named SQL statements, kept in `.sql` files beside this module.

A file holds statements headed by `-- name: NAME` and an optional description in the comment
lines that follow; the statement runs to the next header. `load("artifacts")` returns them as
a read-only mapping from name to SQL text, read once per process. The text is handed to
psycopg unchanged, with its `%(name)s` placeholders: nothing is ever formatted into it.
(The idea is procrastinate's `queries.sql`.)
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from types import MappingProxyType

HERE = Path(__file__).parent
_HEADER = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


@cache
def load(group: str) -> MappingProxyType:
    """Return the statements of `<group>.sql` by name. Raises `ValueError` on a repeated name
    or an empty statement, so a broken file fails at import, not at first use."""
    text = (HERE / f"{group}.sql").read_text(encoding="utf-8")
    parts = _HEADER.split(text)[1:]
    statements: dict[str, str] = {}
    for name, body in zip(parts[::2], parts[1::2], strict=True):
        lines = body.strip().splitlines()
        while lines and lines[0].startswith("--"):
            lines.pop(0)  # the description
        sql = "\n".join(lines).strip().rstrip(";")
        if not sql or name in statements:
            raise ValueError(f"{group}.sql: statement {name!r} is empty or repeated")
        statements[name] = sql
    return MappingProxyType(statements)
