"""The one place that maps failures to HTTP: domain errors, HTTP errors, CSRF (SPEC §5).

`register(app)` turns each into its status code with a short page, or for htmx the status
region's fragment sent with `HX-Reswap: none` (so the element that made the request is left as
it was). No response ever contains a traceback.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from workhistory.data import errors as domain
from workhistory.web import htmx, login
from workhistory.web.security import current_request_id

# Each domain error's status; a subclass takes its parent's unless listed.
STATUS = {
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.LimitReached: 409,
    domain.InvalidData: 422,
    domain.DuplicateEmail: 422,
    domain.Unavailable: 503,
    domain.SessionEnded: 401,  # answered by login.session_ended: signed out, sent to log in
}
# Short, calm words per status; the page and the fragment show them with the request id.
TITLES = {
    400: "That request could not be understood",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "That action is not available here",
    409: "Conflict",
    413: "That was too much to send",
    415: "That kind of request is not accepted",
    422: "Some values are not valid",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Briefly unavailable",
}
MESSAGES = {
    400: "The request was incomplete or malformed.",
    404: "There is nothing at this address, or it is not yours to see.",
    405: "This address does not accept that kind of request.",
    413: "The form was larger than {max_kib} KiB, so nothing was saved.",
    415: "Send the form as a web form would; nothing was changed.",
    429: "Please wait a minute before trying again.",
    500: "The error was logged. Please try again; if it keeps happening, quote the reference.",
    503: domain.Unavailable.message,
}
EXPIRED = "This page has expired, so nothing was changed. Reload it and try again."
log = logging.getLogger("portfolio.errors")


def status_of(exc: domain.DomainError) -> int:
    """The HTTP status of a domain error (400 for one this table does not know)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def init_app(app: Flask) -> None:
    """Install the handlers: domain errors get their status, HTTP errors theirs, and an
    unexpected exception becomes a 500 through Flask's InternalServerError. A failed CSRF
    check says the page expired and offers a reload."""
    app.register_error_handler(domain.DomainError, _domain_error)
    app.register_error_handler(domain.SessionEnded, login.session_ended)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)


def _domain_error(exc: domain.DomainError):
    status = status_of(exc)
    # Server-side failures keep their class message; internal detail stays in the log.
    message = exc.public_message if status < 500 else type(exc).message
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return render_error(status, message, headers=headers)


def _csrf_error(exc: CSRFError):
    return render_error(400, EXPIRED, title="This page has expired", reload_url=_reload_url())


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:  # redirects raised as exceptions pass through
        return exc
    if exc.code == 500:
        original = getattr(exc, "original_exception", None)
        log.error(
            "request_id=%s unhandled %s",
            current_request_id(),
            type(original).__name__ if original else "error",
        )
    headers = {
        name: value for name, value in exc.get_headers() if name.lower() != "content-type"
    }
    message = MESSAGES.get(exc.code) or exc.description or TITLES.get(exc.code, "")
    if exc.code == 413:
        message = message.format(max_kib=(current_app.config["MAX_CONTENT_LENGTH"] or 0) // 1024)
    return render_error(exc.code, message, headers=headers)


def render_error(
    status: int,
    message: str,
    *,
    title: str | None = None,
    reload_url: str | None = None,
    headers: dict | None = None,
):
    """Return the error page, or for htmx the status-region fragment with `HX-Reswap: none`."""
    request_id = current_request_id()
    headers = dict(headers or {})
    try:
        if htmx.is_htmx():
            text = Markup("{}").format(message)
            if reload_url:
                text += Markup(' <a href="{}">Reload the page</a>.').format(reload_url)
            if request_id:
                text += Markup(" (Error {}, reference {})").format(status, request_id)
            return htmx.answer(None, status, text, headers={**headers, "HX-Reswap": "none"})
        body = render_template(
            "errors/page.html", status=status, title=title or TITLES.get(status, "Error"),
            message=message, reload_url=reload_url, request_id=request_id,
        )
    except Exception:  # the page itself failed (a broken template): still no traceback
        log.exception("request_id=%s error page failed", request_id)
        body = f"{title or TITLES.get(status, 'Error')}. Reference: {request_id}\n"
        headers["Content-Type"] = "text/plain; charset=utf-8"
    return body, status, headers


def _reload_url() -> str:
    """The page to reload: the same-site page the request came from, else this path."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return request.path
