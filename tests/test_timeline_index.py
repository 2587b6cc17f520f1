"""The date histogram of the index (SearchQuery.histogram, tantivy_backend._histogram): on a
generated BlueLeaks-shaped dump, each bar's count is the total of the search filtered to its
dates, undated results are counted apart, a collapsed search counts documents as facets do,
rows are counted by their date column; and the views decide what is counted (a reader's
histogram never counts a dataset they cannot read, nor the other view of one they can)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from shared_corpus import CORPUS
from tables_site import ingested

from trawl.index.base import (
    UNKNOWN_YEAR,
    IndexDocument,
    QueryError,
    SearchQuery,
    calendar_buckets,
    histogram_interval,
)
from trawl.index.tantivy_backend import TantivyIndex
from trawl.search.service import Archive


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    _dump, data = ingested(tmp_path_factory, CORPUS)
    found = Archive(data)
    yield found
    found.close()


def _count(archive: Archive, **kw) -> int:
    return archive.search(SearchQuery(text="*", limit=0, **kw)).total


def _end(bucket) -> datetime:
    return bucket.end - timedelta(microseconds=1)


@pytest.mark.parametrize("interval", ["year", "month"])
def test_each_bar_counts_what_its_date_filter_finds(archive, interval):
    result = archive.search(SearchQuery(text="*", limit=0, histogram=interval))
    histogram = result.histogram
    assert histogram.interval == interval
    assert sum(b.count for b in histogram.buckets) > 0
    assert sum(b.count for b in histogram.buckets) + histogram.undated == result.total
    for bucket in histogram.buckets:
        assert _count(archive, date_from=bucket.start, date_to=_end(bucket)) == bucket.count
    assert histogram.undated == _count(archive, filters={"year": [UNKNOWN_YEAR]})


def test_auto_days_within_a_month_and_per_source(archive):
    months = archive.search(SearchQuery(text="*", limit=0, histogram="month")).histogram
    busiest = max(months.buckets, key=lambda b: b.count)
    within = archive.search(SearchQuery(text="*", limit=0, histogram="auto",
                                        histogram_sources=8, date_from=busiest.start,
                                        date_to=_end(busiest)))
    days = within.histogram
    assert days.interval == "day" and days.undated == 0
    assert sum(b.count for b in days.buckets) == busiest.count == within.total
    for bucket in days.buckets[:40]:
        assert _count(archive, date_from=bucket.start, date_to=_end(bucket)) == bucket.count
    assert days.sources
    for source, buckets in days.sources:
        assert sum(b.count for b in buckets) == _count(
            archive, filters={"source": [source]}, date_from=busiest.start,
            date_to=_end(busiest))


def test_a_collapsed_search_counts_documents(archive):
    plain = archive.search(SearchQuery(text="*", limit=5, histogram="year"))
    collapsed = archive.search(SearchQuery(text="*", limit=5, histogram="year",
                                           collapse=True))
    assert collapsed.histogram == plain.histogram
    assert collapsed.documents == plain.total


def test_rows_by_their_date_column(archive):
    result = archive.search(SearchQuery(text="*", record="rows", limit=0, histogram="year"))
    histogram = result.histogram
    assert sum(b.count for b in histogram.buckets) > 0  # the generator's tables have dates
    assert sum(b.count for b in histogram.buckets) + histogram.undated == result.total
    for bucket in histogram.buckets:
        assert archive.search(SearchQuery(text="*", record="rows", limit=0,
                                          date_from=bucket.start, date_to=_end(bucket))
                              ).total == bucket.count


def test_views_decide_what_is_counted(tmp_path):
    index = TantivyIndex(tmp_path / "index", writable=True)
    day = datetime(2020, 5, 25, 12, tzinfo=UTC)

    def add(dataset: str, n: int, view: str, shift: int) -> None:
        for i in range(n):
            index.add(IndexDocument(
                id=f"{dataset}-{i}", dataset=dataset, path=f"src/{i}.txt",
                paths=[f"src/{i}.txt"], sources=["src"], family="text", mime="text/plain",
                status="indexed", text="bulletin", view=view,
                date=day + timedelta(days=shift) if i else None))
    add("mine", 3, "full", 0)
    add("public", 4, "full", 400)
    add("public", 4, "redacted", 400)   # the masked twins, for strangers
    add("secret", 5, "full", 800)
    index.commit()

    def bars(views):
        found = index.search(SearchQuery(text="bulletin", views=views, histogram="year"))
        return found.total, {b.start.year: b.count for b in found.histogram.buckets
                             if b.count}, found.histogram.undated
    assert bars({"mine": "full"}) == (3, {2020: 2}, 1)
    assert bars({"mine": "full", "public": "redacted"}) == (7, {2020: 2, 2021: 3}, 2)
    assert bars({"public": "redacted"}) == (4, {2021: 3}, 1)
    assert bars({}) == (0, {}, 0)  # no dataset readable: nothing counted
    assert bars(None)[0] == 12     # the owner at the terminal: every full entry
    index.close()


def test_intervals_and_calendar_buckets():
    jan = datetime(2019, 1, 31, 23, tzinfo=UTC)
    assert histogram_interval(jan, jan + timedelta(days=10), "auto") == "day"
    assert histogram_interval(jan, jan + timedelta(days=200), "auto") == "month"
    assert histogram_interval(jan, jan + timedelta(days=2000), "auto") == "year"
    assert histogram_interval(jan, jan + timedelta(days=1000), "day") == "month"
    with pytest.raises(QueryError):
        histogram_interval(jan, jan, "week")
    months = calendar_buckets(jan, datetime(2019, 3, 1, tzinfo=UTC), "month")
    assert [(a.month, b.month) for a, b in months] == [(1, 2), (2, 3), (3, 4)]
    december = calendar_buckets(datetime(2019, 12, 5, tzinfo=UTC),
                                datetime(2020, 1, 2, tzinfo=UTC), "month")
    assert [a.date().isoformat() for a, _b in december] == ["2019-12-01", "2020-01-01"]
    assert december[0][1] == datetime(2020, 1, 1, tzinfo=UTC)
