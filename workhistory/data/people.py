"""People: a workspace's members and their `team` work (the people page, colleagues' pages).

Row-level security limits every table to the actor's workspace, and private artifacts are never
counted or shown: the SQL asks for `team` ones only, and the read policy hides the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from workhistory.data import artifacts, search
from workhistory.data.db import Actor, Database, unit_of_work
from workhistory.data.errors import NotFound
from workhistory.data.queries import load

SQL = load("people")


@dataclass(frozen=True, slots=True)
class Member:
    """A workspace member with the number and hours saved of their `team` artifacts."""

    user_id: UUID
    display_name: str
    email: str
    team_artifacts: int
    team_hours_saved: float


@unit_of_work
def list_people(db: Database, actor: Actor) -> list[Member]:
    """Return the actor's workspace members by name, each with their team-artifact totals."""
    with db.transaction(actor) as conn:
        rows = conn.execute(SQL["members"], {"tenant_id": actor.tenant_id, "user_id": None})
        rows = rows.fetchall()
    return [Member(**r) for r in rows]


@unit_of_work
def get_colleague_portfolio(
    db: Database, actor: Actor, user_id: str | UUID,
    filters: search.Filters = search.NO_FILTERS,
) -> tuple[Member, artifacts.Portfolio]:
    """Return a member of the actor's workspace and their `team` artifacts matching
    `filters` (page order by default), read in one transaction. Raises `NotFound` for an id
    that is unknown, malformed, or of someone outside the workspace (row-level security
    makes them absent)."""
    uid = artifacts.parse_id(user_id)
    with db.transaction(actor) as conn:
        member = _member(conn, actor, uid)
        portfolio = artifacts.list_team_artifacts(db, actor, uid, filters)
    return member, portfolio


@unit_of_work
def get_colleague_artifact(
    db: Database, actor: Actor, user_id: str | UUID, artifact_id: str | UUID
) -> tuple[Member, artifacts.WorkArtifactEntry]:
    """Return a member of the actor's workspace and one of their `team` artifacts, read in
    one transaction. Raises `NotFound` for an unknown member, and for an artifact that is
    private, deleted, someone else's or outside the workspace."""
    uid = artifacts.parse_id(user_id)
    with db.transaction(actor) as conn:
        member = _member(conn, actor, uid)
        entry = artifacts.get_team_artifact(db, actor, uid, artifact_id)
    return member, entry


def _member(conn, actor: Actor, uid: UUID) -> Member:
    row = conn.execute(SQL["members"], {"tenant_id": actor.tenant_id, "user_id": uid}).fetchone()
    if row is None:
        raise NotFound("That person is not a member of your workspace.")
    return Member(**row)
