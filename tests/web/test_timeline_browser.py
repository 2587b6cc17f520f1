"""The timeline in Chromium (Playwright): uPlot draws it under the strict CSP with no
console error, a click on a bar zooms into it, a drag across bars filters by their dates,
and the small multiples per source come on demand."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest


@pytest.fixture
def watched(page):
    """The page, and every console error or uncaught exception it has (a CSP violation is
    a console error in Chromium)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def _drawn(page) -> dict:
    page.wait_for_selector("#timeline.timeline-drawn")
    assert page.locator("#timeline-chart canvas").count() >= 1
    assert page.locator('[data-timeline-table="all"]').is_hidden()
    return json.loads(page.locator("#timeline-data").text_content())


def _bar_point(page, index: int, chart: str = "#timeline-chart") -> tuple[float, float]:
    """Where uPlot drew bar `index` (page coordinates): 70 % across it, past its middle,
    where the nearest point is the next bar's, near its foot."""
    return tuple(page.evaluate("""([selector, i]) => {
        const u = document.querySelector(selector).uplot;
        const box = u.over.getBoundingClientRect();
        const left = u.valToPos(u.data[0][i], "x");
        const right = i + 1 < u.data[0].length ? u.valToPos(u.data[0][i + 1], "x") : box.width;
        return [box.left + left + (right - left) * 0.7, box.top + box.height - 4];
    }""", [chart, index]))


def _query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def _total(page) -> int:
    return int(page.locator("#total").get_attribute("data-total"))


def test_timeline_draws_and_a_click_zooms_into_a_bar(watched):
    page, errors = watched
    page.goto("/?q=*")
    data = _drawn(page)
    assert data["interval"] == "year"
    index = next(i for i, bar in enumerate(data["bars"]) if bar[2])
    start, end, count, _url = data["bars"][index]
    x, y = _bar_point(page, index)
    with page.expect_navigation():
        page.mouse.click(x, y)
    query = _query(page)
    assert query["date_from"] == [start] and query["date_to"] == [end]
    assert query["histogram"] == ["month"]
    assert _total(page) == count
    assert _drawn(page)["interval"] == "month"
    assert page.locator("#timeline-reset").count() == 1
    assert errors == []


def test_dragging_across_bars_filters_by_their_dates(watched):
    page, errors = watched
    page.goto("/?q=*")
    data = _drawn(page)
    bars = data["bars"]
    first, last = 0, len(bars) - 1
    (x0, y), (x1, _y) = _bar_point(page, first), _bar_point(page, last)
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, y, steps=4)
    page.mouse.move(x1, y, steps=4)
    with page.expect_navigation():
        page.mouse.up()
    query = _query(page)
    assert query["date_from"] == [bars[first][0]] and query["date_to"] == [bars[last][1]]
    assert _total(page) == sum(bar[2] for bar in bars[first:last + 1])
    _drawn(page)
    assert errors == []


def test_small_multiples_toggle(watched):
    page, errors = watched
    page.goto("/?q=*")
    _drawn(page)
    assert page.locator(".timeline-source").count() == 0
    with page.expect_navigation():
        page.click("#timeline-toggle")
    assert _query(page)["by_source"] == ["1"]
    _drawn(page)
    sources = page.locator(".timeline-source")
    assert sources.count() >= 2
    assert page.locator(".timeline-source canvas").count() >= sources.count()
    with page.expect_navigation():
        page.click("#timeline-toggle")
    assert page.locator(".timeline-source").count() == 0
    assert errors == []
