"""Work artifacts: the only place with SQL for them (SPEC §3, §4).

Every function runs in exactly one transaction under the caller's tenant and user (see
`Database.transaction`), so row-level security applies to every statement, and each query
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

from workhistory.data.db import Actor, Database, unit_of_work
from workhistory.data.errors import Conflict, NotFound
from workhistory.data.skills import Skill, is_catalog_id

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
# Each skill's label, in the artifact's order (SPEC §9: shown by label, never by id): a
# catalog skill's preferred label, a custom skill's own text. In every read and RETURNING, so
# the page stays one statement.
SKILL_LABELS = (
    "ARRAY(SELECT coalesce(s.label, r.ref)"
    " FROM unnest(suggested_skill_ids) WITH ORDINALITY AS r(ref, n)"
    " LEFT JOIN skills s ON s.id = r.ref ORDER BY r.n) AS skill_labels"
)
READ = f"{COLUMNS}, {SKILL_LABELS}"
# Page order (SPEC §4): dated newest first, undated last, then newest created.
_PAGE = (
    f"SELECT {READ} FROM work_artifacts WHERE tenant_id = %(tenant_id)s"
    " AND user_id = %(user_id)s{only} ORDER BY artifact_date DESC NULLS LAST, created_at DESC, id"
    f" LIMIT {LIMIT}"
)
_LIST_OWN = _PAGE.format(only="")  # work_artifacts_owner_page_idx
_LIST_TEAM = _PAGE.format(only=" AND visibility = 'team'")  # work_artifacts_team_idx
_GET_OWN = (
    f"SELECT {READ} FROM work_artifacts"
    " WHERE tenant_id = %(tenant_id)s AND id = %(id)s AND user_id = %(user_id)s"
)
# A write (the CTE `w`) with the owner's totals after it, in one statement: the totals of the
# owner's other rows (migration 0006), plus the written row itself when it still exists.
_WITH_TOTALS = (
    "SELECT w.*, t.n + 1 AS owner_count,"
    " t.h + coalesce(w.estimated_hours_saved, 0) AS owner_hours"
    " FROM w, artifact_owner_totals(w.tenant_id, w.user_id, w.id) t"
)
_DELETE = (
    "WITH w AS (DELETE FROM work_artifacts"
    " WHERE tenant_id = %(tenant_id)s AND id = %(id)s AND user_id = %(user_id)s"
    " RETURNING id, tenant_id, user_id)"
    " SELECT t.n AS owner_count, t.h AS owner_hours"
    " FROM w, artifact_owner_totals(w.tenant_id, w.user_id, w.id) t"
)


@dataclass(frozen=True, slots=True)
class WorkArtifactEntry:
    """One artifact as stored. `to_dict()` gives its JSON form (ISO 8601 dates and times, and
    `skills`: each skill's id and label, beside the ids of `suggested_skill_ids`)."""

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
    # Aligned with suggested_skill_ids; empty when the entry was not read from the database
    # (then each skill shows its stored value).
    skill_labels: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> WorkArtifactEntry:
        values = {name: row[name] for name in cls.__slots__ if name != "skill_labels"}
        return cls(**values, skill_labels=tuple(row.get("skill_labels") or ()))

    @property
    def skills(self) -> list[Skill]:
        """The artifact's skills in order, each with the label to show."""
        labels = self.skill_labels if len(self.skill_labels) == len(self.suggested_skill_ids) \
            else self.suggested_skill_ids
        return [Skill(ref, label, custom=not is_catalog_id(ref))
                for ref, label in zip(self.suggested_skill_ids, labels, strict=True)]

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
            "skills": [skill.to_dict() for skill in self.skills],
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


@unit_of_work
def list_artifacts(db: Database, actor: Actor) -> Portfolio:
    """Return the actor's own artifacts in page order. One statement, served by
    `work_artifacts_owner_page_idx`."""
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id}
    with db.transaction(actor) as conn:
        rows = conn.execute(_LIST_OWN, params).fetchall()
    return Portfolio([WorkArtifactEntry.from_row(r) for r in rows])


@unit_of_work
def list_team_artifacts(db: Database, actor: Actor, owner_id: UUID) -> list[WorkArtifactEntry]:
    """Return a colleague's `team` artifacts in page order (a read-only view of their work).

    Private artifacts are invisible here by the SQL and by the read policy alike; an owner
    outside the actor's workspace simply has no rows. Served by `work_artifacts_team_idx`.
    """
    params = {"tenant_id": actor.tenant_id, "user_id": owner_id}
    with db.transaction(actor) as conn:
        rows = conn.execute(_LIST_TEAM, params).fetchall()
    return [WorkArtifactEntry.from_row(r) for r in rows]


@unit_of_work
def get_artifact(db: Database, actor: Actor, artifact_id: str | UUID) -> WorkArtifactEntry:
    """Return one of the actor's own artifacts. Raises `NotFound` for any other id."""
    aid = parse_id(artifact_id)
    with db.transaction(actor) as conn:
        row = _select_own(conn, actor, aid)
    if row is None:
        raise NotFound()
    return WorkArtifactEntry.from_row(row)


@unit_of_work
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
    cols = ["tenant_id", "user_id", *_allowed(values)]
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, **values}
    query = sql.SQL("WITH w AS (INSERT INTO work_artifacts ({names}) VALUES ({values})"
                    " RETURNING {cols}) " + _WITH_TOTALS).format(
        names=sql.SQL(", ").join(map(sql.Identifier, cols)),
        values=sql.SQL(", ").join(map(sql.Placeholder, cols)),
        cols=sql.SQL(READ),
    )
    with db.transaction(actor) as conn:
        row = conn.execute(query, params).fetchone()
    return WorkArtifactEntry.from_row(row), _summary(row)


@unit_of_work
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
    `current`; an id that is not the actor's raises `NotFound`, whatever the
    version. Both outcomes are decided inside the same transaction.
    """
    aid = parse_id(artifact_id)
    cols = _allowed(changes)
    # No column given is still an update (version + 1), which is what the caller asked for.
    assignments = sql.SQL(", ").join(
        sql.SQL("{} = {}").format(sql.Identifier(c), sql.Placeholder(c)) for c in cols
    ) if cols else sql.SQL("title = title")
    condition = "tenant_id = %(tenant_id)s AND id = %(id)s AND user_id = %(user_id)s"
    if expected_version is not None:
        condition += " AND version = %(version)s"
    query = sql.SQL("WITH w AS (UPDATE work_artifacts SET {assignments} WHERE {condition}"
                    " RETURNING {cols}) " + _WITH_TOTALS).format(
        assignments=assignments, condition=sql.SQL(condition), cols=sql.SQL(READ)
    )
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, "id": aid,
              "version": expected_version, **changes}
    with db.transaction(actor) as conn:
        row = conn.execute(query, params).fetchone()
        current = _select_own(conn, actor, aid) if row is None else None
    if row is None:
        if current is None:
            raise NotFound()
        raise Conflict(WorkArtifactEntry.from_row(current))
    return WorkArtifactEntry.from_row(row), _summary(row)


@unit_of_work
def delete_artifact(db: Database, actor: Actor, artifact_id: str | UUID) -> Summary:
    """Delete one of the actor's artifacts; return the owner's totals without it.
    Raises `NotFound` for any id that is not the actor's."""
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id,
              "id": parse_id(artifact_id)}
    with db.transaction(actor) as conn:
        row = conn.execute(_DELETE, params).fetchone()
    if row is None:
        raise NotFound()
    return _summary(row)


def _select_own(conn, actor: Actor, aid: UUID) -> dict[str, Any] | None:
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, "id": aid}
    return conn.execute(_GET_OWN, params).fetchone()


def _allowed(values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(UPDATABLE)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return [c for c in UPDATABLE if c in values]


def _summary(row: dict[str, Any]) -> Summary:
    return Summary(count=row["owner_count"], hours_saved=row["owner_hours"])
