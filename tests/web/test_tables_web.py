"""Structured tables on the web, over the shared BlueLeaks-shaped dump (tables_site.py):
dataset page, table page (keyset pages, sort, filters, search, facets, exports), row page
(sanitised HTML, line breaks, survey answers, files, joins both ways), the document page's
"referenced by", row hits in search, the union view, and the refusals."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest_helpers import admin_headers  # noqa: E402
from shared_corpus import CORPUS  # noqa: E402
from tables_site import DATASET, ingested  # noqa: E402


@pytest.fixture(scope="module")
def tc(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    from fastapi.testclient import TestClient

    from trawl.web.app import create_app

    _dump, data = ingested(tmp_path_factory, CORPUS)
    with TestClient(create_app(data), headers=admin_headers(data)) as client:
        yield client


@pytest.fixture(scope="module")
def ids(tc) -> dict[tuple[str, str], dict]:
    listed = tc.get(f"/api/datasets/{DATASET}/tables", params={"all": "true"}).json()
    return {(t["folder"], t["name"]): t for t in listed["tables"]}


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def all_rows(tc, table_id: int, **params: str) -> list[dict]:
    """Every row of a view, following the keyset cursor page by page."""
    out, after = [], None
    while True:
        query = {**params, "limit": "3", **({"after": after} if after else {})}
        page = tc.get(f"/api/tables/{table_id}", params=query)
        assert page.status_code == 200, page.text
        body = page.json()
        out += body["rows"]
        after = body["next"]
        if after is None:
            return out


# -- dataset and table pages ---------------------------------------------------------------
def test_dataset_page_lists_tables_by_folder(tc, ids) -> None:
    page = tc.get(f"/datasets/{DATASET}")
    assert page.status_code == 200
    section = re.search(r'<section class="panel dataset-tables".*?</section>', page.text, re.S)
    assert section is not None
    shown = text_of(section.group(0))
    assert "ncric/" in shown and "jric/" in shown and "SARs" in shown
    sars = ids[("ncric", "SARs")]
    assert f'href="/tables/{sars["id"]}"' in section.group(0)
    listing = tc.get(f"/datasets/{DATASET}/tables")
    empty = next(t for t in ids.values() if t["header_only"])
    assert f'href="/tables/{empty["id"]}"' not in listing.text  # header-only: hidden
    assert f'href="/tables/{empty["id"]}"' in tc.get(f"/datasets/{DATASET}/tables?all=1").text
    header_only = tc.get(f"/tables/{empty['id']}")
    assert header_only.status_code == 200 and "has a header and no rows" in header_only.text
    assert "union?name=SARs" in listing.text


def test_keyset_pages_sorts_and_nulls(tc, ids) -> None:
    sars = ids[("ncric", "SARs")]
    everything = all_rows(tc, sars["id"])
    assert [r["_row"] for r in everything] == list(range(1, sars["rows"] + 1))
    for column in ("FormTimeStamp", "File2", "Category"):
        for desc in ("", "1"):
            rows = all_rows(tc, sars["id"], sort=column, desc=desc)
            assert sorted(r["_row"] for r in rows) == list(range(1, sars["rows"] + 1))
            values = [(r[column] is not None, r[column] or "", r["_row"]) for r in rows]
            assert values == sorted(values, reverse=bool(desc)), (column, desc)
    page = tc.get(f"/tables/{sars['id']}", params={"sort": "FormTimeStamp", "desc": "1",
                                                   "limit": "2"})
    assert page.status_code == 200 and 'rel="next"' in page.text


def test_filters_search_and_facets(tc, ids) -> None:
    sars = ids[("ncric", "SARs")]
    base = f"/api/tables/{sars['id']}"
    rows = tc.get(base, params={"limit": "500"}).json()["rows"]
    category = rows[0]["Category"]
    equal = tc.get(base, params={"f.Category": category, "limit": "500"}).json()
    assert equal["count"] == sum(r["Category"] == category for r in rows)
    assert {r["Category"] for r in equal["rows"]} == {category}
    word = rows[0]["BriefSummary"].split()[3]
    contains = tc.get(base, params={"c.BriefSummary": word.upper(), "limit": "500"}).json()
    assert contains["count"] == sum(word.lower() in (r["BriefSummary"] or "").lower()
                                    for r in rows)
    day = rows[0]["FormTimeStamp"][:10]
    dated = tc.get(base, params={"min.FormTimeStamp": day, "max.FormTimeStamp": day}).json()
    assert dated["count"] >= 1 and all(r["FormTimeStamp"].startswith(day)
                                       for r in dated["rows"])
    on_day = tc.get(base, params={"f.FormTimeStamp": day}).json()
    assert on_day["count"] == dated["count"]
    found = tc.get(base, params={"q": rows[0]["CaseNumber"]}).json()
    assert [r["_row"] for r in found["rows"]] == [1]
    incidents = ids[("ncric", "IncidentMap")]
    latitudes = tc.get(f"/api/tables/{incidents['id']}", params={"min.Latitude": "37",
                                                                 "max.Latitude": "38"}).json()
    assert all(37 <= r["Latitude"] <= 38 for r in latitudes["rows"])
    page = tc.get(f"/tables/{sars['id']}")
    assert 'data-facet="Category"' in page.text and 'data-facet="State"' not in page.text
    filtered = tc.get(f"/tables/{sars['id']}", params={"add_column": "Category",
                                                       "add_op": "f", "add_value": category},
                      follow_redirects=False)
    assert filtered.status_code == 303
    assert filtered.headers["location"] == f"/tables/{sars['id']}?f.Category=" + \
        quote(category, safe="").replace("%20", "+")


def test_exports_of_the_current_view(tc, ids) -> None:
    sars = ids[("ncric", "SARs")]
    rows = tc.get(f"/api/tables/{sars['id']}", params={"limit": "500"}).json()["rows"]
    category = rows[0]["Category"]
    exported = tc.get(f"/tables/{sars['id']}/export.csv", params={"f.Category": category,
                                                                  "sort": "SARsid"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    table = list(csv.reader(io.StringIO(exported.text)))
    assert table[0][:3] == ["_row", "SARsid", "FormTimeStamp"]
    assert len(table) - 1 == sum(r["Category"] == category for r in rows)
    as_json = tc.get(f"/tables/{sars['id']}/export.json", params={"f.Category": category})
    body = json.loads(as_json.text)
    assert body["table"]["name"] == "SARs" and len(body["rows"]) == len(table) - 1
    hostile = ids[("ncric", "Hostile")]
    cells = list(csv.reader(io.StringIO(tc.get(f"/tables/{hostile['id']}/export.csv").text)))
    assert cells[1][5].startswith("'=HYPERLINK")  # a spreadsheet will not run it
    assert cells[2][5] == "'-2+3"


# -- row page ----------------------------------------------------------------------------------
def test_row_page_renders_cells_safely(tc, ids) -> None:
    hostile = ids[("ncric", "Hostile")]
    page = tc.get(f"/tables/{hostile['id']}/rows/1")
    assert page.status_code == 200
    html = page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in html and "window.__pwned" not in html
    assert "onerror" not in html and "javascript:" not in html
    assert "&lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;" in html
    assert "<b>bulletin</b>" in html  # sanitised HTML is rendered, not shown as markup
    assert "<dt>How useful was this?</dt><dd>Very useful</dd>" in html
    assert "<dt>Comments</dt><dd>More maps, please</dd>" in html
    files = re.search(r'<section class="panel" id="linked-files">.*?</section>', html, re.S)
    assert files is not None and ".PDF" not in files.group(0)  # the file's real name
    assert re.search(r'href="/documents/[0-9a-f]{16}"', files.group(0))
    second = tc.get(f"/tables/{hostile['id']}/rows/2").text
    assert "Line one<br>Line two" in second
    # A header made to break SQL is only a name.
    sort = tc.get(f"/tables/{hostile['id']}",
                  params={"sort": 'Name"; DROP TABLE trawl_tables; --'})
    assert sort.status_code == 200
    assert tc.get(f"/api/datasets/{DATASET}/tables").status_code == 200


def test_row_page_joins_both_ways(tc, ids) -> None:
    documents = ids[("ncric", "Documents")]
    rows = tc.get(f"/api/tables/{documents['id']}", params={"limit": "500"}).json()["rows"]
    row = next(r for r in rows if r["DocumentCategoryID"] is not None)
    data = tc.get(f"/api/tables/{documents['id']}/rows/{row['_row']}").json()
    out = next(j for j in data["joined"] if j["table"] == "DocumentCategory")
    assert out["direction"] == "out" and out["column"] == "DocumentCategoryID"
    category_row = out["rows"][0]
    category = ids[("ncric", "DocumentCategory")]
    back = tc.get(f"/tables/{category['id']}/rows/{category_row}")
    section = re.search(r'<section class="panel joined" data-direction="in" data-table="'
                        rf'{documents["id"]}".*?</section>', back.text, re.S)
    assert section is not None
    assert f'/tables/{documents["id"]}/rows/{row["_row"]}' in section.group(0)
    page = tc.get(f"/tables/{documents['id']}/rows/{row['_row']}")
    assert 'data-direction="out"' in page.text
    sars = ids[("ncric", "SARs")]
    sar = tc.get(f"/api/tables/{sars['id']}/rows/1").json()
    assert any(j["table"] == "FormBuilder" and j["kind"] == "name" for j in sar["joined"])


def test_document_page_lists_the_rows_that_reference_it(tc, ids) -> None:
    documents = ids[("ncric", "Documents")]
    row = tc.get(f"/api/tables/{documents['id']}/rows/1").json()
    link = next(link for link in row["links"] if link["column"] == "DocFilename")
    page = tc.get(f"/documents/{link['document_id']}")
    section = re.search(r'<section class="panel referenced-by".*?</section>', page.text, re.S)
    assert section is not None
    shown = text_of(section.group(0)).replace(" :", ":")
    assert f"Documents row {row['key']}: {row['cells']['DocTitle']}" in shown
    table_file = tc.get(f"/documents/{documents['document_id']}")
    assert 'id="document-tables"' in table_file.text


# -- search, union, refusals --------------------------------------------------------------------
def test_search_finds_rows_with_their_table_key_and_cells(tc, ids) -> None:
    sars = ids[("jric", "SARs")]
    row = tc.get(f"/api/tables/{sars['id']}/rows/1").json()
    case = row["cells"]["CaseNumber"]
    page = tc.get("/", params={"q": f'"{case}"', "record": "rows"})
    assert page.status_code == 200
    hit = re.search(r'<li class="hit row-hit".*?</li>', page.text, re.S)
    assert hit is not None
    assert f'href="/tables/{sars["id"]}/rows/1"' in hit.group(0)
    assert "SARs row 1" in text_of(hit.group(0)) and "<mark>" in hit.group(0)
    assert 'data-facet="table"' in page.text
    documents_tab = tc.get("/", params={"q": "protest"})
    assert 'id="tab-rows"' in documents_tab.text and "record=rows" in documents_tab.text
    api = tc.get("/api/search", params={"q": "*", "record": "rows", "table": "SARs",
                                        "limit": "200"}).json()
    assert api["total"] == sum(t["rows"] for (_f, n), t in ids.items() if n == "SARs")
    assert all(h["record"] == "row" and h["url"].startswith("/tables/") for h in api["hits"])
    assert tc.get("/api/search", params={"q": "x", "record": "cells"}).status_code == 400


def test_union_of_one_table_across_sites(tc, ids) -> None:
    expected = ids[("ncric", "SARs")]["rows"] + ids[("jric", "SARs")]["rows"]
    page = tc.get(f"/datasets/{DATASET}/tables/union", params={"name": "SARs", "limit": "5"})
    assert page.status_code == 200
    assert f"{expected} rows" in text_of(page.text).replace(",", "")
    sources = set(re.findall(r'<td><a href="/tables/\d+">([a-z]+)</a></td>', page.text))
    assert sources <= {"ncric", "jric"} and sources
    exported = list(csv.reader(io.StringIO(
        tc.get(f"/datasets/{DATASET}/tables/union.csv", params={"name": "SARs"}).text)))
    assert exported[0][:3] == ["source", "table_id", "_row"]
    assert len(exported) - 1 == expected
    assert {r[0] for r in exported[1:]} == {"ncric", "jric"}


def test_refusals(tc, ids) -> None:
    sars = ids[("ncric", "SARs")]
    assert tc.get(f"/api/tables/{sars['id']}", params={"sort": "nope"}).status_code == 400
    assert tc.get(f"/api/tables/{sars['id']}",
                  params={"f.x) OR 1=1 --": "1"}).status_code == 400
    assert tc.get(f"/api/tables/{sars['id']}", params={"after": "!!!"}).status_code == 400
    assert tc.get(f"/api/tables/{sars['id']}", params={"limit": "100000"}).status_code == 400
    assert tc.get(f"/tables/{sars['id']}", params={"sort": "nope"}).status_code == 400
    assert tc.get("/tables/999999").status_code == 404
    assert tc.get(f"/tables/{sars['id']}/rows/999999").status_code == 404
    assert tc.get(f"/datasets/{DATASET}/tables/union",
                  params={"name": "NoSuchTable"}).status_code == 404


# -- what a new reader sees (#19) ---------------------------------------------------------------
def test_grid_links_file_cells_and_names_joined_facet_values(tc, ids) -> None:
    documents = ids[("ncric", "Documents")]
    row = tc.get(f"/api/tables/{documents['id']}/rows/1").json()
    link = next(link for link in row["links"] if link["column"] == "DocFilename")
    page = tc.get(f"/tables/{documents['id']}").text
    first = re.search(rf'<tr><td class="num"><a href="/tables/{documents["id"]}/rows/1">.*?</tr>',
                      page).group(0)
    # Each file cell links to the document the table store resolved; other cells stay text.
    found = re.findall(r'<a href="([^"]*)" class="file-ref">', first)
    assert f"/documents/{link['document_id']}" in found
    assert sorted(found) == sorted(f"/documents/{x['document_id']}" for x in row["links"])
    # The category facet shows the joined table's names, the raw id only as a tooltip.
    category = ids[("ncric", "DocumentCategory")]
    names = {r["DocumentCategoryID"]: r["CategoryName"] for r in tc.get(
        f"/api/tables/{category['id']}", params={"limit": "500"}).json()["rows"]}
    facet = re.search(r'data-facet="DocumentCategoryID".*?</section>', page, re.S).group(0)
    shown = re.findall(r'f\.DocumentCategoryID=(\d+)"[^>]*><span class="facet-name" '
                       r'title="(\d+)">([^<]*)</span>', facet)
    assert shown, facet
    for value, title, label in shown:
        assert value == title and label == names[int(value)]
    # Filtered by one of them, the chip names it too, not by its id.
    value = shown[0][0]
    filtered = tc.get(f"/tables/{documents['id']}", params={"f.DocumentCategoryID": value}).text
    chip = re.search(r'<ul class="chips".*?</ul>', filtered, re.S).group(0)
    assert f'<span title="{value}">{html.escape(names[int(value)])}</span>' in chip, chip


def test_referenced_by_entries_read_as_one_link(tc, ids) -> None:
    documents = ids[("ncric", "Documents")]
    row = tc.get(f"/api/tables/{documents['id']}/rows/1").json()
    link = next(link for link in row["links"] if link["column"] == "DocFilename")
    page = tc.get(f"/documents/{link['document_id']}").text
    section = re.search(r'<section class="panel referenced-by".*?</section>', page, re.S)
    entries = re.findall(r"<li>(.*?)</li>", section.group(0), re.S)
    assert entries
    for entry in entries:
        assert re.match(r'<a href="/tables/\d+/rows/\d+">[^<]+</a> <span', entry), entry
    assert f"Documents row {row['key']}: {row['cells']['DocTitle']}</a>" in section.group(0)
