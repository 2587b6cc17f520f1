"""Small real files of every format the tests need, written on the spot: PDFs (several pages,
metadata, a password), Office and OpenDocument files, RTF, e-mails with attachments, images
with text for OCR, archives. So that a fresh clone, with no shared corpus, still tests each
capability on genuine files made by the libraries that make them in the wild (PyMuPDF,
python-docx, openpyxl, python-pptx, Pillow, the email package, zipfile).

Each writer takes the path to write and returns it; contents are deterministic.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pymupdf
from PIL import Image, ImageDraw, ImageFont

# A fixed timestamp for archive members, so that the same call writes the same bytes.
_ZIP_TIME = (2020, 6, 16, 10, 15, 0)


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _pdf_date(when: datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%SZ")


# -- PDF ---------------------------------------------------------------------------------------
def pdf_bytes(pages: Sequence[str], title: str = "", author: str = "",
              created: datetime | None = None, password: str | None = None,
              attachments: Mapping[str, bytes] | None = None) -> bytes:
    """A PDF with one page of real text per item of `pages` (wrapped to the page)."""
    doc = pymupdf.open()
    for text in pages:
        page = doc.new_page()
        page.insert_textbox(pymupdf.Rect(54, 54, 558, 738), text, fontsize=11,
                            fontname="helv")
    for name, data in (attachments or {}).items():
        doc.embfile_add(name, data, filename=name)
    meta = {"title": title, "author": author, "producer": "PyMuPDF (trawl tests)"}
    if created:
        meta["creationDate"] = meta["modDate"] = _pdf_date(created)
    doc.set_metadata(meta)
    options = {}
    if password is not None:
        options = {"encryption": pymupdf.PDF_ENCRYPT_AES_256, "user_pw": password,
                   "owner_pw": password + "-owner"}
    data = doc.tobytes(garbage=3, deflate=True, **options)
    doc.close()
    return data


def write_pdf(path: Path, pages: Sequence[str], **kwargs) -> Path:
    _parent(path).write_bytes(pdf_bytes(pages, **kwargs))
    return path


def scanned_pdf_bytes(lines: Sequence[str]) -> bytes:
    """A PDF whose only page is a picture of text: no text layer, a page for OCR."""
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_image(page.rect, stream=image_bytes(lines, "PNG", size=(1275, 1650),
                                                    font_size=48))
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


# -- images ------------------------------------------------------------------------------------
def image_bytes(lines: Sequence[str] = (), fmt: str = "PNG", size: tuple[int, int] = (800, 300),
                font_size: int = 40) -> bytes:
    """Black text on white, large and clean: what OCR reads back word for word."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_size)
    y = font_size
    for line in lines:
        draw.text((font_size, y), line, fill="black", font=font)
        y += int(font_size * 1.6)
    out = io.BytesIO()
    img.save(out, fmt, **({"quality": 92} if fmt == "JPEG" else {}))
    return out.getvalue()


def write_image(path: Path, lines: Sequence[str] = (), **kwargs) -> Path:
    fmt = "JPEG" if path.suffix.lower() in (".jpg", ".jpeg") else path.suffix[1:].upper()
    _parent(path).write_bytes(image_bytes(lines, fmt, **kwargs))
    return path


# -- Office, OpenDocument, RTF -----------------------------------------------------------------
def docx_bytes(paragraphs: Iterable[str], title: str = "", author: str = "",
               created: datetime = datetime(2020, 1, 1),
               table: Sequence[Sequence[str]] = ()) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    props = document.core_properties
    props.title, props.author = title, author
    props.created = props.modified = created  # python-docx's template says 2013
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def write_docx(path: Path, paragraphs: Iterable[str], **kwargs) -> Path:
    _parent(path).write_bytes(docx_bytes(paragraphs, **kwargs))
    return path


def xlsx_bytes(sheets: Mapping[str, Sequence[Sequence[object]]], title: str = "",
               created: datetime = datetime(2020, 1, 1)) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    book.properties.title = title or None
    book.properties.created = book.properties.modified = created  # not "now": same bytes
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pptx_bytes(slides: Sequence[tuple[str, str]], notes: Sequence[str] = (),
               created: datetime = datetime(2020, 1, 1)) -> bytes:
    """One slide per (title, body); `notes` are the speaker notes of the slides, in order."""
    from pptx import Presentation

    deck = Presentation()
    for i, (title, body) in enumerate(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if i < len(notes):
            slide.notes_slide.notes_text_frame.text = notes[i]
    deck.core_properties.created = deck.core_properties.modified = created
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


def rtf_bytes(paragraphs: Iterable[str], title: str = "") -> bytes:
    """RTF by hand: what a word processor writes, \\uN escapes (UTF-16 code units, signed,
    a surrogate pair for a character past U+FFFF) for what is not ASCII."""
    def escape(text: str) -> str:
        out = []
        for ch in text:
            if ch in "\\{}":
                out.append("\\" + ch)
            elif ord(ch) > 127:
                units = ch.encode("utf-16-le")
                for i in range(0, len(units), 2):
                    unit = int.from_bytes(units[i:i + 2], "little")
                    out.append(f"\\u{unit if unit < 32768 else unit - 65536}?")
            else:
                out.append(ch)
        return "".join(out)

    info = f"{{\\info{{\\title {escape(title)}}}}}" if title else ""
    body = "".join(f"{{\\pard {escape(p)}\\par}}\n" for p in paragraphs)
    return (f"{{\\rtf1\\ansi\\ansicpg1252\\deff0{{\\fonttbl{{\\f0 Arial;}}}}{info}\n"
            f"{body}}}").encode("ascii")


_ODF_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
           'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
           'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/" office:version="1.2"')


def odt_bytes(paragraphs: Iterable[str], title: str = "") -> bytes:
    """An OpenDocument text: the parts LibreOffice writes, `mimetype` first and stored."""
    from xml.sax.saxutils import escape

    body = "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_ODF_NS}>'
               f"<office:body><office:text>{body}</office:text></office:body>"
               "</office:document-content>")
    meta = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {_ODF_NS}>'
            f"<office:meta><dc:title>{escape(title)}</dc:title></office:meta>"
            "</office:document-meta>")
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.text"/></manifest:manifest>')
    return zip_bytes({"mimetype": b"application/vnd.oasis.opendocument.text",
                      "content.xml": content.encode(), "meta.xml": meta.encode(),
                      "META-INF/manifest.xml": manifest.encode()})


# -- e-mail ------------------------------------------------------------------------------------
def eml_bytes(sender: str, to: str, subject: str, body: str, date: datetime,
              attachments: Mapping[str, bytes] | None = None, html: str | None = None,
              message_id: str | None = None) -> bytes:
    """An RFC 822 message as a mail client sends it: a text part, an HTML alternative when
    given, and attachments typed by their name."""
    import mimetypes

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = format_datetime(date)
    digest = hashlib.sha1(f"{sender} {subject}".encode(), usedforsecurity=False).hexdigest()
    msg["Message-ID"] = message_id or f"<{digest[:16]}@trawl.test>"
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for name, data in (attachments or {}).items():
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def write_eml(path: Path, *args, **kwargs) -> Path:
    _parent(path).write_bytes(eml_bytes(*args, **kwargs))
    return path


# -- archives ----------------------------------------------------------------------------------
def zip_bytes(members: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, _ZIP_TIME)
            # mimetype of an OpenDocument file must stay stored; the rest is deflated
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else \
                zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def write_zip(path: Path, members: Mapping[str, bytes]) -> Path:
    _parent(path).write_bytes(zip_bytes(members))
    return path


def zip_with_symlink(name: str, target: str, others: Mapping[str, bytes] | None = None) -> bytes:
    """A zip whose member `name` is a symbolic link to `target` (as Info-ZIP stores one: the
    target as the data, S_IFLNK in the Unix mode), after the plain `others`."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for other, data in (others or {}).items():
            zf.writestr(zipfile.ZipInfo(other, _ZIP_TIME), data)
        info = zipfile.ZipInfo(name, _ZIP_TIME)
        info.create_system = 3  # Unix
        info.external_attr = (0o120777 << 16)
        zf.writestr(info, target)
    return out.getvalue()


def nested_zip(levels: int, core: bytes = b"The innermost wombat.\n") -> bytes:
    """A zip in a zip ... `levels` deep, around one text file."""
    payload = zip_bytes({"core.txt": core})
    for level in range(levels):
        payload = zip_bytes({f"level{level}.zip": payload})
    return payload


def split_7z_first_part(size: int = 64 * 1024) -> bytes:
    """The first volume of a split 7z (name.7z.001): a valid signature header whose end
    header lies past the end of this part, then compressed-looking bytes."""
    import random
    import struct
    import zlib

    start = struct.pack("<QQI", size * 3, 120, 0)  # next header offset, size, CRC
    body = random.Random(7).randbytes(size)
    return b"7z\xbc\xaf\x27\x1c\x00\x04" + struct.pack("<I", zlib.crc32(start)) + start + body


def m4a_bytes() -> bytes:
    """The start of an AAC audio file in an MP4 container (iTunes' .m4a): a format with no
    text to index."""
    import struct

    ftyp = b"ftyp" + b"M4A " + struct.pack(">I", 0) + b"M4A mp42isom"
    free = b"free" + bytes(64)
    mdat = b"mdat" + bytes(range(256)) * 8
    return b"".join(struct.pack(">I", len(box) + 4) + box for box in (ftyp, free, mdat))


# -- scans, for OCR --------------------------------------------------------------------------
def scan(lines: Sequence[str], size: tuple[int, int] = (1700, 2200),
         font_size: int = 42) -> Image.Image:
    """A grayscale page of printed text, as a 200 dpi scanner sees a letter-size sheet."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=font_size)
    y = font_size * 3
    for line in lines:
        draw.text((font_size * 3, y), line, fill=0, font=font)
        y += int(font_size * 1.7)
    return img


def scanned_report_pdf(typed: Sequence[str], scanned: Mapping[int, Sequence[str]]) -> bytes:
    """A PDF of typed pages, some replaced by pictures of text (page number -> lines): the
    annual report a department prints, scans a chart page of, and binds together."""
    doc = pymupdf.open()
    for number, text in enumerate(typed, 1):
        page = doc.new_page()
        if number in scanned:
            out = io.BytesIO()
            scan(scanned[number]).save(out, "PNG")
            page.insert_image(page.rect, stream=out.getvalue())
        else:
            page.insert_textbox(pymupdf.Rect(54, 54, 558, 738), text, fontsize=11,
                                fontname="helv")
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    return data


class _RawNameInfo(zipfile.ZipInfo):
    """A member whose name is stored as the given bytes, without the UTF-8 flag: what zip
    tools of Chinese or Japanese Windows write (zipfile itself writes UTF-8 or ASCII)."""

    def __init__(self, raw: bytes) -> None:
        super().__init__(raw.decode("latin-1"), _ZIP_TIME)
        self.raw = raw
        self.create_system = 0  # MS-DOS

    def _encodeFilenameFlags(self):  # noqa: N802 (zipfile's name)
        return self.raw, self.flag_bits & ~0x800


def zip_with_raw_names(members: Mapping[bytes, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for raw, data in members.items():
            zf.writestr(_RawNameInfo(raw), data)
    return out.getvalue()
