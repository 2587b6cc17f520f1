"""Minimal writers for DOCX, XLSX, EML, HTML and ZIP, built on the stdlib only.

DOCX/XLSX are the smallest OOXML packages that Word, python-docx and openpyxl accept.
Every zip member gets a fixed timestamp and mode, and every MIME boundary and Message-ID is
derived from the seeded RNG, so the bytes only depend on the inputs.
"""

from __future__ import annotations

import html
import io
import random
import zipfile
from collections.abc import Sequence
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from xml.sax.saxutils import escape

from .text import Doc

ZipMember = tuple[str, bytes]


def zip_bytes(members: Sequence[ZipMember], when: datetime, level: int = 6) -> bytes:
    buf = io.BytesIO()
    stamp = (max(1980, when.year), when.month, when.day, when.hour, when.minute, 0)
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=level)
    return buf.getvalue()


def _core_xml(title: str, author: str, when: datetime) -> bytes:
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
        'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:creator>{escape(author)}</dc:creator>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def _rels(main_type: str, target: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{main_type}" Target="{target}"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        "</Relationships>"
    ).encode()


def _content_types(overrides: dict[str, str]) -> bytes:
    parts = "".join(f'<Override PartName="{k}" ContentType="{v}"/>' for k, v in overrides.items())
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f"{parts}"
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/></Types>'
    ).encode()


_OFFDOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w_par(text: str, bold: bool = False) -> str:
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f'<w:p><w:r>{rpr}<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def docx(doc: Doc) -> bytes:
    """A Word document: bold headings and plain paragraphs."""
    body = [_w_par(doc.caveat, True), _w_par(doc.agency, True), _w_par(doc.title, True),
            _w_par(doc.date.strftime("%B %d, %Y")), _w_par(f"Tracking Number: {doc.tracking}")]
    for head, paras in doc.sections:
        body.append(_w_par(head, True))
        body.extend(_w_par(p) for p in paras)
    if doc.needle:
        body.append(_w_par(f"Reference tag: {doc.needle}"))
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f'<w:document xmlns:w="{_W}"><w:body>{"".join(body)}'
           '<w:sectPr><w:pgSz w:w="12240" w:h="15840"/></w:sectPr></w:body></w:document>')
    ct = _content_types({"/word/document.xml": "application/vnd.openxmlformats-officedocument."
                         "wordprocessingml.document.main+xml"})
    return zip_bytes([
        ("[Content_Types].xml", ct),
        ("_rels/.rels", _rels(_OFFDOC, "word/document.xml")),
        ("word/document.xml", xml.encode()),
        ("docProps/core.xml", _core_xml(doc.title, doc.author, doc.date)),
    ], doc.date)


def _col(n: int) -> str:
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _cell(ref: str, v: object) -> str:
    if isinstance(v, int | float):
        return f'<c r="{ref}"><v>{v}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(v))}</t></is></c>'


def _sheet(rows: Sequence[Sequence[object]]) -> bytes:
    out = []
    for i, row in enumerate(rows, 1):
        cells = "".join(_cell(f"{_col(j)}{i}", v) for j, v in enumerate(row) if v != "")
        out.append(f'<row r="{i}">{cells}</row>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{''.join(out)}</sheetData></worksheet>").encode()


_STYLES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    b'<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    b'<borders count="1"><border/></borders>'
    b'<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    b'<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
    b'<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    b"</styleSheet>"
)


def xlsx(sheets: Sequence[tuple[str, Sequence[Sequence[object]]]], title: str, author: str,
         when: datetime) -> bytes:
    """A workbook with one worksheet per ``(name, rows)``; strings are inline."""
    ns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    wb_sheets = "".join(f'<sheet name="{escape(n[:31])}" sheetId="{i}" r:id="rId{i}"/>'
                        for i, (n, _) in enumerate(sheets, 1))
    workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'xmlns:r="{ns}"><sheets>{wb_sheets}</sheets></workbook>').encode()
    rels = "".join(f'<Relationship Id="rId{i}" Type="{ns}/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
    rels += (f'<Relationship Id="rId{len(sheets) + 1}" Type="{ns}/styles" '
             'Target="styles.xml"/>')
    wb_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
               'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
               f"{rels}</Relationships>").encode()
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    over = {"/xl/workbook.xml": f"{sml}.sheet.main+xml", "/xl/styles.xml": f"{sml}.styles+xml"}
    for i in range(1, len(sheets) + 1):
        over[f"/xl/worksheets/sheet{i}.xml"] = f"{sml}.worksheet+xml"
    members: list[ZipMember] = [
        ("[Content_Types].xml", _content_types(over)),
        ("_rels/.rels", _rels(_OFFDOC, "xl/workbook.xml")),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", wb_rels),
        ("xl/styles.xml", _STYLES),
        ("docProps/core.xml", _core_xml(title, author, when)),
    ]
    members += [(f"xl/worksheets/sheet{i}.xml", _sheet(rows))
                for i, (_, rows) in enumerate(sheets, 1)]
    return zip_bytes(members, when)


def html_page(doc: Doc, site_title: str) -> bytes:
    """A saved portal page / newsletter with navigation cruft around the bulletin."""
    e = html.escape
    body = [f"<h1>{e(doc.title)}</h1>",
            f'<p class="meta">{e(doc.agency)} &middot; {doc.date:%B %d, %Y} &middot; '
            f"{e(doc.tracking)}</p>"]
    for head, paras in doc.sections:
        body.append(f"<h2>{e(head)}</h2>")
        body.extend(f"<p>{e(p)}</p>" for p in paras)
    if doc.needle:
        body.append(f"<p>Reference tag: {e(doc.needle)}</p>")
    page = (
        "<!DOCTYPE html>\r\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{e(doc.title)} - {e(site_title)}</title>"
        f'<meta name="keywords" content="{e(", ".join(doc.keywords))}">'
        "<style>body{font-family:Arial}nav a{margin:0 8px}</style></head>\r\n<body>"
        f'<nav><a href="index.aspx">Home</a><a href="Documents.aspx">Documents</a>'
        f'<a href="SARs.aspx">Submit SAR</a></nav><div class="caveat">{e(doc.caveat)}</div>'
        f"<main>{''.join(body)}</main>"
        f"<footer>&copy; {doc.date.year} {e(site_title)}</footer></body></html>\r\n"
    )
    return page.encode("utf-8")


def eml(rng: random.Random, *, sender: str, to: Sequence[str], subject: str, when: datetime,
        text: str, attachments: Sequence[tuple[str, bytes, str]]) -> bytes:
    """An RFC 5322 message (text + HTML alternative) with ``(name, data, mime)`` attachments."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{rng.getrandbits(64):016x}.{when:%Y%m%d%H%M}@mail.example.org>"
    msg["X-Mailer"] = "Microsoft Outlook 16.0"
    msg.set_content(text)
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n\n"))
    msg.add_alternative(f"<html><body>{paras}</body></html>", subtype="html")
    for name, data, mime in attachments:
        main, sub = mime.split("/", 1)
        msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
    for part in msg.walk():
        if part.is_multipart():
            part.set_boundary(f"----=_Part_{rng.getrandbits(48):012x}")
    return msg.as_bytes()
