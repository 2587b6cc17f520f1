"""Tags and notes through the API, for each kind of caller (access/annotations.py's rules).

On the three-dataset archive: `member` reads `shared` through the group `press`,
`journalist` by a grant of their own (not in `press`), `reader` and anonymous read only
`open`, redacted; `admin` reads all. What one writes is private unless shared with a group;
no tag, note, count, completion, facet or `tag:` search ever shows a document of a dataset
the caller cannot read, and a redacted reader neither writes nor sees any.
"""

from __future__ import annotations

import re

from test_matrix import MISSING_DOC, get

from trawl.access.audit import AuditLog


def post(web, who, url: str, body: dict):
    return web.post(url, json=body, headers=who.headers())


def tags_of(web, who, doc_id: str) -> set[str]:
    response = get(web, who, f"/api/documents/{doc_id}/annotations")
    assert response.status_code == 200, response.text
    return {t["tag"] for t in response.json()["tags"]}


def test_private_and_group_shared_tags(web, callers, notes):
    member, journalist = callers["member"], callers["journalist"]
    shared = notes["shared"]
    made = post(web, member, f"/api/documents/{shared}/tags",
                {"tag": " Press Pick ", "group": "PRESS"})
    assert made.status_code == 200, made.text
    assert made.json()["tag"] == "press-pick" and made.json()["shared_with"] == "press"
    assert post(web, member, f"/api/documents/{shared}/tags",
                {"tag": "member-only"}).status_code == 200
    assert post(web, journalist, f"/api/documents/{shared}/tags",
                {"tag": "journalist-only"}).status_code == 200
    assert {"press-pick", "member-only"} <= tags_of(web, member, shared)
    assert "journalist-only" not in tags_of(web, member, shared)
    # journalist is not in press: the group's tag is not theirs to see, nor a private one.
    assert tags_of(web, journalist, shared) >= {"journalist-only"}
    assert not {"press-pick", "member-only"} & tags_of(web, journalist, shared)
    # Admins read every dataset, not every reader's private tags.
    assert not {"press-pick", "member-only", "journalist-only"} & tags_of(
        web, callers["admin"], shared)
    # Sharing with a group one is not in is refused.
    assert post(web, journalist, f"/api/documents/{shared}/tags",
                {"tag": "x", "group": "press"}).status_code == 400
    # Only the author removes their tag.
    assert web.delete(f"/api/documents/{shared}/tags/press-pick",
                      headers=journalist.headers()).status_code == 404
    assert "press-pick" in tags_of(web, member, shared)


def test_tag_search_and_facet_follow_the_reader(web, callers, notes):
    member, journalist, admin = callers["member"], callers["journalist"], callers["admin"]
    shared, secret = notes["shared"], notes["secret"]
    assert post(web, member, f"/api/documents/{shared}/tags",
                {"tag": "facet-one", "group": "press"}).status_code == 200
    assert post(web, admin, f"/api/documents/{secret}/tags",
                {"tag": "facet-one"}).status_code == 200
    found = get(web, member, "/api/search", params={"q": "tag:facet-one"}).json()
    assert [h["id"] for h in found["hits"]] == [shared]
    assert get(web, journalist, "/api/search", params={"q": "tag:facet-one"}).json()["total"] == 0
    assert [h["id"] for h in get(web, admin, "/api/search",
                                 params={"q": "tag:facet-one"}).json()["hits"]] == [secret]
    # With words, the tag filter narrows; `-tag:` leaves out.
    words = get(web, member, "/api/search", params={"q": "zebracorn tag:facet-one"}).json()
    assert [h["id"] for h in words["hits"]] == [shared]
    without = get(web, member, "/api/search", params={"q": "zebracorn -tag:facet-one"}).json()
    assert shared not in [h["id"] for h in without["hits"]] and without["total"] > 0
    # The tag filter parameter and the facet.
    filtered = get(web, member, "/api/search", params={"q": "*", "tag": "facet-one"}).json()
    assert [h["id"] for h in filtered["hits"]] == [shared]
    facet = dict((v["value"], v["count"]) for v in get(
        web, member, "/api/search", params={"q": "zebracorn"}).json()["facets"]["tag"])
    assert facet["facet-one"] == 1
    for who in ("reader", "anonymous", "journalist"):
        answer = get(web, callers[who], "/api/search", params={"q": "zebracorn"}).json()
        assert "facet-one" not in {v["value"] for v in answer["facets"].get("tag", [])}, who
        assert secret not in str(answer)


def test_a_stranger_gets_what_a_missing_document_gets(web, callers, notes):
    secret = notes["secret"]
    assert post(web, callers["admin"], f"/api/documents/{secret}/notes",
                {"text": "zebracorn secret: the admin's note"}).status_code == 200
    assert post(web, callers["admin"], f"/api/documents/{secret}/tags",
                {"tag": "secret-lead"}).status_code == 200
    for who in ("anonymous", "reader", "journalist", "member"):
        caller = callers[who]
        for path in ("annotations",):
            asked = get(web, caller, f"/api/documents/{secret}/{path}")
            missing = get(web, caller, f"/api/documents/{MISSING_DOC}/{path}")
            assert asked.status_code == missing.status_code == 404, who
            assert asked.text.replace(secret, "ID") == missing.text.replace(MISSING_DOC, "ID")
        for method, url, body in (("post", f"/api/documents/{secret}/tags", {"tag": "x"}),
                                  ("post", f"/api/documents/{secret}/notes", {"text": "x"})):
            assert getattr(web, method)(url, json=body, headers=caller.headers()
                                        ).status_code == 404, (who, url)
        assert web.delete(f"/api/documents/{secret}/tags/secret-lead",
                          headers=caller.headers()).status_code == 404
        completions = get(web, caller, "/api/tags", params={"prefix": "secret"}).json()
        assert "secret-lead" not in {t["tag"] for t in completions["tags"]}, who
        assert secret not in get(web, caller, "/api/notes", params={"q": "zebracorn"}).text
        assert get(web, caller, "/api/search", params={"q": "tag:secret-lead"}).json()[
            "total"] == 0
    mine = get(web, callers["admin"], "/api/tags", params={"prefix": "secret"}).json()
    assert {"tag": "secret-lead", "count": 1} in [{k: t[k] for k in ("tag", "count")}
                                                 for t in mine["tags"]]


def test_redacted_and_anonymous_readers_neither_write_nor_see(web, callers, notes):
    public = notes["open"]
    assert post(web, callers["admin"], f"/api/documents/{public}/tags",
                {"tag": "public-lead"}).status_code == 200
    assert "public-lead" in tags_of(web, callers["admin"], public)
    for who in ("anonymous", "reader", "journalist"):  # all read `open` redacted
        caller = callers[who]
        assert tags_of(web, caller, public) == set()
        assert post(web, caller, f"/api/documents/{public}/tags",
                    {"tag": "mine"}).status_code == 403, who
        assert post(web, caller, f"/api/documents/{public}/notes",
                    {"text": "mine"}).status_code == 403, who
        assert get(web, caller, "/api/search", params={"q": "tag:public-lead"}).json()[
            "total"] == 0


def test_rows_are_tagged_and_found(web, callers, tables):
    member = callers["member"]
    url = f"/api/tables/{tables['shared']}/rows/2"
    assert post(web, member, url + "/tags", {"tag": "row-lead"}).status_code == 200
    assert post(web, member, url + "/notes", {"text": "second row"}).status_code == 200
    shown = get(web, member, url + "/annotations").json()
    assert [t["tag"] for t in shown["tags"]] == ["row-lead"]
    assert [n["text"] for n in shown["notes"]] == ["second row"]
    rows = get(web, member, "/api/search", params={"q": "tag:row-lead", "record": "rows"}).json()
    assert [(h["table_id"], h["row"]) for h in rows["hits"]] == [(tables["shared"], 2)]
    secret = f"/api/tables/{tables['secret']}/rows/1/tags"
    assert post(web, member, secret, {"tag": "x"}).status_code == 404
    for who in ("reader", "anonymous"):  # `shared` is not theirs: the 404 of a missing row
        assert post(web, callers[who], url + "/tags", {"tag": "x"}).status_code == 404
        assert post(web, callers[who], url + "/notes", {"text": "x"}).status_code == 404
        assert web.delete(url + "/tags/row-lead", headers=callers[who].headers()
                          ).status_code == 404
    assert web.delete(url + "/tags/row-lead", headers=member.headers()).status_code == 200
    assert get(web, member, url + "/annotations").json()["tags"] == []


def test_only_the_author_changes_a_note_and_writes_are_audited(web, callers, notes, archive):
    member, journalist = callers["member"], callers["journalist"]
    shared = notes["shared"]
    note = post(web, member, f"/api/documents/{shared}/notes",
                {"text": "Call the county clerk", "group": "press"}).json()
    assert note["author"] == "member" and note["shared_with"] == "press"
    assert web.put(f"/api/notes/{note['id']}", json={"text": "mine now"},
                   headers=journalist.headers()).status_code == 404
    assert web.delete(f"/api/notes/{note['id']}", headers=journalist.headers()
                      ).status_code == 404
    edited = web.put(f"/api/notes/{note['id']}", json={"text": "Call the county clerk on Monday"},
                     headers=member.headers())
    assert edited.status_code == 200 and edited.json()["shared_with"] is None  # private now
    found = get(web, member, "/api/notes", params={"q": "county monday"}).json()["notes"]
    assert [n["id"] for n in found] == [note["id"]]
    assert found[0]["url"] == f"/documents/{shared}"
    assert get(web, journalist, "/api/notes", params={"q": "county"}).json()["notes"] == []
    assert web.delete(f"/api/notes/{note['id']}", headers=member.headers()).status_code == 200
    with AuditLog(archive.audit_path, archive.secret_key_path) as log:
        entries = [e for e in log.entries(limit=200) if e.action == "note"
                   and (e.detail or {}).get("note") == note["id"]]
    assert sorted(e.detail["op"] for e in entries) == ["add", "edit", "remove"]
    assert {e.actor for e in entries} == {"token:tests@member"}


def test_the_pages_show_the_box_to_full_readers_only(web, callers, notes, tables):
    member = callers["member"]
    assert post(web, member, f"/api/documents/{notes['shared']}/tags",
                {"tag": "on-the-page"}).status_code == 200
    page = get(web, member, f"/documents/{notes['shared']}").text
    assert 'id="annotations"' in page and 'data-tag="on-the-page"' in page
    assert 'href="/?q=tag%3Aon-the-page"' in page  # the chip is a tag: search
    assert 'name="csrf"' in page
    assert re.search(r'src="/static/annotations\.[0-9a-f]{12}\.js"', page)  # hashed name
    row = get(web, member, f"/tables/{tables['shared']}/rows/1").text
    assert 'id="annotations"' in row and 'name="table"' in row
    assert post(web, callers["admin"], f"/api/documents/{notes['open']}/tags",
                {"tag": "hidden-from-the-public"}).status_code == 200
    for who in ("reader", "anonymous"):  # `open` is theirs redacted: no box, no tags
        shown = get(web, callers[who], f"/documents/{notes['open']}")
        assert shown.status_code == 200
        assert 'id="annotations"' not in shown.text
        assert "hidden-from-the-public" not in shown.text
        table = get(web, callers[who], f"/tables/{tables['open']}/rows/1")
        assert table.status_code == 200 and 'id="annotations"' not in table.text


def test_the_form_needs_the_session_csrf_token_and_stays_on_this_site(browser_client, notes):
    from test_sessions import csrf_of, sign_in

    sign_in(browser_client, "member")
    form = {"action": "add_tag", "document": notes["shared"], "tag": "by-form",
            "back": f"/documents/{notes['shared']}"}
    assert browser_client.post("/annotate", data=form).status_code == 403  # no token
    token = csrf_of(browser_client)
    done = browser_client.post("/annotate", data={**form, "csrf": token})
    assert done.status_code == 303
    assert done.headers["location"] == f"/documents/{notes['shared']}#annotations"
    away = browser_client.post("/annotate", data={**form, "csrf": token,
                                                  "back": "//elsewhere.example/x"})
    assert away.headers["location"] == "/#annotations"
    shown = browser_client.get(f"/api/documents/{notes['shared']}/annotations").json()
    assert "by-form" in {t["tag"] for t in shown["tags"]}
    refused = browser_client.post("/annotate", data={**form, "csrf": token, "tag": 'a"b'})
    assert refused.status_code == 400


def test_the_notes_page_lists_what_the_reader_sees(web, callers, notes):
    member = callers["member"]
    assert post(web, member, f"/api/documents/{notes['shared']}/notes",
                {"text": "zebracorn lead for the desk", "group": "press"}).status_code == 200
    page = get(web, member, "/notes", params={"q": "zebracorn lead"}).text
    assert "zebracorn lead for the desk" in page and f"/documents/{notes['shared']}" in page
    for who in ("reader", "journalist"):  # not in press / reads `shared` redacted or not
        assert "zebracorn lead" not in get(web, callers[who], "/notes",
                                           params={"q": "zebracorn"}).text
