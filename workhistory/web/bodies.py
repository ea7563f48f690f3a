"""Request bodies (SPEC §5): forms only, and never more than `MAX_CONTENT_LENGTH` (64 KiB).

- A body over the limit gets 413 whether or not it is chunked, before anything reads it.
  Werkzeug alone stops reading a chunked body at the limit and parses what it has, so a form
  was silently cut short and saved; `BodyLimit` (WSGI middleware) reads a body of unknown
  length up to one byte past the limit first, and hands the app either the whole body with
  its length or nothing and a mark that it was too large.
- One path has a larger limit (`LARGER`): the import upload, whose file may be 1 MiB, plus
  what a form around it needs. Nothing else does.
- POST, PUT, PATCH and DELETE carry a form (`application/x-www-form-urlencoded` or
  `multipart/form-data`) or no body at all; anything else (JSON, text, XML...) gets 415 and
  nothing changes. Flask-WTF would otherwise read a JSON body as the form, and rules written
  for text would meet numbers and lists.
"""

from __future__ import annotations

import io

from flask import Flask, abort, current_app, request

from workhistory.web.imports import FILE_MAX

FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
TOO_LARGE = "portfolio.body_too_large"
# Paths whose bodies may be larger than MAX_CONTENT_LENGTH: the import file (1 MiB,
# web/imports.FILE_MAX) with 64 KiB for the multipart envelope and the CSRF field.
LARGER = {"/portfolio/import": FILE_MAX + 64 * 1024}


def limit_for(path: str, default: int) -> int:
    """The body limit of a request to `path`."""
    return LARGER.get(path, default)


class BodyLimit:
    """WSGI middleware: read a body of unknown length (chunked) up to its limit + 1 bytes;
    pass on the whole body with its Content-Length, or an empty one marked too large."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    def __call__(self, environ, start_response):
        has_length = environ.get("CONTENT_LENGTH", "").strip() not in ("", None)
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        if chunked or (not has_length and environ.get("wsgi.input_terminated")):
            limit = limit_for(environ.get("PATH_INFO", ""), self.limit)
            body = _read(environ["wsgi.input"], limit + 1)
            if len(body) > limit:
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
    limit = limit_for(request.path, current_app.config["MAX_CONTENT_LENGTH"])
    request.max_content_length = limit  # what werkzeug's form parser allows (Flask 3.1)
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
