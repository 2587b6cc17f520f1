"""Static files under hashed names (web/static_assets.py): the pages name them so, a hashed
name is cached for good and is the file whose hash it carries, a plain name is revalidated,
and nothing else is served."""

from __future__ import annotations

import hashlib
import re

import pytest

from trawl.web.static_assets import HASH_CHARS, STATIC_DIR, StaticAssets, hashed_name


def _linked(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_name_static_files_by_their_hash(client) -> None:
    page = client.get("/?q=protest")
    assert page.status_code == 200
    linked = _linked(page.text)
    assert {url.rsplit("/", 1)[1].split(".")[0] for url in linked} >= {"trawl", "favicon"}
    for url in linked:
        answer = client.get(url)
        assert answer.status_code == 200
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        digest = url.rsplit(".", 2)[1]
        assert len(digest) == HASH_CHARS
        assert hashlib.sha256(answer.content).hexdigest().startswith(digest)


def test_plain_names_are_revalidated_and_wrong_hashes_are_not_found(client) -> None:
    plain = client.get("/static/trawl.css")
    assert plain.status_code == 200 and plain.headers["cache-control"] == "no-cache"
    assert plain.headers.get("etag")
    again = client.get("/static/trawl.css", headers={"If-None-Match": plain.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/static/trawl.000000000000.css").status_code == 404
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/%2e%2e/app.py").status_code == 404


def test_vendored_files_keep_their_folder_and_version() -> None:
    assets = StaticAssets(STATIC_DIR)
    url = assets.url("vendor/cytoscape-3.34.4.min.js")
    assert re.fullmatch(r"/static/vendor/cytoscape-3\.34\.4\.min\.[0-9a-f]{12}\.js", url)
    assert hashed_name("a/b.min.js", "abc") == "a/b.min.abc.js"
    with pytest.raises(LookupError, match="missing.js"):
        assets.url("missing.js")
