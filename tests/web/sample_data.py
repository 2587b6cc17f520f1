"""A small BlueLeaks-like dump for the web tests and the screenshots, generated here.

One folder per "agency portal": a nine-page crime report PDF and a purchase order (atlanta),
a docx, an e-mail with a PNG attachment, a zip of one file of each office format, a scanned
notice (a JPEG with text), a PDF encrypted with the password "hunter2" and a CSV (ncric),
HTML pages that carry scripts in the ways Tika's test pages do (web), and hostile files: an
HTML e-mail and an HTML page that try every way of running script, and file names made of
markup, '%' and '_'. Nothing comes from the shared corpus: `REAL_FILES` names the real files
of the same kinds that tests/web/test_real_files.py ingests when the corpus is there.
"""

from __future__ import annotations

import base64
import os
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: fixture_files

import fixture_files as ff  # noqa: E402

# (shared corpus path, path in the real-file sample of test_real_files.py)
REAL_FILES = [
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

# The nine pages of the weekly crime report: "crime" on some pages only, so that a search
# shows one result with its matching pages, and page 8 has it (a test opens that page).
_ZONES = ["Zone 1", "Zone 2", "Zone 3", "Zone 4", "Zone 5", "Zone 6"]
CRIME_REPORT_PAGES = [
    "COBRA REPORT - Week 16, 2021\nAtlanta Police Department, Crime Analysis Unit\n\n"
    "Part I crime in the city for the week of April 11 to April 17, 2021, compared with the "
    "same week of 2020, by zone and by offence.",
    "Citywide crime summary\nHomicide 3, rape 2, robbery 21, aggravated assault 48, burglary "
    "39, larceny 212, auto theft 71. Total Part I crime: 396, down 4 percent.",
    "Violent crime by zone\n" + "\n".join(f"{z}: robbery {3 + i}, aggravated assault {6 + i}"
                                           for i, z in enumerate(_ZONES)),
    "Property offences by zone\n" + "\n".join(f"{z}: burglary {5 + i}, larceny {30 + i}"
                                              for i, z in enumerate(_ZONES)),
    "Year to date\nViolent crime is up 2 percent on 2020; property offences are down 7 "
    "percent. Auto theft rose in zones 3 and 6.",
    "Larceny from vehicles\nMost thefts from vehicles happened in parking decks downtown "
    "between 6 pm and midnight.",
    "Calls for service\n14,022 calls were answered this week; the average response time was "
    "9 minutes 40 seconds.",
    "Crime trends over 28 days\nRobbery and aggravated assault fell; burglary of businesses "
    "rose in zone 5.",
    "Notes\nFigures are preliminary and change as reports are reviewed. Produced weekly by "
    "the Crime Analysis Unit from the COBRA records system.",
]


def _atlanta(files: Path) -> None:
    ff.write_pdf(files / "2021Week16CrimeReport.pdf", CRIME_REPORT_PAGES,
                 title="COBRA REPORT v2021", author="Crime Analysis Unit",
                 created=datetime(2021, 4, 20, 13, 17, 33, tzinfo=UTC))
    ff.write_pdf(files / "example.pdf", [
        "Purchase order 4500118273\nSupplier: Harbor Fleet Services\nDeliver to: Atlanta "
        "Police Department, motor pool.",
        "Items\n1. Patrol vehicle tyres, 40 units\n2. Brake pads, 60 sets\nTotal: 18,400 USD",
    ], title="Purchase order 4500118273", created=datetime(2022, 9, 28, 9, 43, 12, tzinfo=UTC))


def _office_documents() -> dict[str, bytes]:
    """One small file of each office format, as the members of a zip."""
    return {
        "testPDF.pdf": ff.pdf_bytes(["Sample PDF document inside an archive: the text of "
                                     "each member is searchable."], title="Sample PDF"),
        "testWORD.docx": ff.docx_bytes(["Sample Word document inside an archive."],
                                       title="Sample Word Document"),
        "testEXCEL.xlsx": ff.xlsx_bytes({"Sheet1": [["Unit", "Officers"], ["Harbor", 12],
                                                    ["Airport", 7]]},
                                        title="Simple Excel document"),
        "testPPT.pptx": ff.pptx_bytes([("Sample Powerpoint Slide", "Shift briefing notes")]),
        "testRTF.rtf": ff.rtf_bytes(["Test d’indexation Word: résumé du rapport."],
                                    title="Test d’indexation Word"),
        "testODT.odt": ff.odt_bytes(["Sample OpenDocument text inside an archive."],
                                    title="Sample ODT"),
        "testHTML.html": b"<html><head><title>Test Indexation Html</title></head><body>"
                         b"<p>Sample HTML page inside an archive.</p></body></html>",
        "testTXT.txt": b"Sample plain text inside an archive.\n",
        "testXML.xml": b'<?xml version="1.0"?><note><to>Records unit</to>'
                       b"<body>Sample XML inside an archive.</body></note>\n",
    }


COUNTRIES_CSV = """euname,modified,linked_country,iso3,iso2,grc,isonum,country,imperitive
,,Georgia,,,ABK,,Abkhazia,De Facto; Currency
AFGHANISTAN,,,AFG,AF,AFG,004,Afganistan,
,Added 26th October 2010,Finland,ALA,AX,ALA,248,Åland Islands,Postal
Albania,,,ALB,AL,ALB,008,Albania,
ALGERIA,,,DZA,DZ,ALG,012,Algeria,
BELGIUM,,,BEL,BE,BEL,056,Belgium,
FRANCE,,,FRA,FR,FRA,250,France,
,,Denmark,GRL,GL,GRN,304,Greenland,
"""


def _ncric(ncric: Path) -> None:
    files = ncric / "files"
    ff.write_docx(files / "hello world word.docx", ["Hello world", "A word document."],
                  created=datetime(2015, 9, 7, 10, 57, tzinfo=UTC))
    ff.write_zip(files / "test-documents.zip", _office_documents())
    ff.write_image(files / "regression_jpg.jpg", ["NOTICE OF INSPECTION", "Harbor precinct"])
    ff.write_pdf(files / "password-hunter2.pdf", ["Hidden memo: only for those who hold the "
                                                  "password."], password="hunter2")
    ff.write_eml(ncric / "mail" / "testEmailWithPNGAtt.eml", "Records <records@ncric.example>",
                 "Analyst <analyst@ncric.example>", "Test Attachment Email",
                 "The picture of the badge is attached.",
                 datetime(2016, 7, 20, 16, 35, 2, tzinfo=UTC),
                 attachments={"testPNG.png": ff.image_bytes(["BADGE 4471"])})
    (ncric / "countries.csv").write_text(COUNTRIES_CSV, encoding="utf-8")


# One desk of a fusion centre, mentioned in a two-page bulletin (June 2020), a mail (March
# 2019), a text whose words around it are markup, and a registration table (ncric): one
# e-mail address and one phone number in three sources, for the entity pages.
DESK_EMAIL = "desk@fusion.example"
DESK_PHONE = "+1 404-555-0199"
BULLETIN_PAGES = [
    "Fusion center bulletin 20-114\nContact the watch desk: desk@fusion.example or "
    "(404) 555-0199.",
    "Follow-up\nWrite to desk@fusion.example again; the alerts are at "
    "https://fusion.example/alerts/42.",
]
HOSTILE_CONTACTS = ("Contacts of the watch desk: <b>desk@fusion.example</b> & 404.555.0199 "
                    "</pre><img src=x onerror=alert(1)> \"><svg onload=alert(2)>\n")
REGISTRATIONS_CSV = ("FirstName,LastName,EmailAddress,PhoneNumber\n"
                     "Jo,Lane,Desk@Fusion.example,404-555-0199\n"
                     "Al,Moss,al.moss@ncric.example,\n")


def _bulletins(folder: Path, ncric: Path) -> None:
    ff.write_pdf(folder / "fusion-bulletin.pdf", BULLETIN_PAGES, title="Bulletin 20-114",
                 created=datetime(2020, 6, 2, 8, 0, tzinfo=UTC))
    ff.write_eml(folder / "desk-mail.eml", "Watch desk <desk@fusion.example>",
                 "Analyst <analyst@ncric.example>", "Desk rota",
                 "The rota of the watch desk for March.",
                 datetime(2019, 3, 11, 9, 30, tzinfo=UTC))
    (folder / "hostile-contacts.txt").write_text(HOSTILE_CONTACTS, encoding="utf-8")
    (ncric / "registrations.csv").write_text(REGISTRATIONS_CSV, encoding="utf-8")


def _logo() -> str:
    return base64.b64encode(ff.image_bytes(["logo"], size=(60, 30), font_size=12)).decode()


# HTML pages that carry scripts the ways Tika's test pages do (a script closed by a bad end
# tag, one in the body, an image in a script, a plain one, an iframe's srcdoc), made hostile:
# each would set window.__pwned, which the browser tests watch for.
SCRIPTED_PAGES = {
    "testHTMLBadScript.html":
        '<html><head><script lang="javascript">window.__pwned = "bad"</script language>'
        "</head><body><p>This is a test.</p></body></html>",
    "testHTML_script_in_body.html":
        '<html><body><script lang="javascript">window.__pwned = "body"</script>'
        "<p>This is a test.</p></body></html>",
    "testHTML_embedded_img_in_js.html":
        '<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><title>Title</title>'
        '<script>var logo="data:image/png;base64,{logo}"; window.__pwned = "img";'
        "document.write('<img src=\"' + logo + '\">');</script></head>"
        "<body><p>This is a test.</p></body></html>",
    "testHTMLGoodScript.html":
        '<html><head><script lang="javascript">window.__pwned = "good"</script></head>'
        "<body><p>This is a test.</p></body></html>",
    "testSrcDoc.html":
        '<html><body>outside<iframe srcdoc="<p>this is the iframe content</p>'
        '<script>parent.__pwned = 1</script>"></iframe></body></html>',
}


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


def build_sample(target: Path) -> Path:
    """Write the sample dump under `target` and return it."""
    target.mkdir(parents=True, exist_ok=True)
    _atlanta(target / "atlanta" / "files")
    _ncric(target / "ncric")
    _bulletins(target / "bulletins", target / "ncric")
    for name, html in SCRIPTED_PAGES.items():
        path = target / "web" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html.replace("{logo}", _logo()), encoding="utf-8")
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


def build_real_sample(corpus: Path, target: Path) -> Path:
    """The real files of `REAL_FILES`, copied from the shared corpus to `target`."""
    for source, dest in REAL_FILES:
        path = target / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / source, path)
    return target
