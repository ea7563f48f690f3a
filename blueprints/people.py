"""People: the workspace's members, colleagues' team work (read-only), invites and joining.

A colleague's page shows only their `team` artifacts, rendered with the portfolio's own row
markup minus the edit and delete controls, with the portfolio's search and filters; each has
a page of its own. Members outside the workspace, like unknown ids, are 404: row-level
security makes them absent, and so are private and deleted artifacts. Invite tokens appear
once, in the response that creates them; a used, revoked, expired or unknown token is 404 on
GET and POST alike.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.common import results, sign_up
from workhistory.data import artifacts, invites, people, skills
from workhistory.data.errors import NotFound
from workhistory.web import htmx, ratelimit
from workhistory.web.context import current_actor, get_db
from workhistory.web.forms import FilterForm, JoinForm
from workhistory.web.login import login_required

bp = Blueprint("people", __name__)

# What the status region says after each invite action.
ANNOUNCE = {
    "created": "Invite link created. Copy it now: it is shown only once.",
    "revoked": "Invite revoked: its link no longer works.",
}


@bp.get("/people")
@login_required
def index():
    """List the workspace's members and the signed-in user's open invites; with `skill`, the
    members whose team work shows that skill."""
    skill = request.args.get("skill", "").strip()[:skills.QUERY_MAX]
    return _holders(skill) if skill else _page()


def _holders(value: str):
    def unit():  # the skill and who shows it: one transaction
        with get_db().transaction(current_actor()):
            skill = skills.resolve(get_db(), current_actor(), value)
            if skill is None:
                raise NotFound("That skill is not in the catalog.")
            return skill, skills.holders(get_db(), current_actor(), skill.id)

    skill, holders = get_db().run(unit)
    return render_template("people/skill.html", skill=skill, holders=holders)


@bp.get("/people/<user_id>")
@login_required
def colleague(user_id: str):
    """Show a member's team artifacts, read-only, searched, filtered and sorted as asked."""
    form = FilterForm.from_args(request.args)
    member, portfolio = people.get_colleague_portfolio(get_db(), current_actor(), user_id,
                                                       form.filters)
    context = {
        "member": member, "is_self": member.user_id == current_user.user_id,
        "artifacts_url": url_for("people.colleague", user_id=member.user_id) + "/artifacts",
    }
    if htmx.is_htmx():
        return results(portfolio, form, url_for("people.colleague", user_id=member.user_id),
                       editable=False, list_label=f"Team artifacts of {member.display_name}",
                       empty_unit="people/_nothing_shared.html", **context)
    return render_template("people/colleague.html", portfolio=portfolio, filter_form=form,
                           **context)


@bp.get("/people/<user_id>/artifacts/<artifact_id>")
@login_required
def colleague_artifact(user_id: str, artifact_id: str):
    """Show a colleague's team artifact in full: its page, or for htmx its row."""
    artifacts_url = url_for("people.colleague", user_id=user_id) + "/artifacts"
    list_url = url_for("people.colleague", user_id=user_id)
    if htmx.is_htmx():
        entry = artifacts.get_team_artifact(get_db(), current_actor(), user_id, artifact_id)
        return htmx.answer("portfolio/_row.html", entry=entry, editable=False,
                           expanded=request.args.get("expanded") == "1", autofocus=False,
                           artifacts_url=artifacts_url, list_url=list_url)
    member, entry = people.get_colleague_artifact(get_db(), current_actor(), user_id,
                                                  artifact_id)
    return render_template("portfolio/artifact.html", entry=entry, editable=False,
                           artifacts_url=artifacts_url, list_url=list_url,
                           back_label=f"{member.display_name}’s work")


@bp.post("/invites")
@ratelimit.invite_limits
@login_required
def create_invite():
    """Create a single-use invite link and show it, this once."""

    def unit():  # create and re-list in one transaction
        with get_db().transaction(current_actor()):
            new = invites.create_invite(get_db(), current_actor())
            link = url_for("people.join", token=new.token, _external=True)
            if htmx.is_htmx():
                return _invites(201, ANNOUNCE["created"], new_link=link)
            return _page(201, ANNOUNCE["created"], new_link=link)

    return get_db().run(unit)


@bp.post("/invites/<invite_id>/revoke")
@login_required
def revoke_invite(invite_id: str):
    """Revoke one of the signed-in user's open invites."""

    def unit():  # revoke and re-list in one transaction
        with get_db().transaction(current_actor()):
            invites.revoke_invite(get_db(), current_actor(), invite_id)
            if htmx.is_htmx():
                return _invites(200, ANNOUNCE["revoked"], focus="open-invites")
        flash(ANNOUNCE["revoked"])
        return redirect(url_for("people.index"), 303)

    return get_db().run(unit)


@bp.route("/join/<token>", methods=["GET", "POST"])
@ratelimit.join_limits
def join(token: str):
    """Sign up into the workspace that sent the invite, then sign in."""
    invite = invites.find_open_invite(get_db(), token)
    return sign_up(JoinForm(), lambda values: invites.redeem(
        get_db(), token, values["email"], values["name"], values["password"],
    ), "people/join.html", invite=invite)


def _invite_context(new_link: str | None = None, focus: str | None = None) -> dict:
    return {
        "open_invites": invites.list_open_invites(get_db(), current_actor()),
        "new_link": new_link,
        "focus": focus,
    }


def _page(status: int = 200, status_message: str = "", *, new_link: str | None = None):
    def unit():  # members and open invites: one transaction
        with get_db().transaction(current_actor()):
            return people.list_people(get_db(), current_actor()), _invite_context(new_link)

    members, context = get_db().run(unit)
    return render_template(
        "people/index.html", people=members, status_message=status_message, **context
    ), status


def _invites(status: int, status_message: str, **context):
    return htmx.answer("people/_invites.html", status, status_message,
                       **_invite_context(**context))
