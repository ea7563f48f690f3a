"""Who is signed in: the session cookie, the signed-in user, starting and ending sessions, and
where an anonymous visitor is sent (SPEC §5, §7).

- The browser's session is server-side (`workhistory.data.sessions`). Its cookie holds the
  workspace and user it claims and a token of 256 random bits; the database stores only the
  token's hash. The cookie is HttpOnly, SameSite=Lax, Path=/, and with
  `SESSION_COOKIE_SECURE=1` Secure and named with the `__Host-` prefix (so no other host or
  path can set or shadow it). Nothing in it is trusted by itself: every transaction of the
  request checks the session in its first statement and enters the workspace from the
  database's answer, so a session that was logged out, ended elsewhere, expired or whose user
  was removed reads and writes nothing and the request is answered as signed out.
- Flask-Login provides `current_user` and the redirect to the login page; identity comes only
  from this cookie (Flask-Login's signed-session id and remember-me cookie are never read).
- Flask's own signed cookie (`state`) keeps only what is not identity: flash messages and an
  anonymous visitor's CSRF token. A signed-in browser's CSRF token is derived from its session
  token instead (HMAC with SECRET_KEY), so it is bound to that session, changes at every login
  and cannot be planted through the other cookie.
- Anonymous requests to protected views: plain ones get 303 to the login page with `next`,
  htmx ones get `HX-Redirect` (never the login page swapped into a row).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit
from uuid import UUID

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_login import AnonymousUserMixin, LoginManager, current_user

from workhistory.data import sessions, tokens
from workhistory.data.accounts import Account
from workhistory.web import htmx

COOKIE, SECURE_COOKIE = "session", "__Host-session"
LIFETIME = timedelta(days=30)  # the session's absolute lifetime; the database enforces it
CSRF_KEY = "csrf_token"  # where Flask-WTF looks for the raw CSRF secret


class SignedInUser:
    """The user a request's session cookie claims. `actor` carries the session, so the first
    transaction checks it; `display_name` comes from that check (or makes one)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def __init__(self, tenant_id: UUID, user_id: UUID, token: str):
        self.tenant_id, self.user_id, self.token = tenant_id, user_id, token
        self.actor = sessions.actor_for(tenant_id, user_id, token)

    def get_id(self) -> str:
        return f"{self.tenant_id}:{self.user_id}"

    def confirm(self) -> None:
        """Make sure the session was checked in this request; raises `SessionEnded`."""
        if not self.actor.session.checked:
            from workhistory.web.context import get_db

            sessions.check(get_db(), self.actor)

    @property
    def display_name(self) -> str:
        self.confirm()
        return self.actor.session.display_name

    @property
    def known_name(self) -> str:
        """The display name if a transaction already checked the session, else "" (for the
        page header, which must not query the database on an error page)."""
        return self.actor.session.display_name or ""


class SessionLoginManager(LoginManager):
    """Flask-Login, loading the user from the session cookie and from nothing else."""

    def _load_user(self):
        return self._update_request_context_with_user(_user_from_cookie())


login_manager = SessionLoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says enough; no flash to render
login_manager.session_protection = None  # the server-side session is the protection


def cookie_name(app: Flask | None = None) -> str:
    app = app or current_app
    return SECURE_COOKIE if app.config.get("SESSION_COOKIE_SECURE") else COOKIE


def cookie_value(account: Account, token: str) -> str:
    return f"{account.tenant_id}.{account.user_id}.{token}"


def _cookie_parts(raw: str | None) -> tuple[UUID, UUID, str] | None:
    try:
        tenant, user, token = (raw or "").split(".")
        parts = UUID(tenant), UUID(user), token
    except ValueError:
        return None
    return parts if tokens.well_formed(token) else None


def _user_from_cookie() -> SignedInUser | None:
    parts = _cookie_parts(request.cookies.get(cookie_name()))
    return SignedInUser(*parts) if parts else None


def begin_session(account: Account) -> None:
    """Sign `account` in on a new server-side session (sign-up, login and invite joins),
    ending the session the browser held before, if any."""
    db = current_app.extensions["db"]
    old = _cookie_parts(request.cookies.get(cookie_name()))
    token = sessions.start(db, account, request.headers.get("User-Agent", ""),
                           replacing=old[2] if old else None)
    # Whatever the browser held before (a planted cookie, an old CSRF token) does not survive.
    session.clear()
    g.session_cookie = cookie_value(account, token)
    g._login_user = SignedInUser(account.tenant_id, account.user_id, token)


def end_session() -> None:
    """End the browser's session on the server (a copied cookie stops working at once) and
    forget everything the browser held."""
    parts = _cookie_parts(request.cookies.get(cookie_name()))
    if parts:
        sessions.end(current_app.extensions["db"], parts[2])
    forget_session()


def forget_session() -> None:
    """Drop the session cookie and the state cookie's contents from this response on."""
    session.clear()
    g.session_cookie = ""
    g._login_user = AnonymousUserMixin()


def login_required(view):
    """Flask-Login's `login_required`, plus: a view that ran no transaction (which would
    have checked the session) has the session checked before its answer leaves."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        response = view(*args, **kwargs)
        current_user.confirm()
        return response

    return guarded


def session_ended(_exc=None):
    """The answer to a request whose session is not alive: signed out, sent to log in."""
    forget_session()
    return _unauthorized()


class StateCookie(SecureCookieSessionInterface):
    """Flask's signed cookie, for state that is not identity. For a browser with a session
    cookie, the CSRF secret is derived from the session token and never stored here."""

    def open_session(self, app, request):
        state = super().open_session(app, request)
        parts = _cookie_parts(request.cookies.get(cookie_name(app)))
        if state is not None and parts:
            derived = hmac.new(app.secret_key.encode(), b"csrf:" + parts[2].encode(),
                               hashlib.sha256).hexdigest()
            dict.__setitem__(state, CSRF_KEY, derived)  # not a change to save
            state.csrf_derived = True
        return state

    def save_session(self, app, session, response):
        if getattr(session, "csrf_derived", False):
            dict.pop(session, CSRF_KEY, None)
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = StateCookie()
    login_manager.init_app(app)
    app.after_request(_set_cookie)


def _set_cookie(response):
    value = g.pop("session_cookie", None)
    if value is None:
        return response
    name = cookie_name()
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    if value:
        response.set_cookie(name, value, max_age=LIFETIME, path="/", secure=secure,
                            httponly=True, samesite="Lax")
    else:
        response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
    return response


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
