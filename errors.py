"""Domain errors raised by the data layer, and the one place that maps them to HTTP.

The data modules raise these and nothing else for expected failures; views never catch them.
`register(app)` turns each into its status code with a page or an htmx fragment.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

import security


class DomainError(Exception):
    """Base class: an expected failure with a status code and a message safe to show."""

    status = 400
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.message)
        self.details = details

    @property
    def public_message(self) -> str:
        return str(self.args[0]) if self.args else self.message


class NotFound(DomainError):
    """The id is unknown, malformed, or belongs to someone else: indistinguishable on purpose."""

    status = 404
    message = "That artifact does not exist."


class Conflict(DomainError):
    """The given version is no longer current; `details["current"]` holds the saved record."""

    status = 409
    message = "Someone saved this artifact after you opened it."


class LimitReached(DomainError):
    """The user already has the maximum number of artifacts."""

    status = 409
    message = "You have reached the limit of 50 artifacts. Delete one to add another."


class InvalidData(DomainError):
    """The database refused a value (a CHECK constraint): the form layer let something through."""

    status = 422
    message = "Some values are not valid."


class DuplicateEmail(DomainError):
    """Sign-up with an email that already has an account."""

    status = 422
    message = "An account with that email already exists."


class Unavailable(DomainError):
    """The database cannot be reached right now."""

    status = 503
    message = "The service is briefly unavailable. Please try again in a moment."


# Short, calm words per status; the page and the fragment show them with the request id.
TITLES = {
    400: "That request could not be understood",
    401: "Please log in",
    403: "Not allowed",
    404: "Not found",
    405: "That action is not available here",
    409: "Conflict",
    413: "That was too much to send",
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
    429: "Please wait a minute before trying again.",
    500: "The error was logged. Please try again; if it keeps happening, quote the reference.",
    503: Unavailable.message,
}
EXPIRED = "This page has expired, so nothing was changed. Reload it and try again."
log = logging.getLogger("portfolio.errors")


def register(app: Flask) -> None:
    """Map every expected failure to its status with a short page, or a fragment for htmx.

    Domain errors get their own status; HTTP errors (400, 404, 405, 413, 429, 500, 503, ...)
    theirs; an unexpected exception becomes a 500 through Flask's InternalServerError. No
    response ever contains a traceback. A failed CSRF check says the page expired and offers
    a reload; for htmx the message goes to the `#status` region out of band.
    """
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)


def _domain_error(exc: DomainError):
    # Server-side failures keep their class message; internal detail stays in the log.
    message = exc.public_message if exc.status < 500 else type(exc).message
    headers = {"Retry-After": "5"} if isinstance(exc, Unavailable) else {}
    return render_error(exc.status, message, headers=headers)


def _csrf_error(exc: CSRFError):
    return render_error(400, EXPIRED, title="This page has expired", reload_url=_reload_url())


def _http_error(exc: HTTPException):
    if exc.code is None or exc.code < 400:  # redirects raised as exceptions pass through
        return exc
    if exc.code == 500:
        original = getattr(exc, "original_exception", None)
        log.error(
            "request_id=%s unhandled %s",
            security.current_request_id(),
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
    """Return the error page, or for htmx the status-region fragment with `HX-Reswap: none`
    (so the element that made the request is left as it was)."""
    context = {
        "status": status,
        "title": title or TITLES.get(status, "Error"),
        "message": message,
        "reload_url": reload_url,
        "request_id": security.current_request_id(),
    }
    headers = dict(headers or {})
    headers["Vary"] = "HX-Request"
    try:
        if security.is_htmx():
            headers["HX-Reswap"] = "none"
            body = render_template("errors/fragment.html", **context)
        else:
            body = render_template("errors/page.html", **context)
    except Exception:  # the page itself failed (a broken template): still no traceback
        log.exception("request_id=%s error page failed", context["request_id"])
        body = f"{context['title']}. Reference: {context['request_id']}\n"
        headers["Content-Type"] = "text/plain; charset=utf-8"
    return body, status, headers


def _reload_url() -> str:
    """The page to reload: the same-site page the request came from, else this path."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return request.path
