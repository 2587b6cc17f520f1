"""The reader (web/reader.py) through the access matrix: a document opened from a search
links to the results on either side of it in the caller's own search, so the previous and
next results are never documents the caller may not read; and the word boxes of a PDF page."""

from __future__ import annotations

import re

from test_matrix import get

from trawl.web.reader import matching_boxes


def _reader_links(web, caller, url: str) -> tuple[str, list[str]]:
    """The reader bar's "Result N of M" and the documents its links open."""
    page = get(web, caller, url).text
    nav = re.search(r'<nav class="reader-nav.*?</nav>', page, re.S)
    if nav is None:
        return "", []
    where = re.search(r'class="reader-where">([^<]+)<', nav.group(0))
    return (where.group(1) if where else ""), re.findall(r'href="/documents/([0-9a-f]+)\?',
                                                         nav.group(0))


def test_the_neighbours_of_a_result_are_in_the_callers_search(web, callers, notes):
    for who in ("reader", "journalist", "admin"):
        hits = get(web, callers[who], "/api/search?q=zebracorn&collapse=1").json()["hits"]
        readable = {h["id"] for h in hits}
        for position, hit in enumerate(hits):
            where, linked = _reader_links(
                web, callers[who], f"/documents/{hit['id']}?q=zebracorn&hit={position}")
            assert where == f"Result {position + 1} of {len(hits)}", (who, where)
            assert linked or len(hits) == 1, who
            assert set(linked) <= readable, who
            assert notes["secret"] not in linked or who == "admin"
        assert notes["secret"] in readable or who != "admin"


def test_a_document_outside_a_search_has_no_reader_bar(web, callers, notes):
    page = get(web, callers["admin"], f"/documents/{notes['secret']}").text
    assert 'id="reader-nav"' not in page
    assert len(re.findall(r"/static/reader\.[0-9a-f]+\.js", page)) == 1  # once, at the end
    assert "script" not in re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    page = get(web, callers["admin"], f"/documents/{notes['secret']}?q=x&hit=abc").text
    assert 'class="reader-where"' not in page  # a place that is no number: no bar
    # A search over a dataset the caller may not read: the document alone, as for a
    # dataset that does not exist (the same page).
    url = f"/documents/{notes['shared']}?q=zebracorn&hit=0&dataset="
    secret = get(web, callers["journalist"], url + "secret")
    missing = get(web, callers["journalist"], url + "no-such-set")
    assert secret.status_code == missing.status_code == 200
    assert 'class="reader-where"' not in secret.text


def test_boxes_of_the_words_that_match():
    layout = ('<page width="200.0" height="100.0">'
              '<word xMin="10.0" yMin="10.0" xMax="50.0" yMax="20.0">Fusion</word>'
              '<word xMin="60.0" yMin="10.0" xMax="90.0" yMax="20.0">Centre</word>'
              '<word xMin="100.0" yMin="10.0" xMax="150.0" yMax="20.0">bulletins</word>'
              '</page>')
    from trawl.web.highlight import query_patterns

    assert matching_boxes(layout, query_patterns('"fusion centre"')) == [
        [0.05, 0.1, 0.2, 0.1], [0.3, 0.1, 0.15, 0.1]]
    assert matching_boxes(layout, query_patterns("bulletin")) == [[0.5, 0.1, 0.25, 0.1]]
    assert matching_boxes(layout, query_patterns("type:pdf")) == []
