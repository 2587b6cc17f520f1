"""A dataset's overview in pictures (web/overview.py): each bar of the document charts links
to a search whose total is the bar's value; the other bars link to pages that answer; the
overview shows the dataset's timeline."""

from __future__ import annotations

import re
from html import unescape

from conftest import DATASET

BAR = re.compile(r'<a href="([^"]+)" class="bar-link" data-value="(\d+)">')


def _chart(html: str, name: str) -> list[tuple[str, int]]:
    block = html.split(f'id="chart-{name}"', 1)[1].split("</section>", 1)[0]
    return [(unescape(url), int(value)) for url, value in BAR.findall(block)]


def _total(client, url: str) -> int:
    page = client.get(url)
    assert page.status_code == 200, url
    return int(re.search(r'id="total" data-total="(\d+)"', page.text).group(1))


def test_document_charts_link_to_searches_of_their_totals(client):
    html = client.get(f"/datasets/{DATASET}").text
    for name in ("type", "source", "state"):
        bars = _chart(html, name)
        assert bars, name
        for url, value in bars:
            assert url.startswith("/?") and f"dataset={DATASET}" in url
            assert _total(client, url) == value, url
    everything = _total(client, f"/?q=*&dataset={DATASET}")
    assert sum(v for _u, v in _chart(html, "type")) == everything
    assert sum(v for _u, v in _chart(html, "state")) == everything


def test_bytes_folders_and_timeline(client):
    html = client.get(f"/datasets/{DATASET}").text
    sizes = _chart(html, "bytes")
    assert sizes and sizes == sorted(sizes, key=lambda bar: -bar[1])
    for url, _value in sizes:
        assert "source=" in url and client.get(url).status_code == 200
    folders = _chart(html, "folders")
    assert folders
    for url, _value in folders:
        assert url.startswith(f"/datasets/{DATASET}/browse/")
        assert client.get(url).status_code == 200
    assert 'id="timeline"' in html
    for url, _start, _end, count in re.findall(
            r'<a href="([^"]+)" rel="nofollow" data-start="([^"]+)" data-end="([^"]+)">'
            r'[^<]+</a></td><td class="num">([\d,]+)</td>', html):
        assert _total(client, unescape(url)) == int(count.replace(",", ""))
