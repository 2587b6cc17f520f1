"""A small BlueLeaks-like dump for the web tests and the screenshots.

Real files copied from the shared corpus (a multi-page PDF, a docx, an e-mail with an
attachment, a zip, an image, HTML pages with scripts), laid out as one folder per "agency
portal", plus hostile files written here: an HTML e-mail and an HTML page that try every way
of running script, and file names made of markup, '%' and '_'.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# (corpus path, path in the sample)
CORPUS_FILES = [
    ("pdap-police/GA/fulton_county/atlanta/atlanta_police/data/cobra/2021Week16CrimeReport.pdf",
     "atlanta/files/2021Week16CrimeReport.pdf"),
    ("ingest-file/example.pdf", "atlanta/files/example.pdf"),
    ("ingest-file/hello world word.docx", "ncric/files/hello world word.docx"),
    ("tika/mail/testEmailWithPNGAtt.eml", "ncric/mail/testEmailWithPNGAtt.eml"),
    ("ingest-file/test-documents.zip", "ncric/files/test-documents.zip"),
    ("ingest-file/regression_jpg.jpg", "ncric/files/regression_jpg.jpg"),
    ("ingest-file/password-hunter2.pdf", "ncric/files/password-hunter2.pdf"),
    ("ingest-file/countries.csv", "ncric/countries.csv"),
    ("tika/html/testHTMLBadScript.html", "web/testHTMLBadScript.html"),
    ("tika/html/testHTML_script_in_body.html", "web/testHTML_script_in_body.html"),
    ("tika/html/testHTML_embedded_img_in_js.html", "web/testHTML_embedded_img_in_js.html"),
    ("tika/html/testHTMLGoodScript.html", "web/testHTMLGoodScript.html"),
    ("tika/html/testSrcDoc.html", "web/testSrcDoc.html"),
]

# Everything a page could try. Each attack would set window.__pwned, change the title, open a
# dialog or request /pwned... on the server: the tests watch for all of them.
HOSTILE_HTML = """<html><head><title>Hostile</title>
<meta http-equiv="refresh" content="0;url=/pwned-refresh">
<base href="http://127.0.0.1:9/">
<link rel="stylesheet" href="/pwned-css">
<style>body { background: url('/pwned-style'); }</style>
<script>window.__pwned = 'head'; document.title = 'PWNED'; fetch('/pwned-fetch');</script>
</head>
<body onload="window.__pwned='onload'; alert('onload')">
<h1>Quarterly surveillance budget</h1>
<p>The <b>fusion center</b> asked for more money for surveillance equipment.</p>
<script>window.__pwned = 'body'; alert('script'); new Image().src = '/pwned-img-js';</script>
<img src="x" onerror="window.__pwned='onerror'; alert('onerror')">
<img src="/pwned-img-remote" alt="remote">
<svg onload="window.__pwned='svg'"><script>window.__pwned='svg-script'</script></svg>
<a href="javascript:window.__pwned='link';alert('link')" id="jslink">click me</a>
<iframe src="/pwned-iframe"></iframe>
<iframe srcdoc="<script>parent.__pwned='srcdoc'</script>"></iframe>
<object data="/pwned-object"></object><embed src="/pwned-embed">
<form action="/pwned-form"><input name="x" autofocus onfocus="window.__pwned='focus'"></form>
<div style="background-image: url('/pwned-inline-style')">styled</div>
<math><mtext><script>window.__pwned='math'</script></mtext></math>
<noscript><p title="</noscript><img src=x onerror=alert('noscript')>"></p></noscript>
<p>Contact: <a href="https://example.org/leak">example.org</a></p>
</body></html>
"""

# The admin account the web tests sign in with (conftest.py makes it).
ADMIN = "admin"
ADMIN_PASSWORD = "correct horse battery staple"  # noqa: S105 (a test account)

HOSTILE_EML = """From: "Eve <script>alert(1)</script>" <eve@example.org>
To: Analyst <analyst@ncric.example>
Subject: <img src=x onerror=alert('subject')> Fusion center surveillance budget
Date: Tue, 16 Jun 2020 10:15:00 -0700
Message-ID: <hostile-1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="OUTER"

--OUTER
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset=utf-8

The fusion center surveillance budget is attached. <script>alert('plain')</script>

--ALT
Content-Type: text/html; charset=utf-8

{html}
--ALT--

--OUTER
Content-Type: text/plain; charset=utf-8
Content-Disposition: attachment; filename="budget notes.txt"

Budget notes: surveillance drones, licence plate readers, fusion center staff.

--OUTER--
"""

MARKUP_NAME = '"><img src=x onerror=alert(1)>.txt'
PERCENT_NAME = "100% _done_.txt"


def build_sample(corpus: Path, target: Path) -> Path:
    """Write the sample dump under `target` and return it."""
    target.mkdir(parents=True, exist_ok=True)
    for source, dest in CORPUS_FILES:
        path = target / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / source, path)
    hostile = target / "hostile"
    hostile.mkdir(exist_ok=True)
    (hostile / "hostile.html").write_text(HOSTILE_HTML, encoding="utf-8")
    eml = HOSTILE_EML.replace("{html}", HOSTILE_HTML).replace("\n", "\r\n")
    (hostile / "hostile.eml").write_text(eml, encoding="utf-8", newline="")
    (hostile / MARKUP_NAME).write_text("A file whose name is markup. <script>alert(2)</script>",
                                       encoding="utf-8")
    (hostile / PERCENT_NAME).write_text("Percent and underscore in a name.", encoding="utf-8")
    (hostile / "café été.txt").write_text("Accents in a file name: résumé of the fusion "
                                         "center.", encoding="utf-8")
    (hostile / "empty.txt").write_bytes(b"")
    # Paths with no content: a link out of the dump (never followed, never served) and a pipe.
    link = hostile / "passwd-link"
    if not link.is_symlink():
        link.symlink_to("/etc/passwd")
    pipe = hostile / "a-pipe"
    if not pipe.exists():
        os.mkfifo(pipe)
    return target
