"""Responses are compressed by the app itself, as served (SPEC §8), and static files are
fingerprinted and cached for good."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli
import pytest
from backports import zstd

from tests.support import HTMX, make_artifact, sign_in

DECODE = {"br": brotli.decompress, "gzip": gzip.decompress, "zstd": zstd.decompress}
STATIC = re.compile(r'(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]{12})"')


def _without_tokens(html: str) -> str:
    html = re.sub(r'(name="csrf-token" content=|name="csrf_token" value=)"[^"]+"', r"\1", html)
    return html


@pytest.fixture
def signed_in(client, db, owner):
    for i in range(20):
        make_artifact(db, owner, title=f"Artifact {i}", description="words " * 40)
    sign_in(client, owner)
    return client


@pytest.mark.parametrize("encoding", ["br", "gzip", "zstd"])
@pytest.mark.parametrize("path,headers", [
    ("/portfolio", {}),
    ("/portfolio/artifacts/new", HTMX),  # an htmx fragment
    ("/portfolio/artifacts.json", {}),
    ("/portfolio/artifacts.csv", {}),
])
def test_dynamic_responses_are_compressed_when_asked(signed_in, encoding, path, headers):
    plain = signed_in.get(path, headers=headers)
    packed = signed_in.get(path, headers={**headers, "Accept-Encoding": encoding})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    body = DECODE[encoding](packed.data)
    assert len(packed.data) < len(body) / 2
    # The same document apart from the CSRF token, signed afresh (with the time) per page.
    assert _without_tokens(body.decode()) == _without_tokens(plain.get_data(as_text=True))


def test_the_browsers_preference_decides(signed_in):
    chrome = "gzip, deflate, br, zstd"
    assert signed_in.get("/portfolio", headers={"Accept-Encoding": chrome}).headers[
        "Content-Encoding"] == "zstd"
    assert signed_in.get("/portfolio", headers={"Accept-Encoding": "gzip;q=1, br;q=0.5"}).headers[
        "Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in signed_in.get(
        "/portfolio", headers={"Accept-Encoding": "identity"}).headers


def test_static_files_are_fingerprinted_compressed_and_immutable(client):
    page = client.get("/login").get_data(as_text=True)
    found = dict(STATIC.findall(page))
    assert {"/static/app.css", "/static/app.js", "/static/htmx-2.0.11.min.js"} <= set(found)
    for path, version in found.items():
        url = f"{path}?v={version}"
        plain = client.get(url)
        assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        for encoding, decode in DECODE.items():
            first = client.get(url, headers={"Accept-Encoding": encoding})
            again = client.get(url, headers={"Accept-Encoding": encoding})
            assert first.headers["Content-Encoding"] == encoding
            assert decode(first.data) == plain.data
            assert again.data == first.data  # compressed once, then served from memory
            assert first.headers["ETag"] != plain.headers["ETag"]  # one validator per form
            revalidated = client.get(url, headers={"Accept-Encoding": encoding,
                                                   "If-None-Match": first.headers["ETag"]})
            assert revalidated.status_code == 304


def test_static_css_and_js_are_served_minified_and_brotli_first(client, app):
    page = client.get("/login").get_data(as_text=True)
    found = dict(STATIC.findall(page))
    chrome = {"Accept-Encoding": "gzip, deflate, br, zstd"}
    for name in ("app.css", "app.js"):
        on_disk = (Path(app.static_folder) / name).read_bytes()
        url = f"/static/{name}?v={found['/static/' + name]}"
        plain = client.get(url).data
        assert len(plain) < 0.8 * len(on_disk)  # comments and indentation gone
        assert b"/*" not in plain.replace(b"/*!", b"")
        served = client.get(url, headers=chrome)
        assert served.headers["Content-Encoding"] == "br"
        assert brotli.decompress(served.data) == plain
        # brotli at its highest level: smaller than what its default level would make
        assert len(served.data) < len(brotli.compress(plain, quality=4))
    htmx = Path(app.static_folder, "htmx-2.0.11.min.js").read_bytes()
    assert client.get(f"/static/htmx-2.0.11.min.js?v={found['/static/htmx-2.0.11.min.js']}"
                      ).data == htmx  # pinned by its SRI hash: byte for byte
    assert client.get(f"/static/app.js?v={found['/static/app.js']}",
                      headers={"Accept-Encoding": "br;q=0, gzip"}).headers[
        "Content-Encoding"] == "gzip"


def _css_without_layout(css: str) -> str:
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    return re.sub(r"\s+", "", css).replace(";}", "}")


def test_minified_css_loses_only_whitespace_comments_and_last_semicolons(client, app):
    """rcssmin 1.3.0 once turned `:not(.url-text)` into `:not(.urltext)`, and the print
    style lost its exception: a minifier may drop layout, never change a character."""
    found = dict(STATIC.findall(client.get("/login").get_data(as_text=True)))
    served = client.get(f"/static/app.css?v={found['/static/app.css']}").get_data(as_text=True)
    source = (Path(app.static_folder) / "app.css").read_text()
    assert _css_without_layout(served) == _css_without_layout(source)
    assert _css_without_layout("a:not(.url-text) {}") == "a:not(.url-text){}"


def test_an_old_fingerprint_is_not_pinned_in_caches(client):
    response = client.get("/static/app.js?v=000000000000")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")


def test_the_favicon_costs_no_request(client):
    page = client.get("/login").get_data(as_text=True)
    assert re.search(r'<link rel="icon" href="data:image/svg\+xml;base64,', page)
