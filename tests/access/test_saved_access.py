"""Saved searches on the website and the API (web/saved.py): each account's own, counted in
what the account may read, their forms protected by the session's CSRF token."""

from __future__ import annotations

import re

from test_matrix import get
from test_sessions import csrf_of, sign_in


def _api(web, caller, method: str, url: str, **kwargs):
    return web.request(method, url, headers=caller.headers(), **kwargs)


def test_save_list_run_and_delete_through_the_api(web, callers):
    journalist, reader = callers["journalist"], callers["reader"]
    made = _api(web, journalist, "POST", "/api/saved",
                json={"name": "zebra", "params": "q=zebracorn&page=3&limit=50"})
    assert made.status_code == 201, made.text
    saved = made.json()
    assert saved["params"] == "q=zebracorn" and saved["new"] == 0
    try:
        listing = _api(web, journalist, "GET", "/api/saved").json()["saved"]
        assert [s["name"] for s in listing] == ["zebra"]
        assert _api(web, reader, "GET", "/api/saved").json()["saved"] == []
        for method, url in (("POST", f"/api/saved/{saved['id']}/run"),
                            ("DELETE", f"/api/saved/{saved['id']}")):
            theirs = _api(web, reader, method, url)
            missing = _api(web, reader, method, url.replace(str(saved["id"]), "987654321"))
            assert theirs.status_code == missing.status_code == 404
            assert theirs.text.replace(str(saved["id"]), "N") == \
                missing.text.replace("987654321", "N")
        run = _api(web, journalist, "POST", f"/api/saved/{saved['id']}/run")
        assert run.status_code == 200 and run.json()["new"] == 0
        again = _api(web, journalist, "POST", "/api/saved",
                     json={"name": "zebra", "params": "q=other"})
        assert again.status_code == 400 and "already" in again.json()["error"]
        bad = _api(web, journalist, "POST", "/api/saved", json={"name": "x", "params": "q="})
        assert bad.status_code == 400
    finally:
        assert _api(web, journalist, "DELETE",
                    f"/api/saved/{saved['id']}").status_code == 204
    assert _api(web, journalist, "GET", "/api/saved").json()["saved"] == []


def test_new_counts_only_what_the_account_may_read(web, callers, archive):
    """A search saved before the mark moved back: the account's new documents are those of
    the datasets it reads, as the search finds them."""
    from trawl.access.store import AccessStore
    from trawl.storage.saved_searches import SavedSearchStore

    totals = {}
    for who in ("reader", "journalist", "admin"):
        made = _api(web, callers[who], "POST", "/api/saved",
                    json={"name": "all zebras", "params": "q=zebracorn"}).json()
        store = AccessStore(archive.access_path)
        SavedSearchStore(store.accounts).viewed(store.user(who).id, made["id"], 0)
        store.close()
        totals[who] = get(web, callers[who], "/api/search?q=zebracorn").json()["total"]
        listing = _api(web, callers[who], "GET", "/api/saved").json()["saved"]
        assert [s["new"] for s in listing] == [totals[who]], who
        readable = {name for name, how in callers[who].reads.items() if how != "none"}
        if who == "journalist":  # the page's Run shows the new documents, then none are new
            page = _api(web, callers[who], "POST", f"/saved/{made['id']}/run").text
            shown = set(re.findall(r'<li class="hit" data-id="([0-9a-f]+)"', page))
            api_ids = {h["id"] for h in get(web, callers[who],
                                            "/api/search?q=zebracorn&limit=50").json()["hits"]}
            assert shown == api_ids and len(shown) == totals[who]
        else:
            run = _api(web, callers[who], "POST", f"/api/saved/{made['id']}/run").json()
            assert {h["dataset"] for h in run["hits"]} == readable, who
        assert _api(web, callers[who], "GET", "/api/saved").json()["saved"][0]["new"] == 0
        _api(web, callers[who], "DELETE", f"/api/saved/{made['id']}")
    assert totals["reader"] < totals["journalist"] < totals["admin"]


def test_the_search_page_saves_a_search_with_its_csrf_token(browser_client):
    sign_in(browser_client, "journalist")
    page = browser_client.get("/?q=zebracorn&type=text").text
    params = re.search(r'name="params" value="([^"]+)"', page).group(1)
    assert params == "q=zebracorn&amp;type=text"
    refused = browser_client.post("/saved", data={"name": "z", "params": "q=zebracorn"})
    assert refused.status_code == 403  # no CSRF token
    token = csrf_of(browser_client)
    made = browser_client.post("/saved", data={"name": "z", "params": "q=zebracorn&type=text",
                                               "csrf": token})
    assert made.status_code == 303 and made.headers["location"] == "/saved"
    listing = browser_client.get("/saved").text
    saved_id = re.search(r'<tr data-id="(\d+)">', listing).group(1)
    assert "q=zebracorn" in listing and "type=text" in listing
    run = browser_client.post(f"/saved/{saved_id}/run", data={"csrf": token})
    assert run.status_code == 200 and 'id="saved-run-new"' in run.text
    assert 'href="/?q=zebracorn&amp;type=text" id="open-search"' in run.text
    assert browser_client.post(f"/saved/{saved_id}/delete",
                               data={}).status_code == 403
    gone = browser_client.post(f"/saved/{saved_id}/delete", data={"csrf": token})
    assert gone.status_code == 303
    assert 'id="no-saved"' in browser_client.get("/saved").text


def test_anonymous_callers_have_no_saved_searches(web, callers):
    anonymous = callers["anonymous"]
    assert get(web, anonymous, "/saved").status_code == 303
    assert get(web, anonymous, "/api/saved").status_code == 401
    made = _api(web, anonymous, "POST", "/api/saved", json={"name": "x", "params": "q=x"})
    assert made.status_code == 401
    assert 'id="save-search"' not in get(web, anonymous, "/?q=zebracorn").text
