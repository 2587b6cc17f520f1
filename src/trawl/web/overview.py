"""A dataset's overview in pictures: bar charts, each bar a link to what it counts.

The documents by type, by source and by state are the facets of one search of the dataset
(`q=*&dataset=NAME`, through the caller's scoped archive: the same counts the search page
shows), so each bar links to that search with its filter, whose total is the bar's value;
that search's date histogram is the overview's timeline (web/timeline.py). The catalog gives
what the index cannot: bytes by source (the top folders' files on disk), the largest
folders (links to the folder pages) and the failed and skipped files by code (links to the
problems page, which lists those files). Bars are `<meter>` elements: a picture without
script and without inline style (the CSP stays strict), readable as a table.
"""

from __future__ import annotations

from typing import Any

from trawl.index.base import SearchQuery
from trawl.search.service import Archive
from trawl.storage import browse
from trawl.storage.catalog import Dataset
from trawl.web.documents import folder_url
from trawl.web.params import SearchParams
from trawl.web.timeline import timeline_view, with_histogram

BARS = 12  # bars per chart: the largest values


def overview_charts(archive: Archive, dataset: Dataset, root: browse.FolderListing,
                    failures: list[dict[str, Any]], skipped: list[dict[str, Any]]
                    ) -> dict[str, Any]:
    """The charts of the dataset page, and its timeline."""
    params = with_histogram(SearchParams(q="*", filters={"dataset": [dataset.name]}))
    result = archive.search(SearchQuery(
        text="*", datasets=[dataset.name], facets=("type", "source", "status"),
        facet_size=BARS, limit=0, histogram=params.histogram))

    def facet(name: str) -> list[dict[str, Any]]:
        return _bars([(value, count, params.with_filter(name, value))
                      for value, count in result.facets.get(name, [])])

    sources = sorted(root.folders, key=lambda f: -f.size)[:BARS]
    return {
        "search_url": params.url(),
        "documents": result.total,
        "by_type": facet("type"),
        "by_source": facet("source"),
        "by_state": facet("status"),
        "bytes_by_source": _bars([(f.name, f.size, params.with_filter("source", f.name))
                                  for f in sources]),
        "largest_folders": _bars([(f.path, f.size, folder_url(dataset.name, f.path))
                                  for f in archive.largest_folders(dataset, BARS)]),
        "failed": _bars([(g["code"], g["count"], g["url"]) for g in failures]),
        "skipped": _bars([(g["code"], g["count"], g["url"]) for g in skipped]),
        "timeline": timeline_view(params, result.histogram),
    }


def _bars(items: list[tuple[str, int, str]]) -> list[dict[str, Any]]:
    top = max((value for _label, value, _url in items), default=0)
    return [{"label": label, "value": value, "max": top, "url": url}
            for label, value, url in items]
