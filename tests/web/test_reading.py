"""What a new reader sees on the pages (issue #19, "seen by a new user"): an e-mail's body
once and its date readable, senders and recipients as searches, readable audit times, the
unknown-date bucket, and so on; through the app, on the real sample dump."""

from __future__ import annotations

import re
from html import unescape

from fastapi.testclient import TestClient


def french(app, admin_token: str) -> TestClient:
    """A client of its own, reading French (the shared client must keep its language)."""
    return TestClient(app, headers={"Authorization": f"Bearer {admin_token}",
                                    "Accept-Language": "fr"})


def test_email_body_once_and_date_readable(client, docs, app, admin_token):
    doc_id = docs["hostile/hostile.eml"]
    html = client.get(f"/documents/{doc_id}").text
    # One body: the text, with the formatted HTML version folded under it, not a panel above.
    assert html.count('class="html-frame"') == 1
    assert "<h2>Message as formatted</h2>" not in html
    body = html[html.index('<section class="panel text-panel">'):]
    assert body.index("The fusion center surveillance budget is attached") \
        < body.index('<details class="formatted">') < body.index('class="html-frame"')
    # The date: readable, to the second, with its zone; the raw ISO only as machine data.
    assert ">2020-06-16T17:15:00Z<" not in html
    assert '<time datetime="2020-06-16T17:15:00Z">Jun 16, 2020, 5:15:00\u202fPM\u00a0UTC' \
        in html
    with french(app, admin_token) as reader:
        assert "16 juin 2020, 17:15:00\u00a0UTC" in reader.get(f"/documents/{doc_id}").text


def test_html_page_keeps_its_formatted_panel(client, docs):
    html = client.get(f"/documents/{docs['hostile/hostile.html']}").text
    assert "<h2>Page as formatted</h2>" in html and '<details class="formatted">' not in html


def test_sender_and_recipients_link_to_their_mail(client, docs):
    html = client.get(f"/documents/{docs['hostile/hostile.eml']}").text
    sender = re.search(r'<tr class="header-from">.*?</tr>', html).group(0)
    # The hostile display name stays text; the address is a link to a search.
    assert "Eve &lt;script&gt;alert(1)&lt;/script&gt; &lt;<a " in sender
    found = re.findall(r'href="([^"]*)"[^>]*>([^<]*)</a>', sender)
    assert found == [("/?q=from%3A%22eve%40example.org%22", "eve@example.org")]
    recipient = re.search(r'<tr class="header-to">.*?</tr>', html).group(0)
    (url, address), = re.findall(r'href="([^"]*)"[^>]*>([^<]*)</a>', recipient)
    assert address == "analyst@ncric.example"
    # Following the links finds this very e-mail.
    for link in (found[0][0], url):
        results = client.get(unescape(link)).text
        assert "hostile/hostile.eml" in results, link
    other = client.get(f"/documents/{docs['ncric/mail/testEmailWithPNGAtt.eml']}").text
    assert 'href="/?q=to%3A%22analyst%40ncric.example%22"' in other


def test_year_facet_has_an_unknown_date_bucket(client, app, admin_token):
    everything = client.get("/api/search", params={"q": "*", "limit": 200}).json()
    undated = {h["id"] for h in everything["hits"] if h["date"] is None}
    assert undated and len(undated) < everything["total"]
    years = dict((f["value"], f["count"]) for f in everything["facets"]["year"])
    assert years["unknown"] == len(undated)
    assert sum(years.values()) == everything["total"]
    # The bucket is a filter: the API and the page find the undated documents, and only them.
    found = client.get("/api/search", params={"q": "*", "year": "unknown", "limit": 200}).json()
    assert {h["id"] for h in found["hits"]} == undated
    dated = next(y for y in years if y != "unknown")
    both = client.get("/api/search", params={"q": "*", "year": ["unknown", dated]}).json()
    assert both["total"] == len(undated) + years[dated]
    page = client.get("/", params={"q": "*"}).text
    facet = re.search(r'data-facet="year".*?</section>', page, re.S).group(0)
    names = re.findall(r'class="facet-name">([^<]*)<', facet)
    assert names[-1] == "Unknown date"  # after the years, newest first
    assert 'href="/?q=%2A&amp;year=unknown"' in facet
    filtered = client.get("/", params={"q": "*", "year": "unknown"}).text
    assert f'data-total="{len(undated)}"' in filtered
    with french(app, admin_token) as reader:
        assert "Date inconnue" in reader.get("/", params={"q": "*"}).text
    assert client.get("/api/search", params={"q": "*", "year": "later"}).status_code == 400


def test_audit_times_readable_and_action_a_select(client, docs, app, admin_token):
    from trawl.access.audit import ACTIONS

    client.get(f"/documents/{docs['hostile/hostile.eml']}")  # a "view" entry, at least
    html = client.get("/admin/audit").text
    assert not re.search(r">\d{4}-\d\d-\d\dT[\d:.]+Z<", html)  # no raw ISO time shown
    times = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', html)
    assert times
    for raw, shown in times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", raw)
        # To the second, with the zone: "Jun 16, 2020, 5:15:00 PM UTC".
        assert shown.endswith("\u00a0UTC") and re.search(r"\d:\d\d:\d\d", shown), shown
        assert "." not in shown.split(",")[-1]
    select = re.search(r'<select name="action".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)"', select) == ["", *ACTIONS]
    chosen = client.get("/admin/audit", params={"action": "view"}).text
    assert '<option value="view" selected>' in chosen
    assert set(re.findall(r"<td>(\w+)</td><td>[^<]*</td>\s*<td><code>", chosen)) == {"view"}
    assert client.get("/admin/audit", params={"action": "veiw"}).status_code == 400
    with french(app, admin_token) as reader:
        page = reader.get("/admin/audit").text
        assert re.search(r'<time datetime="[^"]+">\d{1,2} \w+\.? \d{4}, \d\d:\d\d:\d\d', page)


def test_french_names_visibilities_and_units(client, app, admin_token):
    english = client.get("/admin").text
    meanings = re.search(r'id="visibility-meanings">([^<]*)<', english).group(1)
    # What access/policy.py does: admins read every dataset; restricted is private's rule.
    assert "private: administrators and the accounts and groups it is granted to" in meanings
    assert "restricted: the same readers as private" in meanings
    assert "restricted: granted accounts only" not in english
    with french(app, admin_token) as reader:
        admin = reader.get("/admin").text
        options = re.findall(r'<option value="(private|restricted|public)"[^>]*>([^<]*)<',
                             admin)
        assert dict(options) == {"private": "privé", "restricted": "restreint",
                                 "public": "public"}
        sizes = re.findall(r'<td class="num">([\d,\u202f\u00a0]+\u00a0(\w+))</td>',
                           reader.get("/datasets").text)
        assert sizes and {unit for _size, unit in sizes} <= {"o", "Ko", "Mo", "Go", "To"}
    assert re.search(r'<td class="num">[\d.,]+\u00a0(KB|MB)</td>', client.get("/datasets").text)
