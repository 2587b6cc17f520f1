"""Who sees which e-mail threads (access/threads.py): every dataset of the access site holds
a question and its reply (access_site.CONVERSATION).

* a caller who may not read a dataset gets, for its thread, the answer a thread that does
  not exist gets (the route table test probes every route; here the listing and the API);
* a full reader sees the thread whole, its participants and a participant filter;
* a redacted reader (the public dataset) reads the messages masked, sees the participants
  masked, and a participant filter cannot test for an address: the real one finds nothing.
"""

from __future__ import annotations

from test_matrix import get

MISSING_THREAD = "t" + "0" * 15


def _thread(web, caller, dataset: str) -> dict:
    listed = get(web, caller, f"/api/datasets/{dataset}/threads").json()
    (found,) = [t for t in listed["threads"] if t["subject"].startswith("Quarterly figures")]
    return found


def test_a_full_reader_reads_the_conversation_whole(web, callers):
    admin = callers["admin"]
    thread = _thread(web, admin, "secret")
    assert thread["messages"] == 2
    assert thread["participants"] == ["ana.ortiz@secret.example", "lee.park@secret.example"]
    shown = get(web, admin, f"/api/threads/{thread['id']}").json()
    question, reply = shown["messages"]
    assert reply["parent"] == question["id"]
    (span,) = reply["quoted"]
    assert reply["text"][span["start"]:span["end"]].startswith("On Mon, 4 Jun 2001")
    page = get(web, admin, f"/threads/{thread['id']}")
    assert page.status_code == 200 and "<details class=\"quoted\">" in page.text
    filtered = get(web, admin, "/api/datasets/secret/threads?participant=Lee.Park@secret.example")
    assert filtered.json()["total"] == 1


def test_a_stranger_gets_what_a_missing_thread_gets(web, callers):
    secret = _thread(web, callers["admin"], "secret")["id"]
    for name in ("anonymous", "reader", "journalist"):
        caller = callers[name]
        refused = get(web, caller, f"/api/threads/{secret}")
        missing = get(web, caller, f"/api/threads/{MISSING_THREAD}")
        assert refused.status_code == missing.status_code == 404
        assert refused.json()["error"].replace(secret, "X") == \
            missing.json()["error"].replace(MISSING_THREAD, "X")
        assert get(web, caller, "/api/datasets/secret/threads").status_code == 404


def test_a_redacted_reader_sees_masked_participants(web, callers):
    reader = callers["reader"]
    thread = _thread(web, reader, "open")
    assert thread["messages"] == 2
    assert all("@open.example" not in a for a in thread["participants"])
    shown = get(web, reader, f"/api/threads/{thread['id']}").json()
    assert "ana.ortiz@open.example" not in str(shown)
    assert [m["id"] for m in shown["messages"]] == [
        m["id"] for m in get(web, callers["admin"], f"/api/threads/{thread['id']}")
        .json()["messages"]]
    # The real address finds nothing, as an address that never wrote.
    for address in ("ana.ortiz@open.example", "nobody@nowhere.example"):
        found = get(web, reader, f"/api/datasets/open/threads?participant={address}").json()
        assert found["total"] == 0 and found["threads"] == []
    full = get(web, callers["admin"],
               "/api/datasets/open/threads?participant=ana.ortiz@open.example").json()
    assert full["total"] == 1
