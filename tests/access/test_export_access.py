"""Exports of a search on the website (web/exports.py) and who gets what: a reader never
exports a document they cannot read, a dataset read redacted is exported masked and never as
originals, each export is audited, and the answer is streamed."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

from test_matrix import get

from trawl.search.exports import COLUMNS

EXPORT = "/api/search/export"


def _csv(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    return list(csv.DictReader(io.StringIO(response.text)))


def test_each_caller_exports_only_what_they_may_read(web, callers):
    seen = {}
    for who in ("anonymous", "reader", "journalist", "admin"):
        rows = _csv(get(web, callers[who], f"{EXPORT}.csv?q=zebracorn"))
        seen[who] = {row["dataset"] for row in rows}
        assert list(rows[0]) == list(COLUMNS)
    assert seen["anonymous"] == seen["reader"] == {"open"}
    assert seen["journalist"] == {"open", "shared"}
    assert seen["admin"] == {"open", "shared", "secret"}


def test_a_redacted_reader_exports_masked_text_and_no_originals(web, callers):
    rows = _csv(get(web, callers["reader"], f"{EXPORT}.csv?q=zebracorn"))
    text = json.dumps(rows)
    assert "leak.victim@example.org" not in text  # masked, as the search shows it
    admin = _csv(get(web, callers["admin"], f"{EXPORT}.csv?q=zebracorn&dataset=open"))
    assert "leak.victim@example.org" in json.dumps(admin)
    lines = get(web, callers["reader"], f"{EXPORT}.jsonl?q=zebracorn").text.splitlines()
    assert lines and "leak.victim@example.org" not in "".join(lines)
    for who in ("anonymous", "reader", "journalist"):
        refused = get(web, callers[who], f"{EXPORT}.zip?q=zebracorn")
        assert refused.status_code == 403, who
        assert "redacted" in refused.json()["error"]


def test_a_zip_of_datasets_read_in_full(web, callers):
    response = get(web, callers["journalist"], f"{EXPORT}.zip?q=zebracorn&dataset=shared")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert "content-length" not in response.headers  # streamed, not built first
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
        assert manifest and all(row["path"].startswith("shared/") for row in manifest)
        for row in manifest:
            assert hashlib.sha256(zf.read(row["path"])).hexdigest() == row["sha256"]
    secret = get(web, callers["journalist"], f"{EXPORT}.zip?q=zebracorn&dataset=secret")
    missing = get(web, callers["journalist"], f"{EXPORT}.zip?q=zebracorn&dataset=no-such")
    assert secret.status_code == missing.status_code == 400
    assert secret.text.replace("secret", "X") == missing.text.replace("no-such", "X")


def test_the_zip_limit_leaves_out_what_does_not_fit(app, web, callers):
    app.state.export_max_bytes = 1
    try:
        response = get(web, callers["admin"], f"{EXPORT}.zip?q=zebracorn")
    finally:
        app.state.export_max_bytes = None
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        assert zf.namelist() == ["manifest.csv"]
        manifest = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode())))
    total = len(_csv(get(web, callers["admin"], f"{EXPORT}.csv?q=zebracorn")))
    assert len(manifest) == total >= 3
    assert all("limit of 1 bytes" in row["note"] for row in manifest)


def test_exports_are_audited(app, web, callers):
    audit = app.state.audit
    before = audit.count(action="export")
    lines = get(web, callers["journalist"],
                f"{EXPORT}.jsonl?q=zebracorn&type=text").text.splitlines()
    assert audit.count(action="export") == before + 1
    entry = audit.entries(action="export", limit=1)[0]
    assert entry.actor.endswith("journalist") and entry.target == "zebracorn"
    assert entry.detail["format"] == "jsonl" and entry.detail["count"] == len(lines) > 1
    assert entry.detail["filters"] == {"type": ["text"]}


def test_bad_exports_are_refused_before_anything_is_sent(web, callers):
    for url in (f"{EXPORT}.csv", f"{EXPORT}.csv?q=x&record=rows", f"{EXPORT}.csv?q=x&bogus=1"):
        response = get(web, callers["admin"], url)
        assert response.status_code == 400 and "error" in response.json(), url


def test_the_search_page_links_its_exports(web, callers):
    page = get(web, callers["journalist"], "/?q=zebracorn&type=text").text
    assert f'{EXPORT}.csv?q=zebracorn&amp;type=text' in page
    assert f'{EXPORT}.jsonl?q=zebracorn&amp;type=text' in page
    assert "export.zip" not in page  # the open dataset is read redacted
    page = get(web, callers["journalist"], "/?q=zebracorn&dataset=shared").text
    assert f'{EXPORT}.zip?q=zebracorn&amp;dataset=shared' in page


def test_a_failure_after_the_first_line_is_the_last_line():
    from trawl.errors import Busy
    from trawl.web.exports import _jsonl

    def lines():
        yield '{"id": "a"}\n'
        raise Busy("the index is being rebuilt")

    out = list(_jsonl(lines()))
    assert out[0] == '{"id": "a"}\n'
    assert json.loads(out[1]) == {"error": "export failed: the index is being rebuilt"}
