"""Saved searches, exports and the keyboard reader in a real headless Chromium (Playwright):
saving the current search from the search page and running it from the saved searches' page,
the export links of a search, and a document opened from a result that goes to the next and
previous result (j / k) and from one match of the query to the next (n / p), with the
query's words boxed on a PDF's page image. Every tab is watched: a script error or a request
to any other host fails the test."""

from __future__ import annotations

import pytest
from test_browser_access import new_tab, sign_in, watch_of  # noqa: F401 (a fixture)

pytestmark = pytest.mark.browser
SEARCH = "/?q=bulletin&dataset=shared"


def test_save_a_search_and_run_it(new_tab):  # noqa: F811 (the fixture)
    tab = new_tab()
    sign_in(tab, "journalist")
    tab.goto(SEARCH)
    tab.fill("#save-name", "shared bulletins")
    with tab.expect_navigation():
        tab.click("#save-search button[type=submit]")
    assert tab.url.endswith("/saved")
    row = tab.locator("#saved-searches tr", has_text="shared bulletins")
    assert row.locator(".saved-new").inner_text().strip() == "0"
    assert "q=bulletin" in row.inner_text()
    with tab.expect_navigation():
        row.locator(".saved-run").click()
    assert tab.locator("#saved-run-new").inner_text().startswith("0 new documents")
    with tab.expect_navigation():
        tab.click("#open-search")
    assert "q=bulletin" in tab.url and "dataset=shared" in tab.url
    tab.goto("/saved")
    assert tab.locator("#saved-searches tr", has_text="shared bulletins") \
        .locator("td").nth(3).inner_text().strip() != "never"
    with tab.expect_navigation():
        tab.locator("#saved-searches tr", has_text="shared bulletins") \
            .locator(".saved-delete").click()
    assert tab.locator("#no-saved").is_visible()
    watch_of(tab).assert_clean()


def test_the_export_links_carry_the_search(new_tab):  # noqa: F811 (the fixture)
    tab = new_tab()
    sign_in(tab, "journalist")
    tab.goto(SEARCH)
    total = int(tab.locator("#total").get_attribute("data-total"))
    links = {fmt: tab.locator(f"#export-{fmt}").get_attribute("href")
             for fmt in ("csv", "jsonl", "zip")}
    assert all("q=bulletin" in url and "dataset=shared" in url for url in links.values())
    answer = tab.request.get(links["csv"])
    assert answer.ok and answer.headers["content-type"].startswith("text/csv")
    assert answer.text().splitlines()[0].startswith("id,dataset,title,path")
    assert len(tab.request.get(links["jsonl"]).text().splitlines()) >= total
    answer = tab.request.get(links["zip"])
    assert answer.ok and answer.body()[:2] == b"PK"
    tab.goto("/?q=bulletin")  # the public dataset too, read redacted: no zip offered
    assert tab.locator("#export-csv").count() == 1 and tab.locator("#export-zip").count() == 0
    watch_of(tab).assert_clean()


def test_next_and_previous_result_and_match_with_the_keys(new_tab):  # noqa: F811 (the fixture)
    tab = new_tab()
    sign_in(tab, "journalist")
    tab.goto("/?q=bulletin+page&dataset=shared")  # the PDF and the HTML page: two words each
    with tab.expect_navigation():
        tab.locator("ol.hits .hit-title a").first.click()
    assert "hit=0" in tab.url
    where = tab.locator(".reader-where").inner_text()
    assert where.startswith("Result 1 of")
    total = int(where.rsplit(" ", 1)[1])
    assert total >= 2
    with tab.expect_navigation():
        tab.keyboard.press("j")
    assert "hit=1" in tab.url and tab.locator(".reader-where").inner_text().startswith("Result 2")
    with tab.expect_navigation():
        tab.keyboard.press("k")
    assert "hit=0" in tab.url
    # Through the results to one with several matches, then to the PDF.
    seen_matches = seen_pdf = False
    for position in range(total):
        marks = tab.locator(".text-panel pre.text mark").count()
        if marks >= 2 and not seen_matches:
            assert tab.locator("#match-nav").is_visible()
            tab.keyboard.press("n")
            assert tab.locator("#match-where").inner_text() == f"Match 1 of {marks}"
            tab.keyboard.press("n")
            assert tab.locator("#match-where").inner_text() == f"Match 2 of {marks}"
            assert tab.locator("mark.current-match").count() == 1
            tab.keyboard.press("p")
            assert tab.locator("#match-where").inner_text() == f"Match 1 of {marks}"
            tab.click("#next-match")
            assert tab.locator("#match-where").inner_text() == f"Match 2 of {marks}"
            seen_matches = True
        if tab.locator("#preview").count():
            tab.wait_for_selector("#preview[data-marked]")
            assert tab.locator(".page-mark").count() >= 1
            seen_pdf = True
        if position < total - 1:
            with tab.expect_navigation():
                tab.keyboard.press("j")
    assert seen_matches and seen_pdf
    assert tab.locator("#next-result").count() == 0  # the last result
    with tab.expect_navigation():
        tab.click("#back-to-results")
    assert "q=bulletin+page" in tab.url
    watch_of(tab).assert_clean()
