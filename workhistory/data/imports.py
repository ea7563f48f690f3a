"""Imports waiting for confirmation (SPEC §12): the data module for `pending_imports`
(migration 0041).

A preview that found nothing wrong keeps the file's rows here, as the form fields each row
fills, until the user confirms. Confirming (`import_pending`) takes them back, turns each into
column values through the caller's `to_values` (the artifact form's own rules, run again) and
creates every artifact in ONE transaction that also deletes the pending import: all or
nothing, and never twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb

from workhistory.data import artifacts
from workhistory.data.artifacts import Summary, parse_id
from workhistory.data.db import Actor, Database, one_row, unit_of_work
from workhistory.data.errors import ImportGone, NotFound

PENDING_FOR = timedelta(hours=1)
# One row of a file: each form field it fills and the texts it sends (as a form would).
Fields = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class Imported:
    """What a confirmed import created: its artifacts, in file order, and the new totals."""

    entries: list[artifacts.WorkArtifactEntry]
    summary: Summary


@unit_of_work
def save_pending(db: Database, actor: Actor, filename: str, rows: list[Fields]) -> UUID:
    """Keep `rows` (at most `artifacts.LIMIT`) as the actor's pending import, replacing any
    earlier one; return its id, which is all a confirmation needs to send back."""
    with db.transaction(actor) as conn:
        conn.execute("DELETE FROM pending_imports WHERE tenant_id = %s AND user_id = %s",
                     (actor.tenant_id, actor.user_id))
        row = conn.execute(
            "INSERT INTO pending_imports (tenant_id, user_id, filename, rows)"
            " VALUES (%s, %s, %s, %s) RETURNING id",
            (actor.tenant_id, actor.user_id, filename[:255], Jsonb(rows)),
        ).fetchone()
    return row["id"]


@unit_of_work
def import_pending(db: Database, actor: Actor, pending_id: str | UUID,
                   to_values: Callable[[Fields], dict[str, Any]]) -> Imported:
    """Create the artifacts of the actor's pending import `pending_id`, all in one
    transaction that also removes it.

    `to_values(fields)` returns one row's column values or raises `ValueError` (the row no
    longer passes the rules); then, or when the database refuses a row (`InvalidData`) or the
    user would pass the 50 limit (`LimitReached`, counted by the trigger as every create is),
    nothing is created and the pending import stays. Raises `ImportGone` for an id that is
    unknown, malformed, someone else's, replaced, already imported or older than
    `PENDING_FOR`.
    """
    try:
        pid = parse_id(pending_id)
    except NotFound:
        raise ImportGone() from None
    with db.transaction(actor) as conn:
        row = one_row(conn, "DELETE FROM pending_imports WHERE tenant_id = %s AND user_id = %s"
                      " AND id = %s AND created_at > now() - %s RETURNING rows",
                      (actor.tenant_id, actor.user_id, pid, PENDING_FOR), ImportGone())
        values = [to_values(fields) for fields in row["rows"]]
        created = [artifacts.create_artifact(db, actor, v) for v in values]
    summary = created[-1][1] if created else artifacts.list_artifacts(db, actor).summary
    return Imported([entry for entry, _ in created], summary)
