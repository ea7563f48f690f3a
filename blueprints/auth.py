"""Sign-up, login and logout."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.common import sign_up
from workhistory.data import accounts
from workhistory.web import ratelimit
from workhistory.web.context import get_db
from workhistory.web.forms import LoginForm, SignupForm
from workhistory.web.login import begin_session, end_session, safe_next

bp = Blueprint("auth", __name__)

LOGIN_FAILED = "That email and password do not match an account."


@bp.get("/")
def home():
    """Send visitors to their portfolio, or to the login page."""
    target = "portfolio.page" if current_user.is_authenticated else "auth.login"
    return redirect(url_for(target), 303)


@bp.route("/signup", methods=["GET", "POST"])
@ratelimit.signup_limits
def signup():
    """Create a workspace and its first user, then sign them in."""
    return sign_up(SignupForm(), lambda values: accounts.create_workspace(
        get_db(), values["workspace"], values["email"], values["name"], values["password"],
    ), "auth/signup.html")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in with email and password; go to `next` (same-site paths only) or the portfolio."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        if current_user.is_authenticated:
            return redirect(safe_next(form.next.data), 303)
    error = None
    if form.validate_on_submit():
        user = ratelimit.checked_login(get_db(), form.values["email"], form.values["password"])
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
    """End the session on the server and forget it in the browser."""
    end_session()
    return redirect(url_for("auth.login"), 303)
