"""Access control in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

What a stranger sees of the public dataset (masked, no original) and of a private one (the
same 404 as an id that does not exist); an account with a grant reading a restricted dataset
in full, and signing out for good; an admin granting and revoking through the admin page
while the grantee's own browser follows, and the audit log that records it; the lockout after
five wrong passwords; a list cross-referenced through the /xref form. Every tab is watched:
a script error, or a request to any other host (blocked, and noted), fails the test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from access_site import PASSWORD

from trawl.access.store import AccessStore
from trawl.web.auth import SESSION_COOKIE

pytestmark = pytest.mark.browser



VICTIM = "leak.victim@example.org"
LOCAL_SCHEMES = ("data", "about", "blob")


class Watch:
    """Script errors and requests to another host, in every tab of one browser context."""

    def __init__(self, context, server_url: str) -> None:
        self.server_url = server_url
        self.errors: list[str] = []
        self.elsewhere: list[str] = []
        self.requests: list[str] = []
        self.documents: set[str] = set()
        context.route("**/*", self._route)
        context.on("page", self.watch_tab)

    def watch_tab(self, tab) -> None:
        tab.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        tab.on("console", self._console)
        tab.on("request", self._request)

    def _request(self, request) -> None:
        self.requests.append(request.url)
        if request.resource_type == "document":
            self.documents.add(request.url)

    def _console(self, message) -> None:
        # Chromium also logs the status of a page the test opened on purpose (a 404, a 401
        # login): that is no script error. A sub-resource that fails still counts.
        if message.type == "error" and not (
                message.text.startswith("Failed to load resource: the server responded")
                and message.location.get("url") in self.documents):
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def _route(self, route) -> None:
        url = route.request.url
        if urlsplit(url).scheme in LOCAL_SCHEMES or self._here(url):
            route.continue_()
        else:
            self.elsewhere.append(url)  # never let a test reach out, but remember it did
            route.abort()

    def _here(self, url: str) -> bool:
        return url == self.server_url or url.startswith(self.server_url + "/")

    def assert_clean(self) -> None:
        assert self.errors == []
        assert self.elsewhere == []
        for url in self.requests:
            assert urlsplit(url).scheme in LOCAL_SCHEMES or self._here(url), url


@pytest.fixture
def new_tab(browser, live_server) -> Iterator[Callable]:
    """`new_tab()`: a tab in a fresh browser context (its own cookies), watched."""
    contexts = []

    def open_tab(**options):
        context = browser.new_context(locale="en-US", base_url=live_server.url, **options)
        contexts.append(context)
        context.watch = Watch(context, live_server.url)
        tab = context.new_page()
        tab.set_default_timeout(15_000)
        return tab

    yield open_tab
    for context in contexts:
        context.close()


def watch_of(tab) -> Watch:
    return tab.context.watch


def sign_in(tab, name: str, password: str = PASSWORD) -> None:
    """Through the login form, as a person would."""
    submit_login(tab, name, password)
    tab.wait_for_url(lambda url: "/login" not in url)


def submit_login(tab, name: str, password: str):
    tab.goto("/login")
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", password)
    with tab.expect_navigation() as navigation:
        tab.click("form.stacked button[type=submit]")
    return navigation.value


def note_id(web, callers, dataset: str) -> str:
    """The id of a dataset's note, found with the admin's API token."""
    hits = web.get("/api/search", params={"q": "zebracorn incident", "dataset": dataset},
                   headers=callers["admin"].headers()).json()["hits"]
    assert hits and hits[0]["path"] == f"notes/{dataset}-note.txt"
    return hits[0]["id"]


@pytest.fixture(scope="session")
def notes(web, callers) -> dict[str, str]:
    return {name: note_id(web, callers, name) for name in ("open", "shared", "secret")}


def made_up_id(real: str) -> str:
    """An id of the same shape as `real` that names no document."""
    return "0" * (len(real) - 4) + "dead"


def not_found_text(tab, doc_id: str) -> str:
    """The page's main content, with the asked id taken out (the message repeats it)."""
    return tab.locator("main").inner_text().replace(doc_id, "ID")


def who_is_signed_in(tab) -> str | None:
    who = tab.locator(".topbar .who")
    return who.inner_text() if who.count() else None


# -- a stranger ----------------------------------------------------------------------------------
def test_a_stranger_reads_the_public_note_masked(new_tab, notes):
    tab = new_tab()
    tab.goto("/")
    assert who_is_signed_in(tab) is None
    assert tab.locator(".topbar a[href='/login']").count() == 1
    tab.fill(".searchbox input[name=q]", "zebracorn incident")
    tab.click(".searchbox button[type=submit]")
    tab.wait_for_url(re.compile(r"q=zebracorn"))
    hits = tab.locator("li.hit")
    assert hits.count() >= 1
    assert "zebracorn shared" not in tab.content() and "zebracorn secret" not in tab.content()
    tab.locator("li.hit", has_text="open-note.txt").locator(".hit-title a").click()
    tab.wait_for_url(re.compile(rf"/documents/{notes['open']}"))
    text = tab.locator("pre.text").inner_text()
    assert "zebracorn open" in text
    assert "[email]" in text and "[phone]" in text and "[ssn]" in text
    assert VICTIM not in tab.content()
    assert "219-09-9999" not in tab.content()
    assert tab.locator(".redacted-notice").is_visible()
    assert tab.locator("#download").count() == 0
    assert tab.locator("a[href$='/original']").count() == 0
    watch_of(tab).assert_clean()


def test_a_private_document_is_the_same_404_as_a_made_up_one(new_tab, notes):
    tab = new_tab()
    secret = notes["secret"]
    made_up = made_up_id(secret)
    response = tab.goto(f"/documents/{made_up}")
    assert response.status == 404
    nowhere = not_found_text(tab, made_up)
    title = tab.title()
    response = tab.goto(f"/documents/{secret}")
    assert response.status == 404
    assert tab.title() == title
    assert not_found_text(tab, secret) == nowhere
    assert "zebracorn" not in tab.content() and VICTIM not in tab.content()
    for path in (f"/documents/{secret}/text", f"/documents/{secret}/original"):
        assert tab.goto(path).status == 404
    watch_of(tab).assert_clean()


# -- an account with a grant ---------------------------------------------------------------------
def test_journalist_reads_shared_in_full_not_secret_and_signs_out(new_tab, notes):
    tab = new_tab()
    sign_in(tab, "journalist")
    assert who_is_signed_in(tab) == "journalist"
    tab.goto(f"/documents/{notes['shared']}")
    assert tab.locator("h1").inner_text() == "shared-note.txt"
    text = tab.locator("pre.text").inner_text()
    assert "zebracorn shared" in text and VICTIM in text and "219-09-9999" in text
    assert tab.locator(".redacted-notice").count() == 0
    assert tab.locator("#download").count() == 1
    # The public dataset stays masked even for an account.
    tab.goto(f"/documents/{notes['open']}")
    assert VICTIM not in tab.content()
    assert tab.goto(f"/documents/{notes['secret']}").status == 404
    assert "zebracorn secret" not in tab.content()

    session = next(c["value"] for c in tab.context.cookies() if c["name"] == SESSION_COOKIE)
    tab.goto("/datasets")
    with tab.expect_navigation():
        tab.locator("form.logout button[type=submit]").click()
    assert urlsplit(tab.url).path == "/login"
    assert who_is_signed_in(tab) is None
    assert SESSION_COOKIE not in {c["name"] for c in tab.context.cookies()}
    assert tab.goto(f"/documents/{notes['shared']}").status == 404

    # The old cookie, planted in another browser, is worth nothing now.
    replay = new_tab()
    replay.context.add_cookies([{"name": SESSION_COOKIE, "value": session,
                                 "url": tab.context.watch.server_url}])
    replay.goto("/api/me")
    assert '"name":null' in replay.locator("body").inner_text().replace(" ", "")
    assert replay.goto(f"/documents/{notes['shared']}").status == 404
    replay.goto("/")
    assert who_is_signed_in(replay) is None
    watch_of(tab).assert_clean()
    watch_of(replay).assert_clean()


# -- an admin ------------------------------------------------------------------------------------
def secret_row(tab):
    return tab.locator("table.admin-datasets tbody tr", has=tab.locator(
        "a[href='/datasets/secret']"))


def audit_rows(tab) -> list[list[str]]:
    rows = tab.locator("table.audit tbody tr")
    return [rows.nth(i).locator("td").all_inner_texts() for i in range(rows.count())]


def test_admin_grants_and_revokes_while_the_reader_watches(new_tab, notes, archive):
    secret = notes["secret"]
    admin = new_tab()
    reader = new_tab()
    try:
        sign_in(admin, "admin")
        assert who_is_signed_in(admin) == "admin"
        sign_in(reader, "reader")
        assert reader.goto(f"/documents/{secret}").status == 404  # control: no grant yet

        admin.goto("/admin")
        row = secret_row(admin)
        assert row.count() == 1 and "nobody" in row.inner_text()
        grant_form = row.locator("form:has(input[name=who]:not([type=hidden]))")
        grant_form.locator("select[name=principal]").select_option("user")
        grant_form.locator("input[name=who]").fill("reader")
        with admin.expect_navigation():
            grant_form.locator("button[type=submit]").click()
        assert admin.locator("p.notice[role=status]").inner_text() == \
            "secret: granted to user reader"
        assert "reader" in secret_row(admin).locator("td").nth(2).inner_text()

        assert reader.goto(f"/documents/{secret}").status == 200
        text = reader.locator("pre.text").inner_text()
        assert "zebracorn secret" in text and VICTIM in text

        revoke = secret_row(admin).locator("form:has(input[name=who][value=reader])")
        with admin.expect_navigation():
            revoke.get_by_role("button", name="Revoke").click()
        assert admin.locator("p.notice[role=status]").inner_text() == \
            "secret: revoked for user reader"
        assert "nobody" in secret_row(admin).inner_text()

        assert reader.reload().status == 404
        assert "zebracorn secret" not in reader.content()
    finally:
        store = AccessStore(archive.access_path)
        store.revoke("secret", "user", "reader")  # whatever the test reached
        store.close()

    admin.goto("/admin/audit")
    entries = audit_rows(admin)
    changes = [(r[2], r[4], r[5], r[6]) for r in entries if r[4] in ("grant", "revoke")]
    assert ("admin", "grant", "secret", "user:reader") in changes
    assert ("admin", "revoke", "secret", "user:reader") in changes
    # Newest first: the revoke came after the grant.
    assert changes.index(("admin", "revoke", "secret", "user:reader")) < \
        changes.index(("admin", "grant", "secret", "user:reader"))
    assert {r[2] for r in entries} >= {"admin", "reader"}

    admin.fill("form.audit-filters input[name=user]", "reader")
    with admin.expect_navigation():
        admin.click("form.audit-filters button[type=submit]")
    assert "user=reader" in admin.url
    assert admin.locator("form.audit-filters input[name=user]").input_value() == "reader"
    filtered = audit_rows(admin)
    assert filtered, "reader signed in and read a document: there are entries"
    assert {r[2] for r in filtered} == {"reader"}
    assert "login" in {r[4] for r in filtered}
    total = int(re.search(r"([\d,]+) entries", admin.locator("main").inner_text())
                .group(1).replace(",", ""))
    assert total == len(filtered) or len(filtered) == 100

    admin.fill("form.audit-filters input[name=user]", "admin")
    admin.select_option("form.audit-filters select[name=action]", "grant")  # known actions
    with admin.expect_navigation():
        admin.click("form.audit-filters button[type=submit]")
    granted = audit_rows(admin)
    assert granted and {(r[2], r[4]) for r in granted} == {("admin", "grant")}
    watch_of(admin).assert_clean()
    watch_of(reader).assert_clean()


# -- lockout -------------------------------------------------------------------------------------
def test_five_wrong_passwords_lock_the_name_out(new_tab, archive):
    name = "browser-lockout"
    started = time.time()
    store = AccessStore(archive.access_path)
    store.add_user(name, PASSWORD)
    try:
        tab = new_tab()
        for attempt in range(1, 6):
            response = submit_login(tab, name, f"wrong guess number {attempt}")
            assert response.status == 401
            assert urlsplit(tab.url).path == "/login"
            if attempt < 5:
                assert tab.locator("p.notice-error[role=alert]").inner_text() == \
                    "Wrong name or password."
        response = submit_login(tab, name, PASSWORD)  # the right password, too late
        assert response.status == 401
        assert tab.locator("p.notice-error[role=alert]").inner_text() == \
            "Too many failed attempts: wait 15 minutes and try again."
        assert urlsplit(tab.url).path == "/login"
        assert SESSION_COOKIE not in {c["name"] for c in tab.context.cookies()}
        tab.goto("/")
        assert who_is_signed_in(tab) is None
        # Control: once unlocked, the same password signs in.
        store.unlock(name)
        sign_in(tab, name)
        assert who_is_signed_in(tab) == name
        watch_of(tab).assert_clean()
    finally:
        store.unlock(name)
        store.remove_user(name)
        # The failures also counted against this address (127.0.0.1, every browser test's):
        # take this test's back out, so that it leaves the address as it found it.
        with store.accounts.db as db:
            db.execute("DELETE FROM login_failures WHERE key LIKE 'ip:%' AND at >= ?",
                       (started,))
        store.close()


# -- the pages themselves -------------------------------------------------------------------------
def test_no_script_error_and_no_other_host_on_any_page(new_tab, notes):
    stranger, admin = new_tab(), new_tab()
    for path in ("/", "/?q=zebracorn", "/datasets", "/datasets/open", f"/documents/"
                 f"{notes['open']}", f"/documents/{notes['secret']}", "/login"):
        stranger.goto(path)
        stranger.wait_for_load_state("networkidle")
    sign_in(admin, "admin")
    for path in ("/admin", "/admin/audit", "/admin/audit?user=admin", "/?q=zebracorn",
                 f"/documents/{notes['secret']}", f"/documents/{notes['shared']}",
                 "/datasets/secret"):
        admin.goto(path)
        admin.wait_for_load_state("networkidle")
    assert len(watch_of(admin).requests) >= 8
    watch_of(stranger).assert_clean()
    watch_of(admin).assert_clean()


def test_the_watch_would_see_an_error_and_another_host(new_tab):
    """Control: a script error and a request elsewhere, made on purpose, are both caught (with
    the site's Content-Security-Policy bypassed, which would block both by itself)."""
    tab = new_tab(bypass_csp=True)
    tab.goto("/login")
    tab.set_content("<p>x</p><script>throw new Error('on purpose')</script>"
                    "<img src='https://elsewhere.example/pixel.png'>")
    tab.wait_for_timeout(300)
    watch = watch_of(tab)
    assert any("on purpose" in error for error in watch.errors)
    assert watch.elsewhere == ["https://elsewhere.example/pixel.png"]
    with pytest.raises(AssertionError):
        watch.assert_clean()


# -- cross-referencing a list --------------------------------------------------------------------
def test_journalist_cross_references_a_list_in_the_browser(new_tab, tmp_path):
    """The form carries the session's CSRF token; the page shows the matches of readable
    datasets only (`secret`'s same address is not among them), and Download CSV gives the
    same answer as a file."""
    listing = tmp_path / "list.csv"
    listing.write_text("Name,Email\nVictim,LEAK.VICTIM@example.org\n"
                       "Ada,ada.quill@secret.example\n")
    tab = new_tab(accept_downloads=True)
    sign_in(tab, "journalist")
    tab.click(".topbar a[href='/xref']")
    tab.wait_for_url(re.compile(r"/xref$"))
    offered = tab.locator("input[name=dataset]")
    assert sorted(offered.nth(i).get_attribute("value") for i in range(offered.count())) == [
        "open", "shared"]
    tab.set_input_files("input[type=file]", str(listing))
    with tab.expect_navigation():
        tab.click("button[value=html]")
    table = tab.locator("table.xref").inner_text()
    assert VICTIM in table and "shared" in table
    assert "secret" not in table and "ada.quill" not in table
    assert "1 of 2 rows match" in tab.locator("main").inner_text()
    tab.set_input_files("input[type=file]", str(listing))
    with tab.expect_download() as download:
        tab.click("button[value=csv]")
    saved = tmp_path / "xref.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("Name,Email,match_dataset,")
    assert lines[1].startswith("Victim,LEAK.VICTIM@example.org,shared,Email,")
    assert lines[2] == "Ada,ada.quill@secret.example" + "," * 11
    watch_of(tab).assert_clean()


# -- the correspondents graph ----------------------------------------------------------------------
def test_the_correspondents_graph_draws_masked_domains(new_tab):
    """Cytoscape.js under the strict CSP: the graph of the public dataset draws its domains
    (the stranger reads it redacted: no address), with no script error."""
    tab = new_tab()
    tab.goto("/datasets/open/correspondents")
    graph = tab.locator("#correspondents-graph[data-nodes]")
    graph.wait_for(state="visible")
    assert tab.locator("#correspondents-graph .graph-canvas canvas").count() >= 1
    rows = tab.locator("tr.edge-row").count()
    assert int(graph.get_attribute("data-edges")) == rows > 0
    assert "@" not in tab.locator("main").inner_text()
    watch_of(tab).assert_clean()
