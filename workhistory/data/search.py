"""The list statement behind a portfolio and a colleague's page: search, filters, sort and
totals in one SQL statement (SPEC §10).

`statement(filters, columns)` composes it from fixed fragments (`psycopg.sql`; every value a
placeholder filled by `params(filters)`, every sort an entry of `ORDER`), so one round trip
answers a request:

- `rows`: the owner's artifacts (only `team` ones on a colleague's page), read through the
  tenant-first page index, with their search vector (migration 0031);
- `totals`: their count, hours and years, whatever the filters (N in "N of 50");
- the matching rows in the order asked for, left-joined to the totals, so that a search
  matching nothing still returns one row, with the totals and no artifact.

Under row-level security `@@` and the other filter operators are not leakproof, so PostgreSQL
applies them to the owner's rows after the index (at most 50: nothing to gain from the GIN
index, which the planner may not use here anyway). No operator is marked LEAKPROOF for it.
"""

from __future__ import annotations

from dataclasses import dataclass

from psycopg import sql

SORTS = ("date", "hours", "title", "updated")
# A user has at most this many (the limit trigger): the owner's rows are read in the page
# index's own order up to it, which keeps the planner on that index at every table size (a
# small table otherwise tempts it into a bitmap OR of both tenant-first indexes).
LIMIT = 50
# Page order (SPEC §4): newest date first, undated last; among equal dates the precise one
# first (a month or year is stored as its first day, so "2019" sorts as 1 Jan 2019, after
# everything known to be later in 2019); then newest created.
_BY_DATE = (
    "r.artifact_date DESC NULLS LAST,"
    " CASE r.artifact_date_precision WHEN 'day' THEN 0 WHEN 'month' THEN 1 ELSE 2 END,"
    " r.created_at DESC, r.id"
)
ORDER = {
    "date": _BY_DATE,
    "hours": "r.estimated_hours_saved DESC NULLS LAST, " + _BY_DATE,
    # Accents and case ignored, as in search: "Ångström" sorts with the a's.
    "title": "artifact_search_fold(r.title), r.title, r.id",
    "updated": "r.updated_at DESC, r.id",
}


@dataclass(frozen=True, slots=True)
class Filters:
    """What a list is narrowed to and how it is sorted; the defaults narrow nothing.
    Values are already valid (`workhistory.web.forms.FilterForm` drops invalid ones)."""

    q: str = ""
    artifact_type: str | None = None
    skill: str | None = None
    visibility: str | None = None
    year: int | None = None
    sort: str = "date"

    def __post_init__(self):
        if self.sort not in ORDER:
            raise ValueError(f"unknown sort {self.sort!r}")

    @property
    def active(self) -> bool:
        """True when something narrows the list (sorting alone does not)."""
        return bool(self.q or self.artifact_type or self.skill or self.visibility
                    or self.year is not None)


NO_FILTERS = Filters()

_CONDITIONS = {
    # An empty query (only punctuation, say) narrows nothing.
    "q": "(numnode(s.query) = 0 OR r.search_vector @@ s.query)",
    "artifact_type": "r.artifact_type = %(artifact_type)s",
    # A skill as stored (a catalog id, a custom skill) or a catalog skill by one of its
    # names, as the form resolves names on save (migration 0020).
    "skill": "r.suggested_skill_ids && ARRAY[%(skill)s::text, (SELECT l.skill_id"
             " FROM skill_labels l WHERE l.folded = skill_fold(%(skill)s)"
             " ORDER BY l.preferred DESC, l.skill_id LIMIT 1)]",
    "visibility": "r.visibility = %(visibility)s",
    # A month or a year lies inside its year: the first day is what is stored.
    "year": "r.artifact_date >= make_date(%(year)s::int, 1, 1)"
            " AND r.artifact_date < make_date(%(year)s::int + 1, 1, 1)",
}


def statement(filters: Filters, columns: str, labels: str, *, team_only: bool = False,
              purge: str | None = None) -> sql.Composed:
    """The list statement for `filters` over `columns` (a comma-separated list of column
    names) and `labels` (a fixed select-list expression named `skill_labels`), for the owner
    `%(user_id)s` in the tenant `%(tenant_id)s`. `team_only` keeps their `team` artifacts
    only; `purge` is a data-modifying CTE run in the same statement."""
    names = [c.strip() for c in columns.split(",")]
    given = [name for name in _CONDITIONS if _given(filters, name)]
    parts = [
        "WITH rows AS (SELECT {columns}, {labels}, search_vector FROM work_artifacts"
        " WHERE tenant_id = %(tenant_id)s AND user_id = %(user_id)s{team}"
        f" ORDER BY artifact_date DESC NULLS LAST, created_at DESC LIMIT {LIMIT}),"
        " totals AS (SELECT count(*) AS total_count,"
        " coalesce(sum(estimated_hours_saved), 0) AS total_hours,"
        " coalesce(array_agg(DISTINCT extract(year FROM artifact_date)::int)"
        " FILTER (WHERE artifact_date IS NOT NULL), '{{}}') AS years FROM rows)",
    ]
    if "q" in given:
        parts.append(", s AS (SELECT artifact_search_query(%(q)s) AS query)")
    if purge:
        parts.append(", " + purge.replace("{", "{{").replace("}", "}}"))
    parts.append(" SELECT t.total_count, t.total_hours, t.years, {selected}, r.skill_labels"
                 " FROM totals t")
    if "q" in given:
        parts.append(" CROSS JOIN s")
    on = " AND ".join(_CONDITIONS[name] for name in given) or "true"
    parts.append(f" LEFT JOIN rows r ON {on} ORDER BY {ORDER[filters.sort]}")
    return sql.SQL("".join(parts)).format(
        columns=sql.SQL(", ").join(map(sql.Identifier, names)),
        selected=sql.SQL(", ").join(sql.Identifier("r", n) for n in names),
        labels=sql.SQL(labels),
        team=sql.SQL(" AND visibility = 'team'" if team_only else ""),
    )


def params(filters: Filters) -> dict[str, object]:
    """The statement's filter parameters (only the given filters have placeholders)."""
    return {name: getattr(filters, name) for name in _CONDITIONS if _given(filters, name)}


def _given(filters: Filters, name: str) -> bool:
    value = getattr(filters, name)
    return value is not None and value != ""
