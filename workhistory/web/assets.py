"""Static files and compression: what a first visit downloads, and what a return visit does not
(SPEC §8).

- Every `url_for('static', ...)` carries `?v=<content hash>`; a request with the current hash is
  answered `Cache-Control: public, max-age=31536000, immutable`, so a return visit fetches only
  the page. A changed file gets a new URL; a request with an old hash is served (the current
  file) but not pinned in caches.
- Static CSS and JS are served minified (rcssmin, rjsmin: whitespace and comments only, no
  renaming) and compressed at the highest levels (brotli 11, zstd 19, gzip 9), brotli first
  because it is the smallest for these files. Each form is made once per file version, on
  first request, and kept in memory: they are few and small. The files in `static/` stay the
  readable source.
- Dynamic responses (HTML, fragments, JSON, CSV) are compressed per request by Flask-Compress at
  its fast default levels, zstd first, and never cached (they are personal).
- The favicon is a data: URI in the page (`favicon_uri`), one request fewer on a cold load.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from base64 import b64encode
from pathlib import Path

import brotli
import rcssmin
import rjsmin
from backports import zstd
from flask import Flask, request
from flask_compress import Compress

IMMUTABLE = "public, max-age=31536000, immutable"
MIMETYPES = ["text/html", "text/css", "text/plain", "text/csv", "application/javascript",
             "text/javascript", "application/json", "image/svg+xml"]
# Already-minified files (the vendored htmx) are left as they are: its SRI hash pins its bytes.
MINIFIERS = {".css": rcssmin.cssmin, ".js": rjsmin.jsmin}
STATIC_ENCODERS = {  # in the server's order of preference when the browser accepts several
    "br": lambda data: brotli.compress(data, quality=11),
    "zstd": lambda data: zstd.compress(data, level=19),
    "gzip": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
}


class StaticFiles:
    """The files of one static folder: content hashes and the served forms, per file version.

    A version is the file's modification time; a changed file is hashed, minified and compressed
    again on its next request, so `make run` picks up edits without a restart."""

    def __init__(self, folder: str):
        self.folder = Path(folder)
        self._hashes: dict[str, tuple[float, str]] = {}
        self._served: dict[tuple[str, float, str], bytes] = {}
        self._paths: dict[str, Path] = {}
        self._lock = threading.Lock()

    def _path(self, filename: str) -> Path | None:
        # Resolving a path costs a system call per component, and every page asks for the
        # versions of its three static files: a file found once is remembered by name.
        path = self._paths.get(filename)
        if path is not None and path.is_file():
            return path
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder.resolve()) or not path.is_file():
            return None
        self._paths[filename] = path
        return path

    def version(self, filename: str) -> str | None:
        """The first 12 hex digits of the file's SHA-256, or None when there is no such file."""
        path = self._path(filename)
        if path is None:
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

    def served(self, filename: str, encoding: str | None) -> bytes | None:
        """The bytes to send for `filename` in `encoding` (None: uncompressed): minified where a
        minifier applies, then compressed. None when there is no such file."""
        path = self._path(filename)
        if path is None:
            return None
        mtime = path.stat().st_mtime
        key = (filename, mtime, encoding or "")
        with self._lock:
            found = self._served.get(key)
        if found is not None:
            return found
        if encoding is None:
            data = path.read_bytes()
            minify = MINIFIERS.get(path.suffix)
            if minify is not None:
                data = minify(data.decode()).encode()
        else:
            data = STATIC_ENCODERS[encoding](self.served(filename, None))
        with self._lock:
            # Forms of an older version of this file are dropped, so memory stays bounded.
            for old in [k for k in self._served if k[0] == filename and k[1] != mtime]:
                del self._served[old]
            self._served[key] = data
        return data

    def data_uri(self, filename: str, mimetype: str) -> str:
        data = b64encode((self.folder / filename).read_bytes()).decode()
        return f"data:{mimetype};base64,{data}"


def init_app(app: Flask) -> None:
    files = StaticFiles(app.static_folder)
    app.extensions["static_files"] = files
    app.config.setdefault("COMPRESS_MIMETYPES", MIMETYPES)
    app.config.setdefault("COMPRESS_ALGORITHM", ["zstd", "br", "gzip"])
    # Streamed responses (file downloads) are compressed chunk by chunk; gzip cannot be.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["zstd", "br"])

    @app.url_defaults
    def fingerprint(endpoint, values):
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = files.version(values["filename"])
            if version:
                values["v"] = version

    Compress(app)

    # Registered after Flask-Compress, so it runs before it (Flask runs these in reverse); the
    # Content-Encoding set here tells Flask-Compress to leave the response alone.
    @app.after_request
    def serve_static(response):
        if request.endpoint != "static" or response.status_code != 200:
            return response
        filename = (request.view_args or {}).get("filename", "")
        version = files.version(filename)
        if response.mimetype in MIMETYPES:
            encoding = request.accept_encodings.best_match(tuple(STATIC_ENCODERS))
            body = files.served(filename, encoding)
            if body is not None:
                response.direct_passthrough = False  # send_file streams; these bytes are ready
                response.set_data(body)
                if encoding:
                    response.headers["Content-Encoding"] = encoding
                response.vary.add("Accept-Encoding")
                response.set_etag(f"{version}-{encoding or 'identity'}")
                response.make_conditional(request)
        if request.args.get("v") and request.args.get("v") == version:
            response.headers["Cache-Control"] = IMMUTABLE
        return response

    favicon_uri = files.data_uri("favicon.svg", "image/svg+xml")  # read once: it never changes

    @app.context_processor
    def favicon():
        return {"favicon_uri": favicon_uri}
