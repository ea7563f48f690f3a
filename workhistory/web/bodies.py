"""Request bodies (SPEC §5): forms only, and never more than `MAX_CONTENT_LENGTH` (64 KiB).

- A body over the limit gets 413 whether or not it is chunked, before anything reads it.
  Werkzeug alone stops reading a chunked body at the limit and parses what it has, so a form
  was silently cut short and saved; `BodyLimit` (WSGI middleware) reads a body of unknown
  length up to one byte past the limit first, and hands the app either the whole body with
  its length or nothing and a mark that it was too large.
- POST, PUT, PATCH and DELETE carry a form (`application/x-www-form-urlencoded` or
  `multipart/form-data`) or no body at all; anything else (JSON, text, XML...) gets 415 and
  nothing changes. Flask-WTF would otherwise read a JSON body as the form, and rules written
  for text would meet numbers and lists.
"""

from __future__ import annotations

import io

from flask import Flask, abort, current_app, request

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOO_LARGE = "portfolio.body_too_large"


class BodyLimit:
    """WSGI middleware: read a body of unknown length (chunked) up to `limit` + 1 bytes;
    pass on the whole body with its Content-Length, or an empty one marked too large."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    def __call__(self, environ, start_response):
        has_length = environ.get("CONTENT_LENGTH", "").strip() not in ("", None)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked or (not has_length and environ.get("wsgi.input_terminated")):
            body = _read(environ["wsgi.input"], self.limit + 1)
            if len(body) > self.limit:
                environ[TOO_LARGE] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
            environ["wsgi.input_terminated"] = False
        return self.app(environ, start_response)


def _read(stream, n: int) -> bytes:
    chunks, size = [], 0
    while size < n:
        chunk = stream.read(n - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _check_body() -> None:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.environ.get(TOO_LARGE) or (request.content_length or 0) > limit:
        abort(413)
    if request.method not in WRITES:
        return
    has_body = bool(request.content_length) or bool(request.headers.get("Content-Type"))
    if has_body and request.mimetype not in FORM_TYPES:
        abort(415)


def init_app(app: Flask) -> None:
    """Install the middleware and the check, which runs before every other before-request
    hook but the request id (a refused body never reaches CSRF, limits or views)."""
    app.wsgi_app = BodyLimit(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])
    app.before_request_funcs.setdefault(None, []).insert(1, _check_body)
