"""The timeline on the search page and in the API (web/timeline.py): every bar is a link to
the search of its dates, whose total is the bar's count; undated results are apart."""

from __future__ import annotations

import re
from html import unescape

import pytest

BAR_LINK = re.compile(r'<a href="([^"]+)" rel="nofollow" data-start="([^"]+)" '
                      r'data-end="([^"]+)">[^<]+</a></td><td class="num">([\d,]+)</td>')


def _total(client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    return int(re.search(r'id="total" data-total="(\d+)"', page.text).group(1))


def _bars(html: str) -> list[tuple[str, str, str, int]]:
    return [(unescape(u), s, e, int(n.replace(",", ""))) for u, s, e, n in BAR_LINK.findall(html)]


def test_search_page_has_a_timeline_whose_bars_link_to_their_searches(client):
    page = client.get("/", params={"q": "*"})
    assert page.status_code == 200
    html = page.text
    assert 'id="timeline"' in html and 'data-interval="year"' in html
    assert "sent date of e-mail" in html  # the caption says which date is used
    assert '<script type="application/json" id="timeline-data">' in html
    bars = _bars(html)
    assert len(bars) >= 3
    total = _total(client, "/?q=*")
    undated = re.search(r'id="timeline-undated"[^>]*>([\d,]+) result', html)
    undated_count = int(undated.group(1).replace(",", "")) if undated else 0
    assert sum(n for *_rest, n in bars) + undated_count == total
    for url, start, end, count in bars:
        assert f"date_from={start}" in url and f"date_to={end}" in url
        assert "histogram=month" in url  # a year's bar zooms into its months
        assert _total(client, url) == count
    if undated:
        assert _total(client, unescape(re.search(r'href="([^"]+)" id="timeline-undated"',
                                                 html).group(1))) == undated_count


def test_a_zoomed_timeline_shows_months_and_a_reset_link(client):
    year_url = _bars(client.get("/", params={"q": "*"}).text)[0][0]
    html = client.get(year_url).text
    assert 'data-interval="month"' in html
    assert 'id="timeline-reset"' in html
    reset = unescape(re.search(r'href="([^"]+)" id="timeline-reset"', html).group(1))
    assert "date_from" not in reset and "histogram" not in reset
    for url, _start, _end, count in _bars(html):
        assert "histogram=day" in url
        assert _total(client, url) == count


def test_small_multiples_by_source(client):
    html = client.get("/", params={"q": "*", "by_source": "1"}).text
    sources = re.findall(r'<section class="timeline-source" data-source="([^"]+)">', html)
    assert len(sources) >= 2
    for name in sources:
        block = html.split(f'data-source="{name}">', 1)[1].split("</section>", 1)[0]
        for url, _start, _end, count in _bars(block):
            assert f"source={name}" in url
            assert _total(client, url) == count


def test_rows_have_a_timeline_too(client):
    html = client.get("/", params={"q": "*", "record": "rows"}).text
    if 'id="timeline"' not in html:  # the sample's tables may have no date column
        pytest.skip("no dated rows in the sample")
    for url, _start, _end, count in _bars(html):
        assert "record=rows" in url
        assert _total(client, url) == count


def test_api_search_carries_the_histogram(client):
    plain = client.get("/api/search", params={"q": "*"}).json()
    assert "histogram" not in plain  # only when asked: it costs a pass of aggregations
    found = client.get("/api/search", params={"q": "*", "histogram": "auto",
                                              "by_source": "1"}).json()
    histogram = found["histogram"]
    assert histogram["interval"] == "year"
    assert "sent date" in histogram["date_rule"]
    assert sum(b["count"] for b in histogram["buckets"]) + histogram["undated"] \
        == found["documents"]
    assert histogram["sources"] and all(s["buckets"] for s in histogram["sources"])
    for bucket in histogram["buckets"]:
        dated = client.get("/api/search", params={"q": "*", "date_from": bucket["start"],
                                                  "date_to": bucket["end"], "limit": 1})
        assert dated.json()["documents"] == bucket["count"]
    months = client.get("/api/search", params={"q": "*", "histogram": "month"}).json()
    assert months["histogram"]["interval"] == "month"
    assert client.get("/api/search", params={"q": "*", "histogram": "week"}).status_code \
        == 400
