"""Skills in PostgreSQL (SPEC §9): autocomplete, what a typed value stands for, and evidence.

The catalog (`skills` and its search tables, migration 0020) is a global reference table that
the runtime role can only read; `db upgrade` loads it (workhistory/data/catalog.py). Every
function runs in one transaction under the caller's tenant and user, so the parts that read
artifacts (custom skills, evidence, who knows what) see only what row-level security lets the
caller see; their SQL also names the tenant itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from workhistory.data.db import Actor, Database, unit_of_work
from workhistory.data.queries import load

SQL = load("skills")
SEARCH_LIMIT = 10
QUERY_MAX = 100  # characters of a search read; longer text is cut, not refused
PREFIX = "esco:"
# A select-list expression: the skills of a work_artifacts row as labels, in the row's order
# (a catalog skill's preferred label, a custom skill's own text), named `skill_labels`.
LABELS = (
    "ARRAY(SELECT coalesce(s.label, r.ref)"
    " FROM unnest(suggested_skill_ids) WITH ORDINALITY AS r(ref, n)"
    " LEFT JOIN skills s ON s.id = r.ref ORDER BY r.n) AS skill_labels"
)


@dataclass(frozen=True, slots=True)
class Skill:
    """A skill as shown: its `id` (a catalog id, or a custom skill's own text) and `label`
    (a catalog skill's preferred label, or the custom text). `matched` is the label a search
    matched (an alternative label, say); `unknown` marks an esco: value not in the catalog."""

    id: str
    label: str
    custom: bool = False
    matched: str | None = None
    unknown: bool = False

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label}


@dataclass(frozen=True, slots=True)
class Evidence:
    """One skill with the artifacts that show it: their count, hours saved and latest date."""

    skill: Skill
    artifacts: int
    hours_saved: float
    latest: date | None


@dataclass(frozen=True, slots=True)
class Holder:
    """A workspace member whose team artifacts carry a skill, with those artifacts' totals."""

    user_id: UUID
    display_name: str
    artifacts: int
    hours_saved: float
    latest: date | None


def is_catalog_id(value: str) -> bool:
    return value[:len(PREFIX)].lower() == PREFIX


@unit_of_work
def search(db: Database, actor: Actor, text: str, exclude: list[str] | tuple = (),
           limit: int = SEARCH_LIMIT) -> list[Skill]:
    """Return at most `limit` skills matching `text` for autocomplete, best first (see the
    `search` query for the matching and the order): catalog skills and the caller's
    workspace's custom skills, none of `exclude`. Empty text gives an empty list."""
    text = text.strip()[:QUERY_MAX]
    if not text:
        return []
    params = {"q": text, "short": len(text) <= 2, "exclude": list(exclude), "limit": limit,
              "tenant_id": actor.tenant_id}
    with db.transaction(actor) as conn:
        # Never a prepared statement: a generic plan knows neither the text nor its length,
        # so it cannot use the index ranges the text gives (measured: 5 ms became 50).
        rows = conn.execute(SQL["search"], params, prepare=False).fetchall()
    return [Skill(r["id"], r["label"], r["custom"], r["matched"]) for r in rows]


@unit_of_work
def describe(db: Database, actor: Actor, values: list[str]) -> list[Skill]:
    """Return what each value is, in order, as a form shows it before saving: a catalog id
    or a label of one (as the skill it becomes), an unknown esco: id (`unknown`), or a custom
    skill. Reads only the catalog."""
    if not values:
        return []
    with db.transaction(actor) as conn:
        rows = conn.execute(SQL["describe"], {"refs": list(values)}).fetchall()
    return [Skill(r["id"], r["label"], r["custom"], unknown=r["unknown"]) for r in rows]


@unit_of_work
def resolve(db: Database, actor: Actor, value: str) -> Skill | None:
    """Return the skill a typed value stands for (a catalog id, a catalog label, or else a
    custom skill), or None for an esco: id that is not in the catalog or an empty value."""
    value = value.strip()
    if not value:
        return None
    (skill,) = describe(db, actor, [value])
    return None if skill.unknown else skill


@unit_of_work
def evidence(db: Database, actor: Actor) -> list[Evidence]:
    """Return the caller's own skills ranked by evidence: most artifacts first, then most
    hours saved, then the latest date. One statement."""
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id}
    with db.transaction(actor) as conn:
        rows = conn.execute(SQL["evidence"], params).fetchall()
    return [Evidence(Skill(r["id"], r["label"], r["custom"]), r["artifacts"], r["hours_saved"],
                     r["latest"]) for r in rows]


@unit_of_work
def holders(db: Database, actor: Actor, skill_id: str) -> list[Holder]:
    """Return the members of the caller's workspace whose `team` artifacts carry `skill_id`,
    most artifacts first, with those artifacts' totals. Private artifacts never count."""
    params = {"tenant_id": actor.tenant_id, "skill": skill_id}
    with db.transaction(actor) as conn:
        rows = conn.execute(SQL["people_with_skill"], params).fetchall()
    return [Holder(**r) for r in rows]
