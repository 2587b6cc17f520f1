"""Attachment files of one site: naming, writing, copying, and rendering docs into formats.

Cells that point at files hold ``files\\<Folder>\\<name>`` (Windows separators) relative to the
site folder. A few cells differ from the file on disk in letter case only (``Files\\`` or an
upper-case extension), as happens on a Windows-hosted portal: resolve them case-insensitively.
"""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from . import formats, images, pdf
from .manifest import Manifest
from .text import Doc, wrap

_BAD = str.maketrans({c: "_" for c in '<>:"/\\|?*'})


class SiteFiles:
    """Writes files under ``<site>/files`` and returns the table cell that points at each."""

    def __init__(self, site_dir: Path, out: Path, rng: random.Random, manifest: Manifest):
        self.site_dir = site_dir
        self.out = out
        self.rng = rng
        self.manifest = manifest
        self.bytes = 0
        self._used: set[str] = set()
        self._made: set[str] = set()
        self.last = site_dir

    def _target(self, folder: str, name: str) -> tuple[str, Path]:
        name = name.translate(_BAD).strip() or "file"
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        cand, n = name, 1
        while f"{folder}/{cand}".lower() in self._used:
            n += 1
            cand = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
        self._used.add(f"{folder}/{cand}".lower())
        path = self.site_dir / "files" / folder / cand
        if folder not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(folder)
        return cand, path

    def _cell(self, folder: str, name: str) -> str:
        r = self.rng.random()
        if r < 0.03:
            return f"Files\\{folder}\\{name}"
        if r < 0.05 and "." in name:
            stem, _, ext = name.rpartition(".")
            return f"files\\{folder}\\{stem}.{ext.upper()}"
        return f"files\\{folder}\\{name}"

    def _done(self, path: Path, kind: str, size: int, when: datetime) -> None:
        ts = when.timestamp()
        os.utime(path, (ts, ts))
        self.bytes += size
        self.manifest.count(kind, size)
        self.manifest.attachments += 1

    def put(self, folder: str, name: str, data: bytes, when: datetime, kind: str) -> str:
        name, path = self._target(folder, name)
        path.write_bytes(data)
        self.last = path
        self._done(path, kind, len(data), when)
        return self._cell(folder, name)

    def copy(self, folder: str, name: str, src: Path, when: datetime, kind: str) -> str:
        name, path = self._target(folder, name)
        shutil.copyfile(src, path)
        self.last = path
        self._done(path, kind, path.stat().st_size, when)
        return self._cell(folder, name)

    def rel_last(self) -> str:
        """Path, relative to the output root, of the file written last."""
        return self.last.relative_to(self.out).as_posix()


def safe_name(title: str, limit: int = 80) -> str:
    return " ".join(title.translate(_BAD).split())[:limit].rstrip(" .")


def doc_lines(doc: Doc) -> list[tuple[str, bool]]:
    lines = [(doc.caveat, True), (doc.agency, True), (doc.title, True),
             (doc.date.strftime("%B %d, %Y"), False), (f"Tracking Number: {doc.tracking}", False),
             ("", False)]
    for head, paras in doc.sections:
        lines.append((head, True))
        lines.extend((p, False) for p in paras)
        lines.append(("", False))
    if doc.needle:
        lines.append((f"Reference tag: {doc.needle}", False))
    lines.append((doc.caveat, True))
    return lines


def text_pdf(doc: Doc, rng: random.Random, logo: tuple[bytes, int, int] | None,
             figures: int = 0, max_w: int = 1280) -> bytes:
    """The bulletin as a text PDF, with ``figures`` photo pages (suspects, vehicles, scenes)."""
    pages = pdf.paginate(doc_lines(doc))
    figs = []
    for i in range(figures):
        w = min(max_w, rng.choice((640, 800, 1024)))
        caption = f"Figure {i + 1}: {rng.choice(_FIGURES)} ({doc.date:%m/%d/%Y})"
        img = images.photo_image(rng, (w, w * 3 // 4), "")
        figs.append((images.jpeg(img, rng.randrange(70, 88)), w, w * 3 // 4, caption))
    return pdf.text_pdf(pages, title=doc.title, author=doc.author, when=doc.date,
                        compress=rng.random() < 0.4, logo=logo, figures=figs)


_FIGURES = ("Surveillance still", "Vehicle of interest", "Location overview", "Recovered items",
            "Social media post", "Subject photograph", "Map of the area", "Evidence photo")


def scan_pdf(doc: Doc, rng: random.Random, max_pages: int) -> bytes:
    pages = pdf.paginate(doc_lines(doc), lines_per_page=44)[:max_pages]
    scans = [images.scan_page(rng, [t for t, _ in page]) for page in pages]
    return pdf.image_pdf(scans, title=doc.title if rng.random() < 0.5 else "", when=doc.date)


def photo(rng: random.Random, when: datetime, text: str = "", max_w: int = 1280) -> bytes:
    w = min(max_w, rng.choice((640, 800, 1024, 1280)))
    caption = f"{when:%Y-%m-%d %H:%M:%S} CAM{rng.randrange(1, 9)} {text}".strip()
    return images.jpeg(images.photo_image(rng, (w, w * 3 // 4), caption), rng.randrange(80, 95))


def flyer(rng: random.Random, doc: Doc) -> bytes:
    body = wrap(doc.paragraphs()[0], 40)[:14]
    if doc.needle:
        body.append(f"Ref {doc.needle}")
    return images.jpeg(images.flyer(rng, doc.title[:40], body), 80)


def screenshot(rng: random.Random, handle: str, text: str) -> bytes:
    return images.png(images.screenshot(rng, handle, wrap(text, 48)[:24]))


def roster_xlsx(rng: random.Random, title: str, rows: Sequence[Sequence[object]],
                author: str, when: datetime) -> bytes:
    sheets: list[tuple[str, Sequence[Sequence[object]]]] = [("Roster", rows)]
    if rng.random() < 0.3:
        sheets.append(("Summary", [["Total", len(rows) - 1], ["Prepared by", author]]))
    return formats.xlsx(sheets, title, author, when)


def bundle(members: Sequence[tuple[str, bytes]], when: datetime) -> bytes:
    return formats.zip_bytes(members, when)
