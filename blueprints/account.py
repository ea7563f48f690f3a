"""The account page: the signed-in user's details, password change and sessions (SPEC §7)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from workhistory.data import accounts, sessions
from workhistory.web import htmx, ratelimit
from workhistory.web.context import current_actor, get_db
from workhistory.web.forms import PasswordChangeForm
from workhistory.web.login import login_required

bp = Blueprint("account", __name__)

NOT_CURRENT = "That is not your current password."


@bp.get("/account")
@login_required
def page():
    """Show the account: details, the password form and the live sessions."""
    return _page(PasswordChangeForm(formdata=None))


@bp.post("/account/password")
@login_required
def change_password():
    """Change the password (the current one is required) and end every other session."""
    form = PasswordChangeForm()
    if form.validate():
        actor = current_actor()
        if ratelimit.checked_own_password(get_db(), actor, form.values["current_password"]):
            ended = accounts.change_password(get_db(), actor, form.values["new_password"])
            flash(_password_changed(ended))
            return redirect(url_for("account.page"), 303)
        form.current_password.errors.append(NOT_CURRENT)
    return _page(form, 422, "Password not changed: check the highlighted fields.")


@bp.post("/account/sessions/<session_id>/end")
@login_required
def end_session(session_id: str):
    """Log out one of the user's other sessions."""
    sessions.end_other(get_db(), current_actor(), session_id)
    return _ended("Logged out that session.")


@bp.post("/account/sessions/end-others")
@login_required
def end_other_sessions():
    """Log out every session of the user's but this one."""
    ended = sessions.end_others(get_db(), current_actor())
    return _ended(f"Logged out {_sessions(ended)}." if ended else "No other sessions to log out.")


def _ended(message: str):
    if htmx.is_htmx():
        return htmx.answer("account/_sessions.html", 200, message, focus="sessions-heading",
                           sessions=sessions.list_sessions(get_db(), current_actor()))
    flash(message)
    return redirect(url_for("account.page"), 303)


def _sessions(n: int) -> str:
    return f"{n} other session" if n == 1 else f"{n} other sessions"


def _password_changed(ended: int) -> str:
    if not ended:
        return "Password changed."
    return f"Password changed. {_sessions(ended).capitalize()} logged out."


def _page(form: PasswordChangeForm, status: int = 200, status_message: str = ""):
    def unit():  # the details and the sessions: one transaction
        with get_db().transaction(current_actor()):
            return (accounts.profile(get_db(), current_actor()),
                    sessions.list_sessions(get_db(), current_actor()))

    profile, live = get_db().run(unit)
    return render_template("account/page.html", form=form, profile=profile, sessions=live,
                           status_message=status_message, focus=None), status
