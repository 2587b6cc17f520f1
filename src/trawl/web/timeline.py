"""The timeline: a date histogram of a search's results, as a page draws it.

One helper for every page that shows one (the search page from its own results; a dataset's
overview, an entity's page and a cluster's page each from a search with one filter, through
`search_timeline`), so that each bar is a link to the very search whose total it shows.

Progressive enhancement: the template (`timeline.html`) renders the buckets as a table of
links, which works without script; `static/timeline.js` reads the same bars from a JSON
`<script type="application/json">` block (Jinja's `tojson`; no inline script: the CSP stays
strict) and draws them with uPlot (vendored), where a click on a bar zooms into it (years ->
months -> days) and a drag selects a range: both load the search with `date_from` and
`date_to`, as the links do.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from trawl.index.base import UNKNOWN_YEAR, DateBucket, DateHistogram
from trawl.search.service import Archive
from trawl.web.i18n import _
from trawl.web.params import SearchParams

# What a bar of each interval zooms into.
FINER = {"year": "month", "month": "day", "day": "day"}


def search_timeline(archive: Archive, params: SearchParams) -> dict[str, Any] | None:
    """The timeline of a search's results alone (no hits): a count-only search with a
    histogram, through the caller's scoped archive, so only what they may read is counted.
    Its links lead to the search page with the same filters."""
    params = with_histogram(params)
    query = params.to_query(facets=())
    query.limit, query.facets = 0, ()
    return timeline_view(params, archive.search(query).histogram)


def with_histogram(params: SearchParams) -> SearchParams:
    """The parameters of a page that shows a timeline: "auto" unless one was asked."""
    return dataclasses.replace(params, histogram=params.histogram or "auto")


def timeline_view(params: SearchParams, histogram: DateHistogram | None
                  ) -> dict[str, Any] | None:
    """What `timeline.html` shows: the bars (each a link that zooms into it), the undated
    results (a link to them), the reset link, the per-source toggle and histograms, and the
    same bars as JSON for the chart. None: no histogram, or nothing dated or undated."""
    if histogram is None or (not histogram.buckets and not histogram.undated):
        return None
    finer = FINER[histogram.interval]
    bars = [_bar(params, b, histogram.interval, finer) for b in histogram.buckets]
    sources = []
    for name, found in histogram.sources:  # each bar: that source's results on those days
        of_source = _with_source(params, name)
        sources.append({"name": name, "url": of_source.url(), "bars": [
            _bar(of_source, b, histogram.interval, finer) for b in found]})
    zoomed = params.date_from is not None or params.date_to is not None \
        or params.histogram not in (None, "auto")
    data = {"interval": histogram.interval,
            "base": dataclasses.replace(params, date_from=None, date_to=None, offset=0,
                                        histogram=None).url(),
            "bars": [[b["start"], b["end"], b["count"], b["url"]] for b in bars],
            "sources": [{"name": s["name"], "url": s["url"],
                         "bars": [[b["start"], b["end"], b["count"], b["url"]]
                                  for b in s["bars"]]} for s in sources],
            "labels": {"documents": _("results"), "drag": _("Drag to choose dates")}}
    return {
        "interval": histogram.interval,
        "interval_label": interval_label(histogram.interval),
        "caption": date_rule_caption(),
        "bars": bars,
        "undated": histogram.undated,
        "undated_url": dataclasses.replace(
            params, date_from=None, date_to=None, offset=0,
            filters={**params.filters, "year": [UNKNOWN_YEAR]}).url()
        if histogram.undated and not (params.date_from or params.date_to) else None,
        "reset_url": params.without_dates() if zoomed else None,
        "by_source": params.by_source,
        "toggle_url": params.with_by_source(not params.by_source),
        "sources": sources,
        "data": data,  # written by Jinja's tojson, which escapes <, >, & and '
    }


def date_rule_caption() -> str:
    return _("Dated by the sent date of e-mail, the creation (else modification) date of "
             "other documents, and a table row's date column.")


def interval_label(interval: str) -> str:
    return {"year": _("by year"), "month": _("by month"), "day": _("by day")}[interval]


def _bar(params: SearchParams, bucket: DateBucket, interval: str, finer: str
         ) -> dict[str, Any]:
    start, end = bucket.start.date(), (bucket.end - timedelta(days=1)).date()
    label = {"year": start.strftime("%Y"), "month": start.strftime("%Y-%m"),
             "day": start.isoformat()}[interval]
    return {"label": label, "start": start.isoformat(), "end": end.isoformat(),
            "count": bucket.count,
            "url": params.with_dates(start, end, finer) if bucket.count else None}


def _with_source(params: SearchParams, source: str) -> SearchParams:
    """The results of one source (a source filter already there: that one only)."""
    return dataclasses.replace(params, offset=0, by_source=False,
                               filters={**params.filters, "source": [source]})
