"""Share links (SPEC §12): the data module for `shares` and `share_artifacts` (migration 0040).

An owner creates a link to a read-only résumé of their work: all of their `team` artifacts,
or a chosen set of them. The token (256 random bits) exists in clear only in the answer that
creates it; the database keeps its SHA-256. A link ends when it is revoked or expires, at once:
every opening goes through `share_open()`, which answers only for a live link.

Opening a link (`open_share`) runs as a share viewer (`db.ShareViewer`): the workspace comes
from the database's answer, the user is empty and the share's restrictive policies narrow
every table to what the share shows. The queries below say the same again in their own SQL
(`_SHOWN`), so a share shows exactly its owner's artifacts that are still `team` — deleting an
artifact or making it private removes it from every share at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from uuid import UUID

from workhistory.data import tokens
from workhistory.data.artifacts import COLUMNS, WorkArtifactEntry, parse_id
from workhistory.data.db import Actor, Database, ShareViewer, one_row, unit_of_work
from workhistory.data.errors import InvalidData, NotFound, ShareNotFound
from workhistory.data.insights import SkillEvidence, skill_evidence_sql

EXPIRY_DAYS = (7, 30, 90)  # or None: never
SCOPES = ("team", "chosen")

# Which artifacts `w` the share `s` shows: the one place this is written in the app (the
# share_viewer policy of migration 0040 admits the same rows). A further condition on the
# artifacts a share may show (say, live rows only) is one edit here.
_SHOWN = (
    "w.tenant_id = s.tenant_id AND w.user_id = s.user_id AND w.visibility = 'team'"
    " AND (s.scope = 'team' OR EXISTS (SELECT 1 FROM share_artifacts sa"
    " WHERE sa.tenant_id = s.tenant_id AND sa.share_id = s.id AND sa.artifact_id = w.id))"
)
# The open share's artifacts, as a source of work_artifacts rows.
_SHARED = (
    f"SELECT w.* FROM shares s JOIN work_artifacts w ON {_SHOWN}"
    " WHERE s.tenant_id = %(tenant_id)s AND s.id = %(share_id)s"
)
_SHARED_PAGE = (
    f"SELECT {COLUMNS} FROM ({_SHARED}) AS shared"
    " ORDER BY artifact_date DESC NULLS LAST, created_at DESC, id"
)
_SHARED_SKILLS = skill_evidence_sql(_SHARED, order="artifacts")
_LIST = (
    "SELECT s.id, s.label, s.scope, s.expires_at, s.created_at, s.revoked_at, s.last_opened_at,"
    f" (SELECT count(*) FROM work_artifacts w WHERE {_SHOWN}) AS artifacts"
    " FROM shares s WHERE s.tenant_id = %(tenant_id)s AND s.user_id = %(user_id)s"
    " AND (%(only)s::uuid IS NULL OR s.id = %(only)s::uuid)"
    " ORDER BY s.created_at DESC, s.id"
)


@dataclass(frozen=True, slots=True)
class Share:
    """A link as its owner sees it (never with its token). `artifacts` is how many it shows
    now."""

    id: UUID
    label: str
    scope: str
    expires_at: datetime | None
    created_at: datetime
    revoked_at: datetime | None
    last_opened_at: datetime | None
    artifacts: int

    def status(self, now: datetime) -> str:
        """"revoked", "expired" or "live" at `now`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "live"


@dataclass(frozen=True, slots=True)
class NewShare:
    """A freshly created link and its token: the only moment the token exists in clear."""

    share: Share
    token: str


@dataclass(frozen=True, slots=True)
class Resume:
    """What a share link shows: the owner's name and workspace, the shared artifacts in page
    order, and the skills they carry with their evidence (computed from these artifacts
    only)."""

    owner_name: str
    workspace_name: str
    entries: list[WorkArtifactEntry] = field(default_factory=list)
    skills: list[SkillEvidence] = field(default_factory=list)

    @property
    def hours_saved(self) -> float:
        return sum(e.estimated_hours_saved or 0.0 for e in self.entries)

    @property
    def years(self) -> tuple[int, int] | None:
        """The first and last year of the dated artifacts, if any."""
        dates: list[date] = [e.artifact_date for e in self.entries if e.artifact_date]
        return (min(dates).year, max(dates).year) if dates else None


@unit_of_work
def create_share(db: Database, actor: Actor, label: str, scope: str, expires_in: int | None,
                 artifact_ids: list[UUID]) -> NewShare:
    """Create a link to the actor's résumé: all of their `team` artifacts (`scope` "team"),
    or those among `artifact_ids` (`scope` "chosen"), valid `expires_in` days or for good.

    Returns it with its token; the database keeps only the token's hash. Raises
    `InvalidData` when a chosen artifact is not one of the actor's `team` artifacts (deleted
    or made private since the form was shown: nothing is created). How many a user creates
    is bounded by a rate limit (web/ratelimit.py).
    """
    if scope not in SCOPES or (expires_in is not None and expires_in not in EXPIRY_DAYS):
        raise ValueError("unknown scope or expiry")
    chosen = sorted(set(artifact_ids)) if scope == "chosen" else []
    if scope == "chosen" and not chosen:
        raise InvalidData("Choose at least one artifact to share.")
    token = tokens.new_token()
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, "label": label,
              "scope": scope, "token_hash": tokens.hash_token(token),
              "expires": timedelta(days=expires_in) if expires_in else None, "ids": chosen}
    with db.transaction(actor) as conn:
        row = conn.execute(
            "INSERT INTO shares (tenant_id, user_id, label, scope, token_hash, expires_at)"
            " VALUES (%(tenant_id)s, %(user_id)s, %(label)s, %(scope)s, %(token_hash)s,"
            " now() + %(expires)s::interval) RETURNING id", params).fetchone()
        params["share_id"] = row["id"]
        added = conn.execute(
            "INSERT INTO share_artifacts (tenant_id, share_id, artifact_id)"
            " SELECT w.tenant_id, %(share_id)s, w.id FROM work_artifacts w"
            " WHERE w.tenant_id = %(tenant_id)s AND w.user_id = %(user_id)s"
            " AND w.visibility = 'team' AND w.id = ANY(%(ids)s::uuid[])", params).rowcount
        if added != len(chosen):
            raise InvalidData("One of the chosen artifacts was deleted or made private"
                              " meanwhile. Choose again.")
        share = _list(conn, actor, only=row["id"])[0]
    return NewShare(share, token)


@unit_of_work
def list_shares(db: Database, actor: Actor) -> list[Share]:
    """Return all of the actor's links, newest first, live or not, each with how many
    artifacts it shows now."""
    with db.transaction(actor) as conn:
        return _list(conn, actor)


@unit_of_work
def revoke_share(db: Database, actor: Actor, share_id: str | UUID) -> None:
    """End one of the actor's links at once (again is no error). Raises `NotFound` for an id
    that is unknown, malformed or someone else's."""
    params = (actor.tenant_id, parse_id(share_id), actor.user_id)
    with db.transaction(actor) as conn:
        one_row(conn, "UPDATE shares SET revoked_at = coalesce(revoked_at, now())"
                " WHERE tenant_id = %s AND id = %s AND user_id = %s RETURNING id", params,
                NotFound("That share link does not exist."))


@unit_of_work
def open_share(db: Database, token: str) -> Resume:
    """Return the résumé a share token shows, read in one transaction as its share viewer.

    Raises `ShareNotFound` for a revoked, expired or unknown token (and for anything not
    shaped like a token), without telling which. Notes when the link was opened.
    """
    if not tokens.well_formed(token):
        raise ShareNotFound()
    viewer = ShareViewer(tokens.hash_token(token))
    with db.transaction(viewer) as conn:
        params = {"tenant_id": viewer.tenant_id, "share_id": viewer.share_id}
        rows = conn.execute(_SHARED_PAGE, params).fetchall()
        skills = conn.execute(_SHARED_SKILLS, params).fetchall()
    return Resume(viewer.owner_name, viewer.workspace_name,
                  [WorkArtifactEntry.from_row(r) for r in rows],
                  [SkillEvidence(**r) for r in skills])


def _list(conn, actor: Actor, only: UUID | None = None) -> list[Share]:
    params = {"tenant_id": actor.tenant_id, "user_id": actor.user_id, "only": only}
    return [Share(**r) for r in conn.execute(_LIST, params).fetchall()]
