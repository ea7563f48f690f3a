"""Insights (SPEC §12): where the hours saved come from, summed by PostgreSQL.

`insights()` reads the actor's own artifacts (private ones included: it is their own view) in
one transaction and groups the hours saved by type, by year and by skill, with the artifacts
that save the most. Only artifacts with an estimate above zero count in the groups; an artifact
with several skills counts in full toward each of them.

`skill_evidence_sql()` is the one statement that sums artifacts per skill; the résumé of a
share link (`shares.py`) runs it over the shared artifacts, this module over the owner's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from workhistory.data.artifacts import COLUMNS, WorkArtifactEntry
from workhistory.data.db import Actor, Database, unit_of_work

TOP = 10  # artifacts in "the most hours saved"
_ORDERS = {
    "artifacts": "artifacts DESC, hours DESC, lower(skill), skill",
    "hours": "hours DESC, artifacts DESC, lower(skill), skill",
}


def skill_evidence_sql(source: str, *, order: str) -> str:
    """A statement over `source` (a SELECT of work_artifacts rows, a constant of the data
    layer): per skill id, how many of those artifacts carry it, their hours saved and the
    latest date among them, ranked by `order` ("artifacts" or "hours") first."""
    return (
        f"SELECT skill, count(*) AS artifacts,"
        " coalesce(sum(a.estimated_hours_saved), 0) AS hours, max(a.artifact_date) AS latest"
        f" FROM ({source}) AS a, unnest(a.suggested_skill_ids) AS skill"
        f" GROUP BY skill ORDER BY {_ORDERS[order]}"
    )


# The actor's artifacts that have saved time.
_WITH_HOURS = (
    "SELECT * FROM work_artifacts WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s"
    " AND estimated_hours_saved > 0"
)
_BY_TYPE = (
    "SELECT artifact_type AS key, count(*) AS artifacts, sum(estimated_hours_saved) AS hours"
    f" FROM ({_WITH_HOURS}) AS a GROUP BY artifact_type ORDER BY hours DESC, key"
)
_BY_YEAR = (
    "SELECT extract(year FROM artifact_date)::int AS key, count(*) AS artifacts,"
    " sum(estimated_hours_saved) AS hours"
    f" FROM ({_WITH_HOURS}) AS a GROUP BY 1 ORDER BY key DESC NULLS LAST"
)
_BY_SKILL = skill_evidence_sql(_WITH_HOURS, order="hours")
_TOP = (
    f"SELECT {COLUMNS} FROM ({_WITH_HOURS}) AS a"
    f" ORDER BY estimated_hours_saved DESC, artifact_date DESC NULLS LAST, id LIMIT {TOP}"
)
_TOTALS = (
    "SELECT count(*) AS artifacts, count(*) FILTER (WHERE estimated_hours_saved > 0) AS counted,"
    " coalesce(sum(estimated_hours_saved), 0) AS hours FROM work_artifacts"
    " WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s"
)


@dataclass(frozen=True, slots=True)
class Group:
    """One bar: a type, a year (None: undated) or a skill id, with its artifacts and hours."""

    key: str | int | None
    artifacts: int
    hours: float


@dataclass(frozen=True, slots=True)
class SkillEvidence:
    """A skill id with the artifacts that carry it: how many, their hours, the latest date."""

    skill: str
    artifacts: int
    hours: float
    latest: date | None


@dataclass(frozen=True, slots=True)
class Insights:
    """The actor's hours saved, grouped. `artifacts` is all of their artifacts, `counted`
    those with hours saved above zero, `hours` the total."""

    artifacts: int
    counted: int
    hours: float
    by_type: list[Group] = field(default_factory=list)
    by_year: list[Group] = field(default_factory=list)
    by_skill: list[Group] = field(default_factory=list)
    top: list[WorkArtifactEntry] = field(default_factory=list)


@unit_of_work
def insights(db: Database, actor: Actor) -> Insights:
    """Return the actor's hours saved by type, by year (undated last) and by skill, each
    largest first, and their `TOP` artifacts by hours, from one transaction (one snapshot
    per statement, READ COMMITTED like every transaction)."""
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id}
    with db.transaction(actor) as conn:
        totals = conn.execute(_TOTALS, params).fetchone()
        by_type = conn.execute(_BY_TYPE, params).fetchall()
        by_year = conn.execute(_BY_YEAR, params).fetchall()
        by_skill = conn.execute(_BY_SKILL, params).fetchall()
        top = conn.execute(_TOP, params).fetchall()
    return Insights(
        artifacts=totals["artifacts"], counted=totals["counted"], hours=totals["hours"],
        by_type=[Group(**r) for r in by_type], by_year=[Group(**r) for r in by_year],
        by_skill=[Group(r["skill"], r["artifacts"], r["hours"]) for r in by_skill],
        top=[WorkArtifactEntry.from_row(r) for r in top],
    )
