"""Static files and compression: what a first visit downloads, and what a return visit does not
(SPEC §8).

- Every `url_for('static', ...)` carries `?v=<content hash>`; a request with the current hash is
  answered `Cache-Control: public, max-age=31536000, immutable`, so a return visit fetches only
  the page. A changed file gets a new URL; a request with an old hash is served (the current
  file) but not pinned in caches.
- Responses are compressed by the app itself (Flask-Compress): zstd, brotli or gzip as the
  browser offers, for HTML, fragments, JSON, CSV, CSS, JS and SVG. Static files are compressed
  once per encoding and kept in memory (they are few and small); dynamic responses are
  compressed per request and never cached (they are personal).
- The favicon is a data: URI in the page (`favicon_uri`), one request fewer on a cold load.
"""

from __future__ import annotations

import hashlib
import threading
from base64 import b64encode
from pathlib import Path

from flask import Flask, request
from flask_compress import Compress

IMMUTABLE = "public, max-age=31536000, immutable"
MIMETYPES = ["text/html", "text/css", "text/plain", "text/csv", "application/javascript",
             "text/javascript", "application/json", "image/svg+xml"]


class StaticFiles:
    """Content hashes of the files in one static folder, recomputed when a file changes."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self._hashes: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def version(self, filename: str) -> str | None:
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder.resolve()) or not path.is_file():
            return None
        mtime = path.stat().st_mtime
        with self._lock:
            cached = self._hashes.get(filename)
            if cached and cached[0] == mtime:
                return cached[1]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        with self._lock:
            self._hashes[filename] = (mtime, digest)
        return digest

    def data_uri(self, filename: str, mimetype: str) -> str:
        data = b64encode((self.folder / filename).read_bytes()).decode()
        return f"data:{mimetype};base64,{data}"


class StaticOnlyCache:
    """A Flask-Compress cache backend that keeps compressed static files and nothing else.

    Flask-Compress asks the cache about every buffered response; the key function below gives
    dynamic responses an empty key, which this backend never stores."""

    def __init__(self):
        self._data: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        if key.partition(";")[2]:
            with self._lock:
                self._data[key] = value


def _cache_key(req) -> str:
    if req.endpoint == "static":
        return f"{req.path}?v={req.args.get('v', '')}"
    return ""


def init_app(app: Flask) -> None:
    files = StaticFiles(app.static_folder)
    app.extensions["static_files"] = files
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["zstd", "br", "gzip"])
    app.config.setdefault("COMPRESS_CACHE_BACKEND", StaticOnlyCache)
    app.config.setdefault("COMPRESS_CACHE_KEY", _cache_key)
    # Streamed responses (file downloads) are compressed chunk by chunk; gzip cannot be.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br"])

    @app.url_defaults
    def fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = files.version(values["filename"])
            if version:
                values["v"] = version

    Compress(app)

    # Registered after Flask-Compress, so it runs before it (Flask runs these in reverse).
    @app.after_request
    def buffer_static(response):
        if request.endpoint != "static" or response.status_code != 200:
            return response
        # send_file streams the file; buffering the (small) file lets Flask-Compress compress
        # it once and serve it from its cache afterwards.
        response.direct_passthrough = False
        response.set_data(response.get_data())
        filename = (request.view_args or {}).get("filename", "")
        if request.args.get("v") and request.args.get("v") == files.version(filename):
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    favicon_uri = files.data_uri("favicon.svg", "image/svg+xml")  # read once: it never changes

    @app.context_processor
    def favicon():
        return {"favicon_uri": favicon_uri}
