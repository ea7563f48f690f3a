"""Who is signed in: Flask-Login's manager, the signed-in user, starting and ending a session,
and where an anonymous visitor is sent (SPEC §5, §7).

Anonymous requests to protected views: plain ones get 303 to the login page with `next`,
htmx ones get `HX-Redirect` (never the login page swapped into a row).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit
from uuid import UUID

from flask import Flask, current_app, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, login_user, logout_user

from workhistory.data.accounts import Account
from workhistory.web import htmx

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says enough; no flash to render


@dataclass(frozen=True)
class SignedInUser(Account, UserMixin):
    """The signed-in user as Flask-Login sees it. Its id carries the workspace too."""

    def get_id(self) -> str:
        return f"{self.tenant_id}:{self.user_id}"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


@login_manager.user_loader
def load_user(user_id: str) -> SignedInUser | None:
    """Rebuild the signed-in user from the signed session cookie, with no database query.

    The id is "tenant:user" as issued at login; the session is signed with SECRET_KEY, so it
    cannot be forged, and every query still runs under row-level security for that pair.
    """
    try:
        tenant_id, uid = user_id.split(":")
        return SignedInUser(UUID(uid), UUID(tenant_id), session.get("display_name", ""))
    except ValueError:
        return None


def begin_session(account: Account) -> None:
    """Sign `account` in on a fresh session (sign-up, login and invite joins)."""
    # A fresh session at every login: whatever the browser held before (a planted cookie,
    # an old CSRF token) does not survive into the signed-in session.
    session.clear()
    login_user(SignedInUser(**vars(account)))
    session["display_name"] = account.display_name


def end_session() -> None:
    """Sign out and forget everything the session held."""
    logout_user()
    session.clear()


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


@login_manager.unauthorized_handler
def _unauthorized():
    """Send an anonymous visitor to the login page (303, or HX-Redirect for htmx)."""
    login_view = current_app.login_manager.login_view
    if htmx.is_htmx():
        return "", 401, htmx.redirect_header(url_for(login_view, next=_htmx_page_path()))
    next_path = None
    if request.method == "GET":  # only a GET can be replayed by following `next`
        next_path = request.full_path if request.query_string else request.path
    return redirect(url_for(login_view, next=next_path), 303)


def _htmx_page_path() -> str | None:
    # The fragment URL is not a page; come back to the page the browser showed instead.
    parts = urlsplit(request.headers.get("HX-Current-URL", ""))
    if parts.netloc != request.host or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
