"""Who sees which correspondents (access/threads.py): every dataset of the access site holds
a question and its reply between two addresses (access_site.CONVERSATION).

* a caller who may not read a dataset gets what a dataset that does not exist gets;
* a full reader gets both edges by address, or one by domain;
* a redacted reader (the public dataset) gets domains only, even when it asks for
  addresses, and a source filter naming a masked value finds nothing.
"""

from __future__ import annotations

from test_matrix import get

API = "/api/datasets/{}/correspondents"


def _edges(found: dict) -> dict[tuple[str, str], int]:
    return {(e["from"], e["to"]): e["messages"] for e in found["edges"]}


def test_a_full_reader_sees_who_wrote_to_whom(web, callers):
    admin = callers["admin"]
    found = get(web, admin, API.format("secret")).json()
    assert found["by"] == "address" and found["total"] == 2
    assert _edges(found) == {("ana.ortiz@secret.example", "lee.park@secret.example"): 1,
                             ("lee.park@secret.example", "ana.ortiz@secret.example"): 1}
    by_domain = get(web, admin, API.format("secret") + "?by=domain").json()
    assert _edges(by_domain) == {("secret.example", "secret.example"): 2}
    assert get(web, admin, API.format("secret") + "?from=2002").json()["edges"] == []
    page = get(web, admin, "/datasets/secret/correspondents?sort=from")
    assert page.status_code == 200
    assert "ana.ortiz@secret.example" in page.text and 'aria-sort="ascending"' in page.text
    assert 'href="/datasets/secret/correspondents?sort=last"' in page.text
    threads = get(web, admin, "/datasets/secret/threads")
    assert 'href="/datasets/secret/correspondents"' in threads.text


def test_a_stranger_gets_what_a_missing_dataset_gets(web, callers):
    for name in ("anonymous", "reader", "journalist"):
        caller = callers[name]
        refused = get(web, caller, API.format("secret"))
        missing = get(web, caller, API.format("no-such-set"))
        assert refused.status_code == missing.status_code == 404
        assert refused.json()["error"].replace("secret", "X") == \
            missing.json()["error"].replace("no-such-set", "X")
        page = get(web, caller, "/datasets/secret/correspondents")
        assert "secret.example" not in page.text
        assert page.status_code == get(web, caller,
                                       "/datasets/no-such-set/correspondents").status_code


def test_a_redacted_reader_gets_domains_only(web, callers):
    reader = callers["reader"]
    for asked in ("", "?by=address"):
        found = get(web, reader, API.format("open") + asked).json()
        assert found["by"] == "domain"
        edges = _edges(found)
        assert edges[("open.example", "open.example")] == 2
        assert not any("@" in f + t for f, t in edges)
    page = get(web, reader, "/datasets/open/correspondents")
    assert page.status_code == 200 and "@open.example" not in page.text
    assert "open.example" in page.text
    # A source naming an address (masked for this reader) finds nothing, existing or not.
    for source in ("ana.ortiz@open.example", "nobody@nowhere.example"):
        assert get(web, reader, API.format("open") + f"?source={source}").json()["edges"] == []
    full = _edges(get(web, callers["admin"], API.format("open")).json())
    assert full[("ana.ortiz@open.example", "lee.park@open.example")] == 1
