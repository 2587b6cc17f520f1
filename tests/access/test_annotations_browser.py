"""Tags and notes in a real headless Chromium, under the strict CSP: a reader signs in, tags
a document with the help of the autocomplete (static/annotations.js fills the input's
suggestions from /api/tags), follows the chip to its `tag:` search, removes the tag, and
writes, edits and deletes a note. No script error, no request elsewhere."""

from __future__ import annotations

import pytest
from test_annotation_access import post
from test_browser_access import new_tab, sign_in, watch_of  # noqa: F401 (new_tab: a fixture)

pytestmark = pytest.mark.browser


def test_tag_with_autocomplete_and_note(new_tab, web, callers, notes):  # noqa: F811
    shared = notes["shared"]
    # A tag member used before, elsewhere: what the autocomplete must offer.
    other = web.get("/api/search", params={"q": "bulletin", "dataset": "shared"},
                    headers=callers["member"].headers()).json()["hits"][0]["id"]
    assert post(web, callers["member"], f"/api/documents/{other}/tags",
                {"tag": "threat-assessment"}).status_code == 200
    tab = new_tab()
    sign_in(tab, "member")
    tab.goto(f"/documents/{shared}")
    box = tab.locator("#annotations")
    box.wait_for(state="visible")
    tab.locator("#tag-input").press_sequentially("thr", delay=30)
    tab.wait_for_function(
        "() => [...document.querySelectorAll('#tag-suggestions option')]"
        ".some(o => o.value === 'threat-assessment')")
    tab.fill("#tag-input", "threat-assessment")
    with tab.expect_navigation():
        tab.click(".tag-form button[type=submit]")
    chip = tab.locator(".tag-chip[data-tag='threat-assessment']")
    assert chip.count() == 1
    assert "member" in chip.locator(".tag-by").inner_text()
    # The chip is a tag: search, which finds both tagged documents.
    with tab.expect_navigation():
        chip.locator("a.tag-link").click()
    found = {li.get_attribute("data-id") for li in tab.locator("li.hit[data-id]").all()}
    assert found == {shared, other}
    assert tab.locator("section.facet[data-facet='tag']").count() == 1
    tab.goto(f"/documents/{shared}")
    with tab.expect_navigation():
        tab.locator(".tag-chip[data-tag='threat-assessment'] .tag-remove").click()
    assert tab.locator(".tag-chip[data-tag='threat-assessment']").count() == 0
    # A note: written, shown with its author, edited, deleted.
    tab.fill("#note-input", "Ask the county clerk about this")
    with tab.expect_navigation():
        tab.click(".note-form button[type=submit]")
    note = tab.locator("article.note").filter(has_text="Ask the county clerk")
    assert note.count() == 1 and "member" in note.locator(".note-by").inner_text()
    note.locator("summary").click()
    note.locator("textarea").fill("Ask the county clerk on Monday")
    with tab.expect_navigation():
        note.locator("button[type=submit]").first.click()
    assert tab.locator("article.note").filter(has_text="on Monday").count() == 1
    note = tab.locator("article.note").filter(has_text="on Monday")
    note.locator("summary").click()
    with tab.expect_navigation():
        note.locator(".note-delete").click()
    assert tab.locator("article.note").filter(has_text="county clerk").count() == 0
    watch_of(tab).assert_clean()
