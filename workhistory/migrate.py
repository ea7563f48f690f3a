"""Plain-SQL migrations: `migrations/NNNN_name.sql`, applied in name order, each exactly once.

Guarantees:
- Each file runs in its own transaction together with its `schema_migrations` row, so a file is
  either fully applied and recorded or not at all.
- A session-level advisory lock serialises runners, so two processes (two app servers starting
  at once) can both run `db upgrade`: the second waits, then finds nothing to do.
- A landed file is never edited: its SHA-256 is recorded, and a changed checksum stops the run
  with `MigrationError` before anything else is applied.
- Then the reference data (the ESCO skills catalog, `workhistory.data.catalog`) is loaded by
  the same runner, on the same connection and under the same lock, in one transaction of its
  own, and only when the file's SHA-256 differs from the one recorded at the last load. Its
  name ("data: <file>") joins the returned list when it was loaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg

from workhistory.data import catalog

# The repository's top-level migrations/ (an editable install runs from the checkout).
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Distinct from the per-user limit lock (class 50): (class 51, object 1) is "schema migrations".
LOCK_KEY = (51, 1)


class MigrationError(RuntimeError):
    """A landed migration was edited, or a file failed to apply."""


def _files(directory: Path) -> list[tuple[str, str, str]]:
    out = []
    for path in sorted(directory.glob("*.sql")):
        text = path.read_text(encoding="utf-8")
        out.append((path.name, hashlib.sha256(text.encode()).hexdigest(), text))
    return out


def upgrade(url: str, directory: Path = MIGRATIONS_DIR, *, data: bool = True) -> list[str]:
    """Apply pending migrations to the database at `url`, then (unless `data` is false) load
    the skills catalog if it changed; return the names of what was applied now."""
    applied_now: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " name text PRIMARY KEY, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            landed = dict(conn.execute("SELECT name, checksum FROM schema_migrations").fetchall())
            files = _files(directory)
            for name, checksum, _ in files:
                if name in landed and landed[name] != checksum:
                    raise MigrationError(
                        f"{name} changed after it was applied; add a new migration instead"
                    )
            for name, checksum, sql in files:
                if name in landed:
                    continue
                try:
                    with conn.transaction():
                        conn.execute(sql)
                        conn.execute(
                            "INSERT INTO schema_migrations (name, checksum) VALUES (%s, %s)",
                            (name, checksum),
                        )
                except psycopg.Error as exc:
                    raise MigrationError(f"{name} failed: {exc}") from exc
                applied_now.append(name)
            if data:
                try:
                    if catalog.load_skills(conn) is not None:
                        applied_now.append(f"data: {catalog.CATALOG.name}")
                except psycopg.Error as exc:
                    raise MigrationError(f"loading {catalog.CATALOG.name} failed: {exc}") from exc
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", LOCK_KEY)
    return applied_now
