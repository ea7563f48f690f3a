"""People: the workspace's members, colleagues' team work (read-only), invites and joining.

A colleague's page shows only their `team` artifacts, rendered with the portfolio's own row
markup minus the edit and delete controls. Members outside the workspace, like unknown ids,
are 404: row-level security makes them absent. Invite tokens appear once, in the response
that creates them; a used, revoked, expired or unknown token is 404 on GET and POST alike.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

import artifacts
import invites
import security
from auth_forms import JoinForm
from blueprints.auth import begin_session
from errors import DuplicateEmail

bp = Blueprint("people", __name__)
bp.after_request(security.vary_on_htmx)

CREATED = "Invite link created. Copy it now: it is shown only once."
REVOKED = "Invite revoked: its link no longer works."


@bp.get("/people")
@login_required
def index():
    """List the workspace's members, and the signed-in user's open invites."""
    return _page()


@bp.get("/people/<user_id>")
@login_required
def colleague(user_id: str):
    """Show a member's team artifacts, read-only."""
    member, entries = artifacts.get_colleague_portfolio(_db(), _actor(), user_id)
    return render_template(
        "people/colleague.html",
        member=member,
        entries=entries,
        is_self=member.user_id == current_user.user_id,
    )


@bp.post("/invites")
@login_required
def create_invite():
    """Create a single-use invite link and show it, this once."""
    with _db().transaction(_actor()):  # create and re-list in one transaction
        new = invites.create_invite(_db(), _actor())
        link = url_for("people.join", token=new.token, _external=True)
        if security.is_htmx():
            return _invites_fragment(CREATED, new_link=link), 201
        return _page(CREATED, new_link=link), 201


@bp.post("/invites/<invite_id>/revoke")
@login_required
def revoke_invite(invite_id: str):
    """Revoke one of the signed-in user's open invites."""
    with _db().transaction(_actor()):  # revoke and re-list in one transaction
        invites.revoke_invite(_db(), _actor(), invite_id)
        if security.is_htmx():
            return _invites_fragment(REVOKED, focus="open-invites")
    flash(REVOKED)
    return redirect(url_for("people.index"), 303)


@bp.route("/join/<token>", methods=["GET", "POST"])
@security.join_limits
def join(token: str):
    """Sign up into the workspace that sent the invite, then sign in."""
    invite = invites.find_open_invite(_db(), token)
    form = JoinForm()
    if form.validate_on_submit():
        try:
            user = invites.redeem(
                _db(), token, form.email.data, form.name.data, form.password.data
            )
        except DuplicateEmail as exc:
            form.email.errors.append(exc.public_message)
        else:
            begin_session(user)
            return redirect(url_for("portfolio.page"), 303)
    status = 422 if form.errors else 200
    return render_template("people/join.html", form=form, invite=invite), status


def _db():
    return current_app.extensions["db"]


def _actor():
    return current_user.actor


def _invite_context(new_link: str | None, focus: str | None) -> dict:
    return {
        "open_invites": invites.list_open_invites(_db(), _actor()),
        "new_link": new_link,
        "focus": focus,
    }


def _page(status_message: str = "", *, new_link: str | None = None):
    with _db().transaction(_actor()):  # members and open invites: one transaction
        people = artifacts.list_people(_db(), _actor())
        context = _invite_context(new_link, None)
    return render_template(
        "people/index.html", people=people, status_message=status_message, **context
    )


def _invites_fragment(status_message: str, *, new_link: str | None = None,
                      focus: str | None = None):
    return render_template(
        "people/_invites_fragment.html",
        status_message=status_message,
        **_invite_context(new_link, focus),
    )
