"""A tiny PDF 1.4 writer: Helvetica text pages, optional logo, and image-only (scanned) pages.

Output is deterministic: fixed object order, a file ID derived from the content, dates from
the caller. Text uses WinAnsiEncoding (cp1252); content streams are Flate-compressed or not.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime

from .text import wrap

PAGE_W, PAGE_H = 612, 792
LINES_PER_PAGE = 56
WRAP = 92


def _esc(s: str) -> bytes:
    s = s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return s.encode("cp1252", "replace")


def _pdf_str(s: str) -> bytes:
    return b"(" + _esc(s) + b")"


def pdf_date(d: datetime) -> str:
    return d.strftime("D:%Y%m%d%H%M%S")


class _Builder:
    def __init__(self) -> None:
        self.objs: list[bytes] = []

    def reserve(self) -> int:
        self.objs.append(b"")
        return len(self.objs)

    def set(self, num: int, body: bytes) -> None:
        self.objs[num - 1] = body

    def add(self, body: bytes) -> int:
        self.objs.append(body)
        return len(self.objs)

    def stream(self, dict_items: bytes, data: bytes, compress: bool) -> int:
        if compress:
            data = zlib.compress(data, 1)
            dict_items += b" /Filter /FlateDecode"
        head = b"<< " + dict_items + b" /Length " + str(len(data)).encode() + b" >>\nstream\n"
        return self.add(head + data + b"\nendstream")

    def finish(self, root: int, info: int) -> bytes:
        out = [b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"]
        pos = len(out[0])
        offsets = []
        for i, body in enumerate(self.objs, 1):
            chunk = b"%d 0 obj\n" % i + body + b"\nendobj\n"
            offsets.append(pos)
            out.append(chunk)
            pos += len(chunk)
        fid = hashlib.md5(b"".join(out[1:4]), usedforsecurity=False).hexdigest().encode()
        xref = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(self.objs) + 1)]
        xref += [b"%010d 00000 n \n" % o for o in offsets]
        trailer = (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%s><%s>] >>\n"
                   b"startxref\n%d\n%%%%EOF\n") % (len(self.objs) + 1, root, info, fid, fid, pos)
        return b"".join(out + xref + [trailer])


def _info(b: _Builder, title: str, author: str, when: datetime, producer: str) -> int:
    d = _pdf_str(pdf_date(when))
    return b.add(b"<< /Title " + _pdf_str(title) + b" /Author " + _pdf_str(author)
                 + b" /Creator " + _pdf_str(producer) + b" /Producer " + _pdf_str(producer)
                 + b" /CreationDate " + d + b" /ModDate " + d + b" >>")


def _image_obj(b: _Builder, jpeg: bytes, w: int, h: int, gray: bool) -> int:
    cs = b"/DeviceGray" if gray else b"/DeviceRGB"
    head = (b"/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace " % (w, h)
            + cs + b" /BitsPerComponent 8 /Filter /DCTDecode")
    return b.add(b"<< " + head + b" /Length %d >>\nstream\n" % len(jpeg) + jpeg + b"\nendstream")


def paginate(lines: Iterable[tuple[str, bool]],
             lines_per_page: int = LINES_PER_PAGE) -> list[list[tuple[str, bool]]]:
    """Wrap logical ``(text, bold)`` lines and cut them into pages."""
    pages: list[list[tuple[str, bool]]] = [[]]
    for text, bold in lines:
        for piece in wrap(text, WRAP) or [""]:
            if len(pages[-1]) >= lines_per_page:
                pages.append([])
            pages[-1].append((piece, bold))
    return pages


Figure = tuple[bytes, int, int, str]  # RGB JPEG, width, height, caption


def _text_ops(page: Sequence[tuple[str, bool]]) -> list[bytes]:
    ops = [b"BT 12 TL 72 738 Td"]
    bold = None
    for line, is_bold in page:
        if is_bold != bold:
            ops.append(b"/F2 10 Tf" if is_bold else b"/F1 10 Tf")
            bold = is_bold
        ops.append(_pdf_str(line) + b" '")
    ops.append(b"ET")
    return ops


def _figure_ops(fig: Figure) -> list[bytes]:
    _, w, h, caption = fig
    scale = min(468 / w, 560 / h)
    dw, dh = w * scale, h * scale
    return [b"BT /F2 11 Tf 72 730 Td " + _pdf_str(caption) + b" Tj ET",
            b"q %.2f 0 0 %.2f %.2f %.2f cm /Fig Do Q" % (dw, dh, 72 + (468 - dw) / 2, 700 - dh)]


def text_pdf(pages: Sequence[Sequence[tuple[str, bool]]], *, title: str, author: str,
             when: datetime, compress: bool, logo: tuple[bytes, int, int] | None = None,
             figures: Sequence[Figure] = (), producer: str = "Microsoft Word") -> bytes:
    """A text PDF; each page is a list of ``(line, bold)``. ``logo`` = (jpeg, w, h) goes on
    page 1; each figure gets a page of its own (caption + photo) spread between text pages."""
    b = _Builder()
    root, pages_id = b.reserve(), b.reserve()
    f1 = b.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
               b"/Encoding /WinAnsiEncoding >>")
    f2 = b.add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold "
               b"/Encoding /WinAnsiEncoding >>")
    info = _info(b, title, author, when, producer)
    logo_id = _image_obj(b, logo[0], logo[1], logo[2], False) if logo else 0
    every = max(1, len(pages) // (len(figures) + 1))
    order: list[tuple[Sequence[tuple[str, bool]], Figure | None]] = []
    figs = list(figures)
    for n, page in enumerate(pages):
        order.append((page, None))
        if figs and (n + 1) % every == 0:
            order.append(((), figs.pop(0)))
    order.extend(((), f) for f in figs)
    kids = []
    for n, (page, fig) in enumerate(order):
        xobj = b""
        if fig is not None:
            fig_id = _image_obj(b, fig[0], fig[1], fig[2], False)
            ops, xobj = _figure_ops(fig), b" /XObject << /Fig %d 0 R >>" % fig_id
        else:
            ops = _text_ops(page)
        ops.append(b"BT /F1 8 Tf 290 30 Td (Page %d of %d) Tj ET" % (n + 1, len(order)))
        if logo_id and n == 0:
            ops.append(b"q 54 0 0 54 486 732 cm /Im1 Do Q")
            xobj = b" /XObject << /Im1 %d 0 R >>" % logo_id
        content = b.stream(b"", b"\n".join(ops), compress)
        kids.append(b.add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                          b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >>%s >> "
                          b"/Contents %d 0 R >>"
                          % (pages_id, PAGE_W, PAGE_H, f1, f2, xobj, content)))
    b.set(root, b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    b.set(pages_id, b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
          + b"] /Count %d >>" % len(kids))
    return b.finish(root, info)


def image_pdf(scans: Sequence[tuple[bytes, int, int]], *, title: str, when: datetime,
              producer: str = "Scanned by FX DocuCentre") -> bytes:
    """An image-only PDF: one grayscale JPEG ``(data, w, h)`` filling each page, no text."""
    b = _Builder()
    root, pages_id = b.reserve(), b.reserve()
    info = _info(b, title, "", when, producer)
    kids = []
    for jpeg, w, h in scans:
        img = _image_obj(b, jpeg, w, h, True)
        content = b.stream(b"", b"q %d 0 0 %d 0 0 cm /Im0 Do Q" % (PAGE_W, PAGE_H), False)
        kids.append(b.add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %d %d] "
                          b"/Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>"
                          % (pages_id, PAGE_W, PAGE_H, img, content)))
    b.set(root, b"<< /Type /Catalog /Pages %d 0 R >>" % pages_id)
    b.set(pages_id, b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % k for k in kids)
          + b"] /Count %d >>" % len(kids))
    return b.finish(root, info)
