"""Hardening shared by every request: security headers, request ids, access logs (SPEC §7).

`init_app(app)` wires it all.

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
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
import time

from flask import Flask, current_app, g, request
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
access_log = logging.getLogger("portfolio.access")


def current_request_id() -> str:
    return g.get("request_id", "")


def init_app(app: Flask) -> None:
    """Install the headers, request ids, the access log and the proxy fix."""
    proxies = int(app.config.get("TRUSTED_PROXIES") or os.environ.get("TRUSTED_PROXIES") or 0)
    if proxies:
        # Behind N reverse proxies the socket peer is the proxy; the per-address limits need
        # the client, taken from the last N X-Forwarded-For hops (the ones we appended).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)
    # First of all before-request hooks: a CSRF or size error raised by a later hook still
    # gets a request id on its error page.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_response)
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
