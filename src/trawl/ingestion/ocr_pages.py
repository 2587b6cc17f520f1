"""What a worker process does with one page to OCR: render or decode it, then read it.

A page is the unit of OCR work (not a file): the pages of one long scan spread over every
core, each page has its own time limit, and a run that is interrupted resumes page by page
(pages already read come back from the cache). The task and its result are small picklable
records; the page image never leaves the worker.
"""

from __future__ import annotations

import resource
import time
import warnings as py_warnings
from dataclasses import dataclass
from pathlib import Path

import pymupdf
from PIL import Image, ImageSequence

from trawl.ingestion.ocr import (
    OcrEngine,
    OcrError,
    OcrResult,
    render_dpi,
    size_problem,
    to_gray,
)

_IMAGE_DPI_RANGE = (70, 2400)  # a DPI tag outside this is a placeholder: Tesseract estimates


@dataclass
class OcrTask:
    file_id: int          # a task number, unique in the run (the pool's bookkeeping calls it so)
    sha256: str           # the content the page belongs to
    source: str           # the bytes to read: an original on disk, or a blob
    kind: str             # "pdf" | "image"
    page: int             # 1-based page (PDF) or frame (image)


@dataclass
class OcrPageResult:
    file_id: int
    sha256: str
    page: int
    result: OcrResult | None = None
    skipped: str | None = None    # why the page was not read (too small, too large)
    error: str | None = None      # why reading it failed (time limit, broken page)
    code: str | None = None       # with `error`: its trawl.errors code
    # The failure is this run's, not the page's (no password given, Tesseract missing): the
    # document stays pending for a later run instead of being recorded as read.
    retry_later: bool = False
    cpu_seconds: float = 0.0      # of this worker and its Tesseract runs, for this page


class PageSkipped(Exception):
    """The page is deliberately not OCR'd; the message says why."""


class NotNow(OcrError):
    """The page cannot be read in this run (see OcrPageResult.retry_later)."""


class PageReader:
    """Turns OCR tasks into results. Keeps the last PDF open: consecutive pages of one file
    usually come to the same worker, and reopening a large PDF costs more than a page."""

    def __init__(self, engine: OcrEngine, passwords: tuple[str, ...] = ()) -> None:
        self.engine = engine
        self.passwords = ["", *[p for p in passwords if p]]
        self._pdf: tuple[str, pymupdf.Document] | None = None

    def read(self, task: OcrTask) -> OcrPageResult:
        cpu = _cpu_seconds()
        out = self._read(task)
        out.cpu_seconds = round(_cpu_seconds() - cpu, 3)
        return out

    def _read(self, task: OcrTask) -> OcrPageResult:
        out = OcrPageResult(task.file_id, task.sha256, task.page)
        try:
            if task.kind == "pdf":
                gray, dpi = self._pdf_page(task.source, task.page)
            else:
                gray, dpi = image_frame(Path(task.source), task.page)
            out.result = self.engine.read(gray, dpi)
        except PageSkipped as exc:
            out.skipped = str(exc)
        except OcrError as exc:
            out.error, out.code = str(exc), exc.code
            out.retry_later = isinstance(exc, NotNow)
        except MemoryError:
            out.error = "out of memory (the per-file memory limit was reached)"
            out.code = "memory"
        except Exception as exc:  # a broken page must cost that page, not the worker
            out.error, out.code = f"{type(exc).__name__}: {exc}"[:500], "corrupt"
        return out

    def _pdf_page(self, source: str, number: int) -> tuple[Image.Image, int]:
        doc = self._open_pdf(source)
        if not 1 <= number <= doc.page_count:
            raise PageSkipped(f"no page {number}")
        page = doc[number - 1]
        dpi = render_dpi(page.rect.width, page.rect.height)
        if dpi is None:
            raise PageSkipped(f"page too large to OCR ({page.rect.width / 72:.0f} x "
                              f"{page.rect.height / 72:.0f} inches)")
        # Grayscale, no alpha: what Tesseract binarises anyway, at a third of the bytes.
        pix = page.get_pixmap(dpi=dpi, colorspace=pymupdf.csGRAY, alpha=False)
        return Image.frombytes("L", (pix.width, pix.height), pix.samples), dpi

    def _open_pdf(self, source: str) -> pymupdf.Document:
        if self._pdf is not None and self._pdf[0] == source:
            return self._pdf[1]
        if self._pdf is not None:
            self._pdf[1].close()
            self._pdf = None
        doc = pymupdf.open(source, filetype="pdf")
        if doc.needs_pass and not any(doc.authenticate(pw) for pw in self.passwords):
            doc.close()
            raise NotNow("encrypted PDF; no known password opens it (give it with --password)",
                         code="encrypted")
        self._pdf = (source, doc)
        return doc

    def close(self) -> None:
        if self._pdf is not None:
            self._pdf[1].close()
            self._pdf = None


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (Tesseract)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def image_frame(path: Path, number: int) -> tuple[Image.Image, int | None]:
    """Frame `number` (1-based) of an image file, in grayscale, with its resolution if the
    file states a plausible one."""
    with py_warnings.catch_warnings():
        py_warnings.simplefilter("ignore")  # damaged headers: the pixels may still be fine
        with Image.open(path) as img:
            if number > 1:
                frames = ImageSequence.Iterator(img)
                try:
                    frame = frames[number - 1]
                except IndexError:
                    raise PageSkipped(f"no frame {number}") from None
            else:
                frame = img
            problem = size_problem(frame.width, frame.height)
            if problem:
                raise PageSkipped(problem)
            # The size is checked above, so Pillow's own bomb check is not needed here;
            # it would refuse large scans (over ~179 MP) that the size limit already sorts.
            saved = Image.MAX_IMAGE_PIXELS
            Image.MAX_IMAGE_PIXELS = None
            try:
                frame.load()
                gray = to_gray(frame)
                if gray is frame:  # the file closes with this block: keep the pixels
                    gray = frame.copy()
            finally:
                Image.MAX_IMAGE_PIXELS = saved
            dpi = frame.info.get("dpi")
    try:  # TIFF gives rationals, PNG floats, some files garbage
        value = round(float(dpi[0])) if isinstance(dpi, tuple) and dpi else 0
    except (TypeError, ValueError, ZeroDivisionError):
        value = 0
    resolution = value if _IMAGE_DPI_RANGE[0] <= value <= _IMAGE_DPI_RANGE[1] else None
    return gray, resolution

