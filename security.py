"""Hardening shared by every request: security headers, request ids, access logs, rate limits.

`init_app(app)` wires it all; call it after `login_manager.init_app(app)` and the blueprints.

Guarantees:
- Every response (pages, fragments, errors, static files) carries `CONTENT_SECURITY_POLICY`
  (no inline script or style, no eval, no framing), `X-Content-Type-Options: nosniff`,
  `Referrer-Policy: same-origin`, and HSTS when `SESSION_COOKIE_SECURE` is on. Responses that
  are not static files are `Cache-Control: no-store`: they hold personal data and CSRF tokens.
- Every response carries `X-Request-ID`, a random id made here (never taken from the client,
  so it cannot be used to forge log lines). Error pages show it so users can quote it.
- One JSON line per request on the `portfolio.access` logger: request id, method, path, status,
  duration in ms, user id. Never the query string, headers, body or form fields, and path
  segments that are secrets (an invite `token`) are replaced by `[redacted]`.
- Rate limits (Flask-Limiter, storage from `RATELIMIT_STORAGE_URI`, memory by default):
  `login_limits` counts FAILED logins per client address and per email, so other people's
  failures never block a successful login from another address or of another account;
  `signup_limits` and `join_limits` count sign-up and invite-join submissions per address.
  The limits are config keys (`RATELIMIT_LOGIN_PER_ADDRESS`, ...), read per request.
- Anonymous requests to protected views: plain ones get 303 to the login page with `next`,
  htmx ones get `HX-Redirect` (never the login page swapped into a row).

`limiter` is one module-level object because the decorators bind to it at import time; its
storage belongs to the app most recently passed to `init_app`, which is the only app in a
server process (tests create several apps one after another, each with fresh storage).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import sys
import time
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, url_for
from flask_limiter import Limiter
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'self'",
    ]
)
STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
REQUEST_ID_HEADER = "X-Request-ID"
# View arguments whose values are secrets and never reach a log line.
SECRET_VIEW_ARGS = frozenset({"token"})
DEFAULT_LIMITS = {
    "RATELIMIT_LOGIN_PER_ADDRESS": "10 per minute",
    "RATELIMIT_LOGIN_PER_EMAIL": "5 per minute",
    "RATELIMIT_SIGNUP_PER_ADDRESS": "10 per hour",
    "RATELIMIT_JOIN_PER_ADDRESS": "20 per hour",
}

access_log = logging.getLogger("portfolio.access")


def client_address() -> str:
    """The client's address: the socket peer, or the proxy-reported one with TRUSTED_PROXIES."""
    return request.remote_addr or "unknown"


def login_email() -> str:
    """The submitted email, normalised and hashed (rate-limit keys never hold an address)."""
    email = request.form.get("email", "").strip().lower()
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def _failed(response) -> bool:
    # A refused login (401, or 400 for a bad form). A 429 is not another attempt: it never
    # reached the password check, and counting it would let one limit feed the other.
    return 400 <= response.status_code < 500 and response.status_code != 429


def _configured(key: str):
    return lambda: current_app.config[key]


# If the shared storage (Redis) fails, limits keep working per process instead of failing open
# or turning every login into a 500.
limiter = Limiter(
    key_func=client_address,
    headers_enabled=True,
    key_prefix="portfolio",
    in_memory_fallback_enabled=True,
)


def login_limits(view):
    """Limit failed POSTs to a login view per address and per email (apply under @bp.route)."""
    view = limiter.limit(
        _configured("RATELIMIT_LOGIN_PER_EMAIL"),
        key_func=login_email,
        methods=["POST"],
        deduct_when=_failed,
        scope="login-email",
    )(view)
    return limiter.limit(
        _configured("RATELIMIT_LOGIN_PER_ADDRESS"),
        methods=["POST"],
        deduct_when=_failed,
        scope="login-address",
    )(view)


def signup_limits(view):
    """Limit sign-up submissions per address, successful or not (apply under @bp.route)."""
    return limiter.limit(
        _configured("RATELIMIT_SIGNUP_PER_ADDRESS"), methods=["POST"], scope="signup"
    )(view)


def join_limits(view):
    """Limit invite-join submissions per address (apply under @bp.route)."""
    return limiter.limit(
        _configured("RATELIMIT_JOIN_PER_ADDRESS"), methods=["POST"], scope="join"
    )(view)


def is_htmx() -> bool:
    """True for an htmx request that expects a fragment (a history restore wants a page)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def vary_on_htmx(response):
    """After-request hook for blueprints whose URLs answer htmx with a fragment and plain
    requests with a page or a redirect: caches must key on the header."""
    response.vary.add("HX-Request")
    return response


def current_request_id() -> str:
    return g.get("request_id", "")


def init_app(app: Flask) -> None:
    """Install headers, request ids, the access log, the limiter and the login redirect."""
    for key, value in DEFAULT_LIMITS.items():
        app.config.setdefault(key, value)
    proxies = int(app.config.get("TRUSTED_PROXIES") or os.environ.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind N reverse proxies the socket peer is the proxy; the per-address limits need
        # the client, taken from the last N X-Forwarded-For hops (the ones we appended).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    # The limiter object outlives apps (tests make several): start each app from a clean state
    # rather than inherit the previous app's switch or its dead-storage flag.
    limiter.enabled = True
    limiter._storage_dead = False
    limiter.init_app(app)
    # First of all before-request hooks: a CSRF or size error raised by a later hook still
    # gets a request id on its error page.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_response)
    login_manager = getattr(app, "login_manager", None)
    if login_manager is not None:
        login_manager.unauthorized_handler(_unauthorized)
    if not access_log.handlers:
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.setLevel(logging.INFO)
        access_log.propagate = False


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is now (test runners and servers swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


def _start_request() -> None:
    g.request_id = secrets.token_hex(8)
    g.request_started = time.perf_counter()


def _finish_response(response):
    headers = response.headers
    for name, value in STATIC_HEADERS.items():
        headers.setdefault(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        headers.setdefault("Cache-Control", "no-store")
    if "request_id" not in g:  # a request that failed before our before_request ran
        _start_request()
    headers[REQUEST_ID_HEADER] = g.request_id
    _log(response.status_code)
    return response


def _log(status: int) -> None:
    user = g.get("_login_user")  # set only if the request looked at the user; never loads it
    record = {
        "event": "request",
        "request_id": g.request_id,
        "method": request.method,
        "path": _loggable_path(),
        "status": status,
        "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
        "user_id": str(user.user_id) if getattr(user, "is_authenticated", False) else None,
    }
    access_log.info(json.dumps(record, separators=(",", ":")))


def _loggable_path() -> str:
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_VIEW_ARGS and value:
            path = path.replace(str(value), "[redacted]")
    return path


def _unauthorized():
    """Send an anonymous visitor to the login page (303, or HX-Redirect for htmx)."""
    login_view = current_app.login_manager.login_view or "auth.login"
    if is_htmx():
        response = current_app.response_class("", status=401)
        response.headers["HX-Redirect"] = url_for(login_view, next=_htmx_page_path())
        response.headers["Vary"] = "HX-Request"
        return response
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
