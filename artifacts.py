"""The data module for work artifacts: the only place with SQL for them.

Every function runs in exactly one transaction under the caller's tenant and user (see
`db.Database.transaction`), so row-level security applies to every statement, and each query
also names the tenant and owner itself: ownership holds in the SQL and in the policies.
Ids that are unknown, malformed, or not the caller's raise `NotFound`: other people's artifacts
do not exist for you. Rule violations the database catches raise `InvalidData` or
`LimitReached`; a stale version raises `Conflict` carrying the saved record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from db import Actor, Database
from errors import Conflict, NotFound

LIMIT = 50
TYPES = ("document", "code", "analysis", "presentation", "design", "process", "other")
VISIBILITIES = ("private", "team")
# The columns a caller may change; anything else in an update is refused before SQL is built.
UPDATABLE = (
    "title",
    "description",
    "artifact_type",
    "artifact_date",
    "source_url",
    "visibility",
    "estimated_hours_saved",
    "suggested_skill_ids",
)

COLUMNS = (
    "id, tenant_id, user_id, title, description, artifact_type, artifact_date, source_url,"
    " visibility, estimated_hours_saved, suggested_skill_ids, version, created_at, updated_at"
)
PAGE_ORDER = "artifact_date DESC NULLS LAST, created_at DESC, id"
# Queries built once from the constants above (no caller input is ever formatted into SQL).
_LIST_OWN = (
    f"SELECT {COLUMNS} FROM work_artifacts WHERE tenant_id = %s AND user_id = %s"
    f" ORDER BY {PAGE_ORDER} LIMIT %s"
)
_LIST_TEAM = (
    f"SELECT {COLUMNS} FROM work_artifacts"
    " WHERE tenant_id = %s AND user_id = %s AND visibility = 'team'"
    f" ORDER BY {PAGE_ORDER} LIMIT %s"
)
_GET_OWN = (
    f"SELECT {COLUMNS} FROM work_artifacts WHERE tenant_id = %s AND id = %s AND user_id = %s"
)


@dataclass(frozen=True, slots=True)
class WorkArtifactEntry:
    """One artifact as stored. `to_dict()` gives its JSON form (ISO 8601 dates and times)."""

    id: UUID
    tenant_id: UUID
    user_id: UUID
    title: str
    description: str
    artifact_type: str
    artifact_date: date | None
    source_url: str | None
    visibility: str
    estimated_hours_saved: float | None
    suggested_skill_ids: list[str]
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> WorkArtifactEntry:
        return cls(**{name: row[name] for name in cls.__slots__})

    def to_dict(self) -> dict[str, Any]:
        """Serialise for JSON: uuids as strings, dates `YYYY-MM-DD`, times UTC with offset."""
        return {
            "id": str(self.id),
            "tenant_id": str(self.tenant_id),
            "user_id": str(self.user_id),
            "title": self.title,
            "description": self.description,
            "artifact_type": self.artifact_type,
            "artifact_date": self.artifact_date.isoformat() if self.artifact_date else None,
            "source_url": self.source_url,
            "visibility": self.visibility,
            "estimated_hours_saved": self.estimated_hours_saved,
            "suggested_skill_ids": list(self.suggested_skill_ids),
            "version": self.version,
            "created_at": _utc(self.created_at),
            "updated_at": _utc(self.updated_at),
        }


@dataclass(frozen=True, slots=True)
class Summary:
    """The owner's totals after an operation: what `#artifacts-count` and the hours show."""

    count: int
    hours_saved: float
    limit: int = LIMIT


@dataclass(frozen=True, slots=True)
class Portfolio:
    """A user's artifacts in page order with their totals (computed from the same read)."""

    entries: list[WorkArtifactEntry] = field(default_factory=list)

    @property
    def summary(self) -> Summary:
        hours = math.fsum(e.estimated_hours_saved or 0.0 for e in self.entries)
        return Summary(count=len(self.entries), hours_saved=hours)


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse_id(raw: str | UUID) -> UUID:
    """Return `raw` as a UUID; anything malformed is `NotFound`, exactly like a foreign id."""
    if isinstance(raw, UUID):
        return raw
    try:
        return UUID(str(raw))
    except (ValueError, TypeError, AttributeError):
        raise NotFound() from None


def list_artifacts(db: Database, actor: Actor) -> Portfolio:
    """Return the actor's own artifacts in page order: dated newest first, undated last,
    then newest created. One statement, served by `work_artifacts_owner_page_idx`."""
    with db.transaction(actor) as conn:
        rows = conn.execute(_LIST_OWN, (actor.tenant_id, actor.user_id, LIMIT)).fetchall()
    return Portfolio([WorkArtifactEntry.from_row(r) for r in rows])


def list_team_artifacts(db: Database, actor: Actor, owner_id: str | UUID) -> list[
    WorkArtifactEntry
]:
    """Return a colleague's `team` artifacts in page order (read-only view of their work).

    Private artifacts are invisible here by the SQL and by the read policy alike. An owner
    outside the actor's workspace simply has no rows; callers decide what that means.
    """
    owner = parse_id(owner_id)
    with db.transaction(actor) as conn:
        rows = conn.execute(_LIST_TEAM, (actor.tenant_id, owner, LIMIT)).fetchall()
    return [WorkArtifactEntry.from_row(r) for r in rows]


def get_artifact(db: Database, actor: Actor, artifact_id: str | UUID) -> WorkArtifactEntry:
    """Return one of the actor's own artifacts. Raises `NotFound` for any other id."""
    aid = parse_id(artifact_id)
    with db.transaction(actor) as conn:
        row = _select_own(conn, actor, aid)
    if row is None:
        raise NotFound()
    return WorkArtifactEntry.from_row(row)


def count_artifacts(db: Database, actor: Actor) -> Summary:
    """Return the actor's artifact count and hours-saved total."""
    with db.transaction(actor) as conn:
        row = conn.execute(
            "SELECT count(*) AS n, coalesce(sum(estimated_hours_saved), 0) AS h"
            " FROM work_artifacts WHERE tenant_id = %s AND user_id = %s",
            (actor.tenant_id, actor.user_id),
        ).fetchone()
    return Summary(count=row["n"], hours_saved=row["h"])


def create_artifact(
    db: Database, actor: Actor, values: dict[str, Any]
) -> tuple[WorkArtifactEntry, Summary]:
    """Insert an artifact owned by the actor; return it with the owner's new totals.

    `values` holds validated column values (keys from `UPDATABLE`; absent ones take their
    defaults). Raises `LimitReached` at 50 artifacts (enforced by a trigger under a per-user
    advisory lock, so concurrent creates never pass it) and `InvalidData` when a CHECK fails.
    The totals come from the same statement; under concurrent creates by the same user they
    can lag by the rows committed meanwhile (the limit itself never does).
    """
    cols = _allowed(values)
    names = [sql.Identifier("tenant_id"), sql.Identifier("user_id")]
    names += [sql.Identifier(c) for c in cols]
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id}
    params.update({c: values[c] for c in cols})
    query = sql.SQL(
        "WITH ins AS (INSERT INTO work_artifacts ({names}) VALUES ({values}) RETURNING {cols})"
        " SELECT ins.*, s.n + 1 AS owner_count,"
        " s.h + coalesce(ins.estimated_hours_saved, 0) AS owner_hours"
        " FROM ins, LATERAL (SELECT count(*) AS n,"
        " coalesce(sum(w.estimated_hours_saved), 0) AS h FROM work_artifacts w"
        " WHERE w.tenant_id = ins.tenant_id AND w.user_id = ins.user_id) s"
    ).format(
        names=sql.SQL(", ").join(names),
        values=sql.SQL(", ").join(sql.Placeholder(k) for k in ["tenant_id", "user_id", *cols]),
        cols=sql.SQL(COLUMNS),
    )
    with db.transaction(actor) as conn:
        row = conn.execute(query, params).fetchone()
    return WorkArtifactEntry.from_row(row), _summary(row)


def update_artifact(
    db: Database,
    actor: Actor,
    artifact_id: str | UUID,
    changes: dict[str, Any],
    expected_version: int | None = None,
) -> tuple[WorkArtifactEntry, Summary]:
    """Change only the given columns of one of the actor's artifacts; return it and totals.

    Columns come from the allow-list `UPDATABLE` (anything else raises `ValueError` before any
    SQL). The version goes up by one on every update (a trigger). With `expected_version`,
    the update applies only if it is still current, else `Conflict` with the saved record in
    `details["current"]`; an id that is not the actor's raises `NotFound`, whatever the
    version. Both outcomes are decided inside the same transaction.
    """
    aid = parse_id(artifact_id)
    cols = _allowed(changes)
    if cols:
        assignments = sql.SQL(", ").join(
            sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in cols
        )
    else:  # nothing to change: still an update (version + 1), which callers asked for
        assignments = sql.SQL("title = title")
    condition = sql.SQL("tenant_id = %(tenant_id)s AND id = %(id)s AND user_id = %(user_id)s")
    if expected_version is not None:
        condition += sql.SQL(" AND version = %(version)s")
    query = sql.SQL(
        "WITH upd AS (UPDATE work_artifacts SET {assignments} WHERE {condition}"
        " RETURNING {cols})"
        " SELECT upd.*, s.n + 1 AS owner_count,"
        " s.h + coalesce(upd.estimated_hours_saved, 0) AS owner_hours"
        " FROM upd, LATERAL (SELECT count(*) AS n,"
        " coalesce(sum(w.estimated_hours_saved), 0) AS h FROM work_artifacts w"
        " WHERE w.tenant_id = upd.tenant_id AND w.user_id = upd.user_id AND w.id <> upd.id) s"
    ).format(assignments=assignments, condition=condition, cols=sql.SQL(COLUMNS))
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, "id": aid}
    params["version"] = expected_version
    params.update({c: changes[c] for c in cols})
    with db.transaction(actor) as conn:
        row = conn.execute(query, params).fetchone()
        if row is None:
            current = _select_own(conn, actor, aid)
    if row is None:
        if current is None:
            raise NotFound()
        raise Conflict(current=WorkArtifactEntry.from_row(current))
    return WorkArtifactEntry.from_row(row), _summary(row)


def delete_artifact(db: Database, actor: Actor, artifact_id: str | UUID) -> Summary:
    """Delete one of the actor's artifacts; return the owner's totals without it.
    Raises `NotFound` for any id that is not the actor's."""
    aid = parse_id(artifact_id)
    with db.transaction(actor) as conn:
        row = conn.execute(
            "WITH del AS (DELETE FROM work_artifacts"
            " WHERE tenant_id = %s AND id = %s AND user_id = %s RETURNING id, tenant_id, user_id)"
            " SELECT s.n AS owner_count, s.h AS owner_hours"
            " FROM del, LATERAL (SELECT count(*) AS n,"
            " coalesce(sum(w.estimated_hours_saved), 0) AS h FROM work_artifacts w"
            " WHERE w.tenant_id = del.tenant_id AND w.user_id = del.user_id"
            " AND w.id <> del.id) s",
            (actor.tenant_id, aid, actor.user_id),
        ).fetchone()
    if row is None:
        raise NotFound()
    return _summary(row)


def _select_own(conn, actor: Actor, aid: UUID) -> dict[str, Any] | None:
    return conn.execute(_GET_OWN, (actor.tenant_id, aid, actor.user_id)).fetchone()


def _allowed(values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(UPDATABLE)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return [c for c in UPDATABLE if c in values]


def _summary(row: dict[str, Any]) -> Summary:
    return Summary(count=row["owner_count"], hours_saved=row["owner_hours"])


# --- People: members with their team work (the people page and colleagues' portfolios) -----
# Only `team` artifacts are counted, for everyone (the viewer included), so the numbers are
# the same whoever looks. Served by `work_artifacts_team_idx`.
_PEOPLE = (
    "SELECT u.id AS user_id, u.display_name, u.email,"
    " count(w.id) AS team_artifacts,"
    " coalesce(sum(w.estimated_hours_saved), 0) AS team_hours_saved"
    " FROM users u LEFT JOIN work_artifacts w"
    " ON w.tenant_id = u.tenant_id AND w.user_id = u.id AND w.visibility = 'team'"
    " WHERE u.tenant_id = %(tenant_id)s{member}"
    " GROUP BY u.id ORDER BY lower(u.display_name), u.id"
)
_LIST_PEOPLE = _PEOPLE.format(member="")
_GET_PERSON = _PEOPLE.format(member=" AND u.id = %(user_id)s")


@dataclass(frozen=True, slots=True)
class Member:
    """A workspace member with the number and hours saved of their `team` artifacts."""

    user_id: UUID
    display_name: str
    email: str
    team_artifacts: int
    team_hours_saved: float


def list_people(db: Database, actor: Actor) -> list[Member]:
    """Return the actor's workspace members by name, each with their team-artifact totals.

    Row-level security limits both tables to the actor's workspace; private artifacts are
    never counted (the SQL asks for `team` ones only, and the read policy hides others').
    """
    with db.transaction(actor) as conn:
        rows = conn.execute(_LIST_PEOPLE, {"tenant_id": actor.tenant_id}).fetchall()
    return [Member(**r) for r in rows]


def get_colleague_portfolio(
    db: Database, actor: Actor, user_id: str | UUID
) -> tuple[Member, list[WorkArtifactEntry]]:
    """Return a member of the actor's workspace and their `team` artifacts in page order,
    read in one transaction. Raises `NotFound` for an id that is unknown, malformed, or of
    someone outside the workspace (row-level security makes them absent)."""
    uid = parse_id(user_id)
    with db.transaction(actor) as conn:
        member = conn.execute(
            _GET_PERSON, {"tenant_id": actor.tenant_id, "user_id": uid}
        ).fetchone()
        if member is None:
            raise NotFound("That person is not a member of your workspace.")
        rows = conn.execute(_LIST_TEAM, (actor.tenant_id, uid, LIMIT)).fetchall()
    return Member(**member), [WorkArtifactEntry.from_row(r) for r in rows]
