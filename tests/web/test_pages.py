"""HTML pages, files and frames, through the app, against a real ingested data directory."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest

PAGE_CSP = ("default-src 'self'; script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'none'")


def links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]*)"', html)]


def assert_page_headers(response) -> None:
    csp = response.headers["content-security-policy"]
    assert csp.startswith(PAGE_CSP)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"


def assert_no_inline_script(html: str) -> None:
    """Every <script> of a page is an external file of this site, or JSON data (the
    timeline's bars: `type="application/json"`, which a browser never runs); no handlers."""
    data = r'<script type="application/json" id="[\w-]+">[^<]*</script>'
    for tag in re.findall(r"<script\b[^>]*>", re.sub(data, "", html), flags=re.I):
        assert re.search(r'src="/static/(vendor/)?[\w.-]+\.js"', tag), tag
    assert not re.search(r"<script\b[^>]*>[^<]+</script>", re.sub(data, "", html), flags=re.I)
    for tag in re.findall(r"<[a-z][^>]*>", html, flags=re.I):  # real tags: text is escaped
        assert not re.search(r"\son[a-z]+\s*=", tag, flags=re.I), tag
        assert "javascript:" not in tag.lower(), tag


def test_home_page(client):
    response = client.get("/")
    assert response.status_code == 200
    assert_page_headers(response)
    assert_no_inline_script(response.text)
    assert 'action="/"' in response.text
    assert "How to search" in response.text
    assert "/datasets/sample" in response.text


def test_search_page_results_facets_and_pagination(client):
    response = client.get("/", params={"q": "*"})
    assert response.status_code == 200
    html = response.text
    assert_no_inline_script(html)
    total = int(re.search(r'data-total="(\d+)"', html).group(1))
    assert total >= 25
    assert html.count('class="hit"') == 10
    for facet in ("dataset", "source", "type", "year", "language"):
        assert f'data-facet="{facet}"' in html
    assert "?q=%2A&amp;page=2" in html or "q=%2A&amp;page=2" in html
    assert 'rel="next"' in html


def test_facet_click_filters_and_shows_a_removable_chip(client):
    html = client.get("/", params={"q": "*"}).text
    facet_link = next(h for h in links(html) if "type=pdf" in h)
    filtered = client.get(facet_link).text
    assert 'class="chips"' in filtered
    chip = re.search(r'<li class="chip">(.*?)</li>', filtered, flags=re.S).group(1)
    assert "File type" in chip and "PDF" in chip
    remove = unescape(re.search(r'href="([^"]*)" class="chip-remove"', chip).group(1))
    assert "type=pdf" not in remove
    assert int(re.search(r'data-total="(\d+)"', filtered).group(1)) < \
        int(re.search(r'data-total="(\d+)"', html).group(1))
    assert 'class="facet-value active"' in filtered


def test_search_page_groups_pages_of_one_document(client):
    html = client.get("/", params={"q": "crime", "type": "pdf"}).text
    block = re.search(r'<li class="hit"[^>]*>(?:(?!</li>\s*<li class="hit").)*'
                      r"2021Week16CrimeReport\.pdf.*?</li>\s*(?=<li class=\"hit\"|</ol>)",
                      html, flags=re.S).group(0)
    assert re.search(r'class="page-ref"[^>]*>page \d+<', block)
    assert "also on pages" in block
    title = unescape(re.search(r'class="hit-title"><a href="([^"]*)"', block).group(1))
    assert "page=" in title and "#" not in title  # opens at the top, the title in view
    for url in links(block):
        if url.startswith("/documents/") and url != title:
            assert "page=" in url and "#page-" in url  # "page N" links jump to the page


def test_search_page_messages_instead_of_errors(client):
    for params in ({"q": "x" * 5000}, {"q": "crime", "limit": "999999"},
                   {"q": "crime", "page": "-3"}, {"q": "crime", "date_from": "soon"}):
        response = client.get("/", params=params)
        assert response.status_code == 400
        assert "This search cannot be run" in response.text
        assert_page_headers(response)
    response = client.get("/", params={"q": "colour:red"})
    assert response.status_code == 200
    assert "unknown field" in response.text
    response = client.get("/", params={"q": ""})
    assert "Type some words" in response.text


def test_hostile_text_is_escaped_everywhere(client, docs):
    html = client.get("/", params={"q": "surveillance"}).text
    assert "<img src=x onerror=alert('subject')>" not in html
    assert "&lt;img src=x onerror=alert(&#39;subject&#39;)&gt;" in html
    assert "<script>alert" not in html
    assert_no_inline_script(html)
    page = client.get(f"/documents/{docs['hostile/hostile.eml']}", params={"q": "budget"}).text
    assert_no_inline_script(page)
    assert "&lt;script&gt;alert(&#39;plain&#39;)&lt;/script&gt;" in page
    assert '&#34;Eve &lt;script&gt;alert(1)&lt;/script&gt;&#34;' in page or \
        "Eve &lt;script&gt;" in page
    name = client.get("/datasets/sample/browse/hostile").text
    assert_no_inline_script(name)
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;.txt" in name


def test_document_page_of_a_pdf_opens_at_the_hit_page(client, docs):
    doc_id = docs["atlanta/files/2021Week16CrimeReport.pdf"]
    response = client.get(f"/documents/{doc_id}", params={"q": "crime", "page": 8})
    assert response.status_code == 200
    html = response.text
    assert_page_headers(response)
    assert_no_inline_script(html)
    assert "COBRA REPORT" in html  # the title
    assert f'src="/documents/{doc_id}/pages/8.png"' in html
    assert "Page 8 of 9" in html
    for n in range(1, 10):
        assert f'id="page-{n}"' in html
    assert "<mark>Crime</mark>" in html or "<mark>crime</mark>" in html
    assert f'href="/documents/{doc_id}/original"' in html
    assert "atlanta/files/2021Week16CrimeReport.pdf" in html
    assert "example.pdf" in html  # a neighbour in the same folder


def test_document_page_lists_every_path_parent_and_children(client, docs, app):
    eml = client.get(f"/documents/{docs['hostile/hostile.eml']}").text
    assert "budget notes.txt" in eml
    assert f'href="/documents/{docs["hostile/hostile.eml/budget notes.txt"]}"' in eml
    assert f'src="/documents/{docs["hostile/hostile.eml"]}/frame"' in eml
    assert re.search(r'<iframe[^>]*sandbox=""', eml)
    child = client.get(f"/documents/{docs['hostile/hostile.eml/budget notes.txt']}").text
    assert "Contained in" in child
    assert f'href="/documents/{docs["hostile/hostile.eml"]}"' in child
    archive = client.get(f"/documents/{docs['ncric/files/test-documents.zip']}").text
    member = docs["ncric/files/test-documents.zip/testPDF.pdf"]
    assert f'<a href="/documents/{member}">testPDF.pdf</a>' in archive
    assert "archive member" in archive


def test_failed_and_pathless_files_have_pages(client, docs):
    failed = client.get(f"/documents/{docs['ncric/files/password-hunter2.pdf']}").text
    assert "Extraction failed" in failed and "encrypted" in failed
    link = client.get("/datasets/sample/files/hostile/passwd-link")
    assert link.status_code == 200
    assert "symbolic link" in link.text and "skipped" in link.text
    assert "root:" not in link.text
    assert "/original" not in link.text
    pipe = client.get("/datasets/sample/files/hostile/a-pipe")
    assert pipe.status_code == 200 and "not a regular file" in pipe.text
    redirect = client.get("/datasets/sample/files/atlanta/files/example.pdf",
                          follow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["location"] == f"/documents/{docs['atlanta/files/example.pdf']}"
    for missing in ("/datasets/sample/files/nope.txt", "/datasets/sample/files/../../etc/passwd",
                    "/datasets/nope/files/a.txt",
                    "/datasets/sample/files/" + quote("../../../etc/passwd", safe="")):
        response = client.get(missing, follow_redirects=False)
        assert response.status_code == 404, missing
        assert "root:" not in response.text


def test_frame_is_sanitised_and_locked_down(client, docs):
    for path in ("hostile/hostile.eml", "hostile/hostile.html", "web/testHTMLBadScript.html",
                 "web/testHTML_script_in_body.html", "web/testSrcDoc.html"):
        response = client.get(f"/documents/{docs[path]}/frame")
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert csp.startswith("default-src 'none'; img-src data:; style-src 'unsafe-inline'")
        assert "script-src" not in csp and "frame-ancestors 'self'" in csp
        assert response.headers["x-frame-options"] == "SAMEORIGIN"
        assert response.headers["x-content-type-options"] == "nosniff"
        body = response.text.lower()
        for bad in ("<script", "onerror", "onload", "javascript:", "<iframe", "<meta http-equiv",
                    "<object", "<embed", "<base", "<form", "srcdoc", "<svg", "/pwned", "<link"):
            assert bad not in body, (path, bad)
    assert "fusion center" in client.get(f"/documents/{docs['hostile/hostile.html']}/frame").text
    no_html = client.get(f"/documents/{docs['atlanta/files/example.pdf']}/frame")
    assert no_html.status_code == 404


def test_pdf_page_images(client, docs, data_dir):
    doc_id = docs["atlanta/files/2021Week16CrimeReport.pdf"]
    response = client.get(f"/documents/{doc_id}/pages/2.png")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")
    assert (data_dir.root / "previews" / doc_id[:2] / doc_id / "2.png").is_file()
    assert client.get(f"/documents/{doc_id}/pages/2.png").content == response.content
    for bad in ("0", "10", "-1", "99999999"):
        assert client.get(f"/documents/{doc_id}/pages/{bad}.png").status_code in (404, 400)
    encrypted = docs["ncric/files/password-hunter2.pdf"]
    assert client.get(f"/documents/{encrypted}/pages/1.png").status_code == 404
    not_pdf = docs["ncric/countries.csv"]
    assert client.get(f"/documents/{not_pdf}/pages/1.png").status_code == 404


def test_image_preview_only_for_safe_image_types(client, docs):
    jpg = client.get(f"/documents/{docs['ncric/files/regression_jpg.jpg']}/preview")
    assert jpg.status_code == 200
    assert jpg.headers["content-type"] == "image/jpeg"
    assert jpg.headers["x-content-type-options"] == "nosniff"
    png = client.get(f"/documents/{docs['ncric/mail/testEmailWithPNGAtt.eml/testPNG.png']}"
                     "/preview")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    for path in ("hostile/hostile.html", "atlanta/files/example.pdf", "ncric/countries.csv"):
        assert client.get(f"/documents/{docs[path]}/preview").status_code == 404
    page = client.get(f"/documents/{docs['ncric/files/regression_jpg.jpg']}").text
    assert f'src="/documents/{docs["ncric/files/regression_jpg.jpg"]}/preview"' in page


def test_plain_text_endpoint(client, docs):
    response = client.get(f"/documents/{docs['hostile/hostile.eml']}/text")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "<script>alert('plain')</script>" in response.text  # text/plain, nosniff: inert
    assert response.headers["x-content-type-options"] == "nosniff"


def test_browse_datasets_folders_and_overview(client):
    datasets = client.get("/datasets").text
    assert 'href="/datasets/sample"' in datasets
    overview = client.get("/datasets/sample").text
    assert "Files by type" in overview and "Failures by code" in overview
    assert "encrypted" in overview
    assert "symbolic link to /etc/passwd" in overview  # skipped: a message under its code
    code_link = next(h for h in links(overview)
                     if "/problems?status=failed&code=encrypted" in h and "reason" not in h)
    problems = client.get(code_link).text
    assert "password-hunter2.pdf" in problems
    reason_link = next(h for h in links(overview) if "code=link&reason=" in h)
    assert "passwd-link" in client.get(reason_link).text
    root = client.get("/datasets/sample/browse").text
    for folder in ("atlanta", "ncric", "hostile", "web"):
        assert f'href="/datasets/sample/browse/{folder}"' in root
    hostile = client.get("/datasets/sample/browse/hostile").text
    assert "100% _done_.txt" in hostile
    assert "café été.txt" in hostile
    # '%' and '_' are plain characters, not wildcards: no other folder leaks in.
    assert "example.pdf" not in hostile
    assert client.get("/datasets/sample/browse/hostil").status_code == 404
    assert client.get("/datasets/sample/browse/ho%25").status_code == 404
    assert client.get("/datasets/sample/browse/h_stile").status_code == 404
    nested = client.get("/datasets/sample/browse/atlanta").text
    assert 'href="/datasets/sample/browse/atlanta/files"' in nested


def test_folders_show_dates_and_sort_by_name_date_or_size(client):
    page = client.get("/datasets/sample/browse/hostile").text
    assert "<th>" in page and ">Modified</a>" in page and 'href="?sort=date"' in page
    assert '<time datetime="' in page  # each file on disk has its modification date
    by_size = client.get("/datasets/sample/browse/hostile", params={"sort": "size"})
    assert by_size.status_code == 200 and 'aria-sort="descending"' in by_size.text
    assert client.get("/datasets/sample/browse/hostile",
                      params={"sort": "path"}).status_code == 400
    listed = client.get("/api/datasets/sample/browse",
                        params={"path": "hostile", "sort": "size"}).json()
    sizes = [f["size"] for f in listed["files"]]
    known = [size for size in sizes if size is not None]
    assert sizes == sorted(known, reverse=True) + [None] * (len(sizes) - len(known))
    # Files on disk have a date; the link and the pipe, never read, have none.
    undated = {f["name"] for f in listed["files"] if f["modified"] is None}
    assert undated == {"a-pipe", "passwd-link"}
    by_date = client.get("/api/datasets/sample/browse", params={"sort": "date"}).json()
    dates = [f["modified"] for f in by_date["folders"]]
    assert dates == sorted(dates, reverse=True) and all(dates)


def test_languages(client):
    from fastapi.testclient import TestClient

    fresh = TestClient(client.app, headers={"Authorization": client.headers["authorization"]})
    french = fresh.get("/", params={"q": "crime"}, headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    assert '<html lang="fr">' in french.text
    assert "Trier" in french.text and "Type de fichier" in french.text
    english = fresh.get("/", params={"q": "crime"},
                        headers={"Accept-Language": "de;q=1, en;q=0.8, fr;q=0.5"})
    assert '<html lang="en">' in english.text
    chosen = fresh.get("/", params={"q": "crime", "lang": "fr"},
                       headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in chosen.text
    assert "lang=fr" in chosen.headers["set-cookie"]
    remembered = fresh.get("/datasets", headers={"Accept-Language": "en"})
    assert '<html lang="fr">' in remembered.text and "Jeux de données" in remembered.text
    back = fresh.get("/datasets", params={"lang": "en"})
    assert "Datasets" in back.text
    assert fresh.get("/", params={"lang": "xx"}).status_code == 200


@pytest.mark.parametrize("url", ["/", "/?q=crime", "/datasets", "/datasets/sample",
                                 "/datasets/sample/browse/hostile", "/static/trawl.css",
                                 "/static/trawl.js", "/no/such/page", "/documents/zz"])
def test_every_response_carries_security_headers(client, url):
    response = client.get(url)
    assert_page_headers(response)


def test_static_files_are_packaged_and_served(client):
    js = client.get("/static/trawl.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "http://" not in js.text and "https://" not in js.text
    css = client.get("/static/trawl.css")
    assert css.status_code == 200
    assert "http://" not in css.text and "https://" not in css.text
    assert client.get("/static/../app.py").status_code == 404
