"""The timeline through the API, for every caller: it counts only what the caller may read
(each dataset in the view they read it in), so its buckets never tell of a dataset outside
their scope; the search page's timeline is the same histogram."""

from __future__ import annotations

from access_site import VISIBILITY


def _histogram(web, caller, **params) -> dict:
    found = web.get("/api/search", params={"q": "*", "histogram": "auto", "by_source": "1",
                                           **params}, headers=caller.headers())
    assert found.status_code == 200, found.text
    return found.json()


def test_each_caller_counts_only_the_datasets_they_read(web, callers):
    admin = callers["admin"]
    per_dataset = {name: _histogram(web, admin, dataset=name)["documents"]
                   for name in VISIBILITY}
    for caller in callers.values():
        found = _histogram(web, caller)
        histogram = found["histogram"]
        readable = [name for name, access in caller.reads.items() if access != "none"]
        expected = sum(per_dataset[name] for name in readable)
        assert found["documents"] == expected, caller.name
        assert sum(b["count"] for b in histogram["buckets"]) + histogram["undated"] \
            == expected, caller.name
        for source in histogram["sources"]:
            assert sum(b["count"] for b in source["buckets"]) <= expected


def test_a_dataset_outside_the_scope_has_no_timeline(web, callers):
    stranger = callers["reader"]
    found = web.get("/api/search", params={"q": "*", "histogram": "auto",
                                           "dataset": "secret"}, headers=stranger.headers())
    assert found.status_code == 400  # as for any dataset that does not exist
    page = web.get("/", params={"q": "*", "dataset": "secret"}, headers=stranger.headers())
    assert page.status_code == 400 and 'id="timeline"' not in page.text
