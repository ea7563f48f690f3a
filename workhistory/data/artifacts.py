"""Work artifacts: the only place with SQL for them (SPEC §3, §4).

Every function runs in exactly one transaction under the caller's tenant and user (see
`Database.transaction`), so row-level security applies to every statement, and each query
also names the tenant and owner itself: ownership holds in the SQL and in the policies.
Ids that are unknown, malformed, or not the caller's raise `NotFound`: other people's artifacts
do not exist for you. Rule violations the database catches raise `InvalidData` or
`LimitReached`; a stale version raises `Conflict` carrying the saved record.

A delete moves the row to `deleted_artifacts` (migration 0032), from where `restore_artifact`
puts it back, as it was, for `UNDO_SECONDS`; the list and the delete purge the owner's
expired ones in their own statement. `work_artifacts` holds live rows only, so the limit and
every total count live artifacts alone. The list statement with its filters is built by
`workhistory.data.search`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from psycopg import sql

from workhistory.data import search
from workhistory.data.db import Actor, Database, one_row, unit_of_work
from workhistory.data.errors import Conflict, LimitReached, NotFound
from workhistory.data.skills import LABELS, Skill, is_catalog_id

LIMIT = 50
UNDO_SECONDS = 30  # migration 0032's artifact_undo_window(); tests/test_undo.py holds them equal
TYPES = ("document", "code", "analysis", "presentation", "design", "process", "other")
VISIBILITIES = ("private", "team")
# The columns a caller may change; anything else in an update is refused before SQL is built.
UPDATABLE = (
    "title",
    "description",
    "artifact_type",
    "artifact_date",
    "artifact_date_precision",
    "source_url",
    "visibility",
    "estimated_hours_saved",
    "suggested_skill_ids",
)
# How much of `artifact_date` is known (migration 0030): a month or a year is stored as its
# first day.
PRECISIONS = ("day", "month", "year")

# An entry's columns: the 14 of SPEC §3 and the date's precision. `deleted_artifacts` has the
# same ones, so a delete and a restore copy rows with this one list.
COLUMNS = (
    "id, tenant_id, user_id, title, description, artifact_type, artifact_date, source_url,"
    " visibility, estimated_hours_saved, suggested_skill_ids, version, created_at, updated_at,"
    " artifact_date_precision"
)
# What a read returns: the columns and each skill's label (SPEC §9: shown by label), so a
# page stays one statement.
READ = f"{COLUMNS}, {LABELS}"
_OWN = "tenant_id = %(tenant_id)s AND id = %(id)s AND user_id = %(user_id)s"
_GET_OWN = f"SELECT {READ} FROM work_artifacts WHERE {_OWN}"
_GET_TEAM = (
    f"SELECT {READ} FROM work_artifacts WHERE tenant_id = %(tenant_id)s AND id = %(id)s"
    " AND user_id = %(owner_id)s AND visibility = 'team'"
)
# A row (the CTE `w`: written, restored or read) with the owner's totals, in one statement:
# the totals of the owner's other rows (migration 0006), plus the row itself.
_WITH_TOTALS = (
    "SELECT w.*, t.n + 1 AS owner_count,"
    " t.h + coalesce(w.estimated_hours_saved, 0) AS owner_hours"
    " FROM w, artifact_owner_totals(w.tenant_id, w.user_id, w.id) t"
)
_GET_OWN_WITH_TOTALS = f"WITH w AS ({_GET_OWN}) {_WITH_TOTALS}"
# All of the owner's rows: the nil uuid is no artifact's id, so none is left out.
_TOTALS = (
    "SELECT n AS owner_count, h AS owner_hours FROM artifact_owner_totals("
    "%(tenant_id)s, %(user_id)s, '00000000-0000-0000-0000-000000000000')"
)
# The owner's deletions whose undo window has passed, removed for good.
_PURGE = (
    "purge AS (DELETE FROM deleted_artifacts WHERE tenant_id = %(tenant_id)s"
    " AND user_id = %(user_id)s AND deleted_at <= now() - artifact_undo_window())"
)
# Delete = move the row to deleted_artifacts with the share links that list it (the delete
# removes it from them: share_artifacts cascades), purge expired ones, return the totals
# without it. A data-modifying CTE's change is invisible to the rest of its statement, so the
# share links and the totals still see the row; the totals leave it out by id.
_DELETE = (
    f"WITH gone AS (DELETE FROM work_artifacts WHERE {_OWN} RETURNING {COLUMNS}),"
    f" kept AS (INSERT INTO deleted_artifacts ({COLUMNS}, share_ids) SELECT {COLUMNS},"
    " ARRAY(SELECT sa.share_id FROM share_artifacts sa"
    "       WHERE sa.tenant_id = gone.tenant_id AND sa.artifact_id = gone.id) FROM gone"
    f" RETURNING id, tenant_id, user_id, title), {_PURGE}"
    " SELECT k.title, t.n AS owner_count, t.h AS owner_hours"
    " FROM kept k, artifact_owner_totals(k.tenant_id, k.user_id, k.id) t"
)
# Restore = take the row out of deleted_artifacts while its window lasts and insert it back,
# id, version and times included (the limit trigger judges the insert like any create), and
# back on the owner's share links that listed it and still exist.
_RESTORE = (
    f"WITH back AS (DELETE FROM deleted_artifacts WHERE {_OWN}"
    f" AND deleted_at > now() - artifact_undo_window() RETURNING {COLUMNS}, share_ids),"
    f" w AS (INSERT INTO work_artifacts ({COLUMNS}) SELECT {COLUMNS} FROM back"
    f" RETURNING {READ}),"
    " relisted AS (INSERT INTO share_artifacts (tenant_id, share_id, artifact_id)"
    " SELECT b.tenant_id, s.id, b.id FROM back b JOIN shares s ON s.tenant_id = b.tenant_id"
    " AND s.user_id = b.user_id AND s.id = ANY (b.share_ids))"
    f" {_WITH_TOTALS}"
)
RESTORE_LIMIT = f"Not restored: you already have {LIMIT} artifacts, the limit."
RESTORE_GONE = f"That artifact can no longer be restored: undo lasts {UNDO_SECONDS} seconds."


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
    artifact_date_precision: str = "day"
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

    @property
    def date_iso(self) -> str | None:
        """The date in ISO 8601 as precise as it is known: `2019-03-14`, `2019-03` or `2019`."""
        return iso_date(self.artifact_date, self.artifact_date_precision)

    def to_dict(self) -> dict[str, Any]:
        """Serialise for JSON (the keys of `EXPORT_KEYS`): uuids as strings, the date in ISO
        8601 at its precision (`2019-03-14`, `2019-03`, `2019`: reduced precision says how
        much is known, so no key is added for it), times UTC with offset."""
        return {
            "id": str(self.id),
            "tenant_id": str(self.tenant_id),
            "user_id": str(self.user_id),
            "title": self.title,
            "description": self.description,
            "artifact_type": self.artifact_type,
            "artifact_date": self.date_iso,
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


# The export's keys in order: the 14 columns of SPEC §3, then the skills' labels (SPEC §9).
EXPORT_KEYS = (*(name for name in WorkArtifactEntry.__slots__
                 if name not in ("artifact_date_precision", "skill_labels")), "skills")


@dataclass(frozen=True, slots=True)
class Portfolio:
    """The artifacts a list shows, in the order asked for, with the totals of the whole
    portfolio (or, on a colleague's page, of their team artifacts) from the same statement:
    `summary.count` is N in "N of 50", `shown` is M. `years` holds every year with an
    artifact, newest first (the year filter's choices)."""

    entries: list[WorkArtifactEntry] = field(default_factory=list)
    summary: Summary = field(default_factory=lambda: Summary(0, 0.0))
    years: tuple[int, ...] = ()
    filters: search.Filters = search.NO_FILTERS

    @property
    def shown(self) -> int:
        return len(self.entries)


def iso_date(value: date | None, precision: str = "day") -> str | None:
    """`value` in ISO 8601 at `precision`; years always have four digits (`0040`)."""
    if value is None:
        return None
    if precision == "year":
        return f"{value.year:04d}"
    if precision == "month":
        return f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


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
def list_artifacts(
    db: Database, actor: Actor, filters: search.Filters = search.NO_FILTERS
) -> Portfolio:
    """Return the actor's own artifacts matching `filters`, in their order (page order by
    default, SPEC §4), with the totals of all of them, in one statement that also purges the
    actor's expired deletions. Served by `work_artifacts_owner_page_idx`."""
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id}
    with db.transaction(actor) as conn:
        rows = conn.execute(search.statement(filters, COLUMNS, LABELS, purge=_PURGE),
                            {**params, **search.params(filters)}).fetchall()
    return _portfolio(rows, filters)


@unit_of_work
def list_team_artifacts(
    db: Database, actor: Actor, owner_id: UUID, filters: search.Filters = search.NO_FILTERS
) -> Portfolio:
    """Return a colleague's `team` artifacts matching `filters`, with the totals of all their
    team artifacts (a read-only view of their work), in one statement.

    Private artifacts are invisible here by the SQL and by the read policy alike; an owner
    outside the actor's workspace simply has no rows. Served by `work_artifacts_team_idx`.
    """
    params = {"tenant_id": actor.tenant_id, "user_id": owner_id}
    with db.transaction(actor) as conn:
        rows = conn.execute(search.statement(filters, COLUMNS, LABELS, team_only=True),
                            {**params, **search.params(filters)}).fetchall()
    return _portfolio(rows, filters)


@unit_of_work
def owner_totals(db: Database, actor: Actor) -> Summary:
    """Return the actor's count and hours saved (for answers that change nothing but must
    show the totals true)."""
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id}
    with db.transaction(actor) as conn:
        row = conn.execute(_TOTALS, params).fetchone()
    return _summary(row)


@unit_of_work
def get_artifact(db: Database, actor: Actor, artifact_id: str | UUID) -> WorkArtifactEntry:
    """Return one of the actor's own artifacts. Raises `NotFound` for any other id."""
    return WorkArtifactEntry.from_row(_own(db, actor, artifact_id, _GET_OWN))


@unit_of_work
def get_artifact_and_totals(
    db: Database, actor: Actor, artifact_id: str | UUID
) -> tuple[WorkArtifactEntry, Summary]:
    """Return one of the actor's own artifacts with the owner's totals, in one statement (a
    row shown after a cancel or a discard brings the totals up to date with it). Raises
    `NotFound` for any other id."""
    row = _own(db, actor, artifact_id, _GET_OWN_WITH_TOTALS)
    return WorkArtifactEntry.from_row(row), _summary(row)


@unit_of_work
def get_team_artifact(
    db: Database, actor: Actor, owner_id: str | UUID, artifact_id: str | UUID
) -> WorkArtifactEntry:
    """Return a `team` artifact of `owner_id`, a member of the actor's workspace. Raises
    `NotFound` when it is private, deleted, someone else's, or outside the workspace."""
    params = {"tenant_id": actor.tenant_id, "owner_id": parse_id(owner_id),
              "id": parse_id(artifact_id)}
    with db.transaction(actor) as conn:
        return WorkArtifactEntry.from_row(one_row(conn, _GET_TEAM, params, NotFound()))


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
    `current` and the owner's totals in `summary`; an id that is not the actor's raises
    `NotFound`, whatever the version. Both outcomes are decided inside the same transaction.
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
        current = None
        if row is None:
            current = conn.execute(_GET_OWN_WITH_TOTALS, {**params, "id": aid}).fetchone()
    if row is None:
        if current is None:
            raise NotFound()
        raise Conflict(WorkArtifactEntry.from_row(current), summary=_summary(current))
    return WorkArtifactEntry.from_row(row), _summary(row)


@unit_of_work
def delete_artifact(db: Database, actor: Actor, artifact_id: str | UUID) -> tuple[str, Summary]:
    """Delete one of the actor's artifacts, restorable for `UNDO_SECONDS`; return its title
    and the owner's totals without it. The owner's deletions older than that are purged in
    the same statement. Raises `NotFound` for any id that is not the actor's."""
    row = _own(db, actor, artifact_id, _DELETE)
    return row["title"], _summary(row)


@unit_of_work
def restore_artifact(
    db: Database, actor: Actor, artifact_id: str | UUID
) -> tuple[WorkArtifactEntry, Summary]:
    """Undo the actor's delete of `artifact_id` within `UNDO_SECONDS` of it: the artifact comes
    back with the same id, values, version and times, and on the actor's share links that
    listed it (those that still exist). Returns it with the owner's totals.

    Raises `LimitReached` (`RESTORE_LIMIT`) when the owner is back at the limit: the insert
    goes through the same limit trigger as a create, so a restore racing creates never
    passes it. Raises `NotFound` (`RESTORE_GONE`) once the window has passed, for an id
    never deleted, and for anyone else's deletion (only the owner's rows are visible).
    """
    try:
        row = _own(db, actor, artifact_id, _RESTORE, missing=RESTORE_GONE)
    except LimitReached:
        raise LimitReached(RESTORE_LIMIT) from None
    return WorkArtifactEntry.from_row(row), _summary(row)


def _own(db: Database, actor: Actor, artifact_id: str | UUID, statement: str,
         missing: str | None = None) -> dict[str, Any]:
    """Run `statement` on one of the actor's artifacts in a transaction of its own; return
    its row, or raise `NotFound` (with `missing` as the message) when it returns none."""
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id,
              "id": parse_id(artifact_id)}
    with db.transaction(actor) as conn:
        return one_row(conn, statement, params, NotFound(missing))


def _allowed(values: dict[str, Any]) -> list[str]:
    unknown = set(values) - set(UPDATABLE)
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    return [c for c in UPDATABLE if c in values]


def _summary(row: dict[str, Any]) -> Summary:
    return Summary(count=row["owner_count"], hours_saved=row["owner_hours"])


def _portfolio(rows: list[dict[str, Any]], filters: search.Filters) -> Portfolio:
    # Every row carries the totals; with nothing matching, one row carries them alone.
    first = rows[0]
    return Portfolio(
        entries=[WorkArtifactEntry.from_row(r) for r in rows if r["id"] is not None],
        summary=Summary(count=first["total_count"], hours_saved=first["total_hours"]),
        years=tuple(sorted(first["years"], reverse=True)),
        filters=filters,
    )
