"""Sign-up, login and logout."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

import accounts
import security
from auth_forms import LoginForm, SignupForm
from errors import DuplicateEmail

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "That email and password do not match an account."


def safe_next(target: str | None) -> str:
    """Return `target` if it is a same-site path, else the portfolio URL.

    Only a path is accepted: no scheme, no host, no `//host` or `/\\host` tricks, no control
    characters, so a crafted login link can never send the user elsewhere.
    """
    fallback = url_for("portfolio.page")
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target


def begin_session(user: accounts.AccountUser) -> None:
    """Sign `user` in on a fresh session (used by sign-up, login and invite joins)."""
    # A fresh session at every login: whatever the browser held before (a planted cookie,
    # an old CSRF token) does not survive into the signed-in session.
    session.clear()
    login_user(user)
    session["display_name"] = user.display_name


@bp.route("/signup", methods=["GET", "POST"])
@security.signup_limits
def signup():
    """Create a workspace and its first user, then sign them in."""
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_workspace(
                current_app.extensions["db"],
                form.workspace.data,
                form.email.data,
                form.name.data,
                form.password.data,
            )
        except DuplicateEmail as exc:
            form.email.errors.append(exc.public_message)
        else:
            begin_session(user)
            return redirect(url_for("portfolio.page"), 303)
    status = 422 if form.errors else 200
    return render_template("auth/signup.html", form=form), status


@bp.route("/login", methods=["GET", "POST"])
@security.login_limits
def login():
    """Sign in with email and password; go to `next` (same-site paths only) or the portfolio."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data), 303)
    error = None
    if form.validate_on_submit():
        user = accounts.authenticate(
            current_app.extensions["db"], form.email.data, form.password.data
        )
        if user is not None:
            begin_session(user)
            return redirect(safe_next(form.next.data), 303)
        error = LOGIN_FAILED
    elif request.method == "POST":
        error = LOGIN_FAILED
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Sign out and forget the session."""
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"), 303)
