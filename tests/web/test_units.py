"""The web layer's helpers on their own: sanitising, file names, highlighting, parameters,
languages, folder listings; and `trawl serve` as a real process."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from markupsafe import Markup
from starlette.datastructures import QueryParams

from trawl.errors import BadRequest
from trawl.index.base import QueryError, Snippet
from trawl.storage import browse
from trawl.storage.catalog import Catalog
from trawl.web import i18n
from trawl.web.highlight import fold, highlight_text, query_patterns, snippet_html
from trawl.web.params import parse_search_params
from trawl.web.security import (
    content_disposition,
    download_type,
    safe_filename,
    sanitize_html,
)
from trawl.web.tables import csv_chunks, json_chunks

REPO = Path(__file__).resolve().parents[2]


# -- security -------------------------------------------------------------------------------
@pytest.mark.parametrize("html", [
    "<script>alert(1)</script>ok",
    '<img src=x onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<iframe src="https://evil.example/"></iframe>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    '<svg><script>alert(1)</script></svg>',
    '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>',
    '<div style="background:url(https://evil.example/x.png)">x</div>',
    '<img src="https://tracker.example/pixel.gif">',
    '<form action="https://evil.example/"><input name=a></form>',
    '<base href="https://evil.example/">',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<body onload="alert(1)">',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
])
def test_sanitize_html_removes_every_active_thing(html):
    clean = sanitize_html(html).lower()
    for bad in ("<script", "onerror", "onload", "javascript:", "<iframe", "<meta", "<svg",
                "evil.example", "tracker.example", "<form", "<base", "<object", "<embed",
                "svg+xml"):
        assert bad not in clean, (html, clean)


def test_sanitize_html_keeps_text_formatting_and_embedded_images():
    clean = sanitize_html('<p style="color: red">Hello <b>world</b></p>'
                          '<img src="data:image/png;base64,iVBORw0KGgo=" alt="logo">'
                          '<table><tr><td>cell</td></tr></table>')
    assert "<b>world</b>" in clean and "color" in clean and "<td>cell</td>" in clean
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in clean


@pytest.mark.parametrize("name, expected", [
    ("report.pdf", "report.pdf"),
    ("a/b/c/report.pdf", "report.pdf"),
    ("..\\..\\windows\\system.ini", "system.ini"),
    ('"><script>.txt', "___script_.txt"),
    ("line\nbreak\r.txt", "line_break_.txt"),
    ("evil\u202egnp.exe", "evil_gnp.exe"),
    ("...", "download"),
    ("", "download"),
])
def test_safe_filename(name, expected):
    assert safe_filename(name) == expected


def test_content_disposition_is_rfc_5987():
    value = content_disposition("dossier/café été; x=\"1\".pdf")
    assert value.startswith('attachment; filename="')
    ascii_name = value.split('filename="', 1)[1].split('"', 1)[0]
    assert ascii_name.isascii() and ";" not in ascii_name and '"' not in ascii_name
    assert "filename*=UTF-8''caf%C3%A9%20%C3%A9t%C3%A9_%20x%3D_1_.pdf" in value
    assert len(content_disposition("a" * 1000 + ".pdf")) < 700


@pytest.mark.parametrize("mime, expected", [
    ("application/pdf", "application/pdf"),
    ("text/plain", "text/plain"),
    ("text/html", "application/octet-stream"),
    ("application/xhtml+xml", "application/octet-stream"),
    ("image/svg+xml", "application/octet-stream"),
    ("application/javascript", "application/octet-stream"),
    ("text/xml", "application/octet-stream"),
    (None, "application/octet-stream"),
    ("IMAGE/PNG; charset=x", "image/png"),
])
def test_download_type_allow_list(mime, expected):
    assert download_type(mime) == expected


# -- highlighting -----------------------------------------------------------------------------
def test_fold_keeps_length():
    text = "Café ÉTÉ ﬁn İstanbul ß"
    assert len(fold(text)) == len(text)
    assert fold("Café ÉTÉ") == "cafe ete"


def test_query_patterns():
    patterns = query_patterns('"fusion center" surveil* NOT drones -budget type:pdf '
                              'title:report crme~2 (a OR b)^2')
    text = "Fusion  Center surveillance drones budget report crme a b"
    marked = str(highlight_text(text, patterns))
    assert "<mark>Fusion  Center</mark>" in marked
    assert "<mark>surveillance</mark>" in marked
    assert "<mark>report</mark>" in marked and "<mark>crme</mark>" in marked
    assert "<mark>drones</mark>" not in marked and "<mark>budget</mark>" not in marked
    assert "pdf" not in " ".join(patterns)


def test_highlight_text_escapes_and_folds():
    html = highlight_text("<script>alert('CAFÉ')</script> café", query_patterns("cafe"))
    assert isinstance(html, Markup)
    assert str(html) == ("&lt;script&gt;alert(&#39;<mark>CAFÉ</mark>&#39;)&lt;/script&gt; "
                         "<mark>café</mark>")
    assert str(highlight_text("<b>x</b>", [])) == "&lt;b&gt;x&lt;/b&gt;"


def test_snippet_html_uses_character_ranges():
    text = "été <b> crime"
    start = len("été <b> ")  # the index turns Tantivy's byte offsets into characters
    html = str(snippet_html(Snippet(text, [(start, start + 5)])))
    assert html == "été &lt;b&gt; <mark>crime</mark>"
    assert str(snippet_html(Snippet("<i>", [(0, 99)]))) == "&lt;i&gt;"


# -- parameters ---------------------------------------------------------------------------------
def test_parse_search_params():
    params = parse_search_params(QueryParams(
        "q=crime&type=pdf&type=email&filter=source:ncric&date_from=2019&date_to=2020-02"
        "&sort=date&page=3&limit=20"))
    assert params.filters == {"type": ["pdf", "email"], "source": ["ncric"]}
    assert params.offset == 40 and params.page == 3
    query = params.to_query()
    assert query.date_from.isoformat().startswith("2019-01-01")
    assert query.date_to.isoformat().startswith("2020-02-29T23:59:59")
    assert query.sort == "date_desc"
    assert query.datasets is None
    assert "type=pdf" in params.without_filter("type", "email")
    assert "type=email" not in params.without_filter("type", "email")
    assert "page=" not in params.with_filter("year", "2020")


def test_parse_search_params_strict_refuses_unknown_parameters():
    parse_search_params(QueryParams("q=x&colour=red"))
    with pytest.raises(QueryError, match="unknown parameter"):
        parse_search_params(QueryParams("q=x&colour=red"), strict=True)


# -- languages ----------------------------------------------------------------------------------
@pytest.mark.parametrize("header, expected", [
    ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
    ("en-GB,en;q=0.9,fr;q=0.8", "en"),
    ("de-DE,de;q=0.9,fr;q=0.5", "fr"),
    ("de, es", "en"),
    ("fr;q=0", "en"),
    ("", "en"),
    ("garbage;;q=abc,,", "en"),
])
def test_negotiate(header, expected):
    assert i18n.negotiate(header) == expected


def test_choose_language_order():
    assert i18n.choose_language("fr", "en", "en") == "fr"
    assert i18n.choose_language(None, "fr", "en") == "fr"
    assert i18n.choose_language("xx", None, "fr") == "fr"


def test_french_translations_load():
    # The catalogue's completeness is checked in test_i18n_access.py.
    assert i18n.load_translations("fr").gettext("Search") == "Rechercher"


# -- CSV exports ---------------------------------------------------------------------------------
def test_every_cell_of_a_table_export_is_escaped_headers_and_folders_too():
    rows = [["source", "_row", '=HYPERLINK("http://evil.example")', "Amount"],
            ["@folder", 1, "-2+3", -5], ["plain", 2, "'quoted", 3.5]]
    chunks = list(csv_chunks(iter(rows * 300)))
    assert len(chunks) > 2  # streamed, not built whole
    back = list(csv.reader(io.StringIO("".join(chunks), newline="")))
    assert back[:3] == [["source", "_row", '\'=HYPERLINK("http://evil.example")', "Amount"],
                        ["'@folder", "1", "'-2+3", "-5"], ["plain", "2", "''quoted", "3.5"]]
    assert len(back) == 900


def _failing(rows: list, error: Exception):
    """Rows as a reader yields them, then the failure of a query half-way (issue #19: an
    export sent 200, then cut the connection and left a file that looked complete)."""
    yield from rows
    raise error


@pytest.mark.parametrize(("error", "reason"), [
    (OverflowError("Python int too large to convert to SQLite INTEGER"),
     "internal error; the server log has the details"),
    (BadRequest("search inside tables needs the search index"),
     "search inside tables needs the search index"),
])
def test_an_export_that_fails_half_way_says_so_at_its_end(error, reason):
    rows = [["_row", "Name"]] + [[n, f"name {n}"] for n in range(1, 1201)]
    back = list(csv.reader(io.StringIO("".join(csv_chunks(_failing(rows, error))),
                                       newline="")))
    assert back[:-1] == [[str(cell) for cell in row] for row in rows]
    assert back[-1] == [f"# export failed: {reason}"]
    assert list(csv.reader(io.StringIO("".join(csv_chunks(iter(rows))))))[-1] == \
        ["1200", "name 1200"]   # a complete export has no such line
    body = json.loads("".join(json_chunks({"table": "t"}, _failing(
        [{"_row": n} for n in (1, 2, 3)], error))))
    assert body == {"table": "t", "rows": [{"_row": 1}, {"_row": 2}, {"_row": 3}],
                    "error": f"export failed: {reason}"}
    assert json.loads("".join(json_chunks({"table": "t"}, iter([{"_row": 1}])))) == \
        {"table": "t", "rows": [{"_row": 1}]}


# -- folder listings ------------------------------------------------------------------------------
def test_folder_listing_treats_percent_and_underscore_literally(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    ds = catalog.ensure_dataset("d", str(tmp_path))
    for path in ("a_b/x.txt", "aXb/y.txt", "a%/z.txt", "a%b/w.txt", "a/b/c.txt", "a/d.txt",
                 "a.txt", "a0/e.txt"):
        catalog.upsert_disk_file(ds.id, path, 10, 0.0)
    catalog.commit()
    assert [f.name for f in browse.list_folder(catalog, ds.id, "a_b").files] == ["x.txt"]
    assert [f.name for f in browse.list_folder(catalog, ds.id, "a%").files] == ["z.txt"]
    top = browse.list_folder(catalog, ds.id, "a")
    assert [f.name for f in top.folders] == ["b"] and [f.name for f in top.files] == ["d.txt"]
    root = browse.list_folder(catalog, ds.id, "/")
    assert [f.name for f in root.folders] == ["a", "a%", "a%b", "a0", "aXb", "a_b"]
    assert [f.name for f in root.files] == ["a.txt"]
    assert root.folders[0].files == 2 and root.folders[0].size == 20
    assert not browse.folder_exists(catalog, ds.id, "a_")
    assert browse.folder_exists(catalog, ds.id, "a/b")
    row = catalog.file_by_path(ds.id, "a/d.txt")
    before, after = browse.neighbours(catalog, row)
    assert before == [] and after == []
    catalog.close()


def test_folder_listing_sorts_by_name_date_or_size_and_dates_folders(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite")
    ds = catalog.ensure_dataset("d", str(tmp_path))
    for path, size, mtime in (("b.txt", 30, 200.0), ("a.txt", 10, 300.0), ("c.txt", 20, None),
                              ("old/x.txt", 5, 100.0), ("new/y.txt", 50, 400.0),
                              ("new/z.txt", 1, 150.0)):
        catalog.upsert_disk_file(ds.id, path, size, mtime)
    catalog.commit()

    def order(sort):
        listing = browse.list_folder(catalog, ds.id, "", sort=sort)
        return [f.name for f in listing.folders], [f.name for f in listing.files]

    assert order("name") == (["new", "old"], ["a.txt", "b.txt", "c.txt"])
    assert order("date") == (["new", "old"], ["a.txt", "b.txt", "c.txt"])  # no date: last
    assert order("size") == (["new", "old"], ["b.txt", "c.txt", "a.txt"])
    folders = {f.name: f for f in browse.list_folder(catalog, ds.id, "").folders}
    assert folders["new"].modified == 400.0 and folders["old"].modified == 100.0
    catalog.upsert_disk_file(ds.id, "old/w.txt", 500, 900.0)
    catalog.commit()
    assert order("date")[0] == ["old", "new"] and order("size")[0] == ["old", "new"]
    with pytest.raises(ValueError):
        browse.list_folder(catalog, ds.id, "", sort="path; DROP TABLE files")
    catalog.close()


# -- the server process ----------------------------------------------------------------------------
def test_trawl_serve_binds_localhost_and_prints_the_url(data_dir, admin_token):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    trawl = Path(sys.executable).parent / "trawl"
    process = subprocess.Popen(
        [str(trawl), "serve", "--data-dir", str(data_dir.root), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = process.stdout.readline() + process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in first
        deadline = time.monotonic() + 20
        while True:
            try:
                asked = urllib.request.Request(f"http://127.0.0.1:{port}/api/datasets",
                                               headers={"Authorization": f"Bearer {admin_token}"})
                with urllib.request.urlopen(asked) as answer:
                    assert b'"sample"' in answer.read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout \
            if Path("/usr/bin/ss").exists() or Path("/bin/ss").exists() else ""
        if listening:
            lines = [line for line in listening.splitlines() if f":{port} " in line]
            assert lines and all("127.0.0.1" in line for line in lines)
    finally:
        process.terminate()
        process.wait(timeout=10)
