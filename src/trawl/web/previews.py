"""PDF pages as PNG images, rendered on demand by `pdftoppm` and cached under <data-dir>/previews;
the boxes of a page's words (`pdftotext -bbox`), for marking a query's words on the image.

One page per request, in a subprocess with a time limit (a hostile PDF costs at most that),
a few at a time. The cache is keyed by document id and page; when the data directory cannot
be written the page is rendered into a temporary folder and served from memory.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

RESOLUTION = 100
TIMEOUT_S = 30.0
CONCURRENT = 2
MAX_PNG_BYTES = 40 * 1024 * 1024
_ID = re.compile(r"^[0-9a-f]{16,64}$")


class PreviewError(Exception):
    """The page cannot be shown (no renderer, a broken or encrypted PDF, a timeout)."""


class Previews:
    def __init__(self, root: Path, resolution: int = RESOLUTION, timeout_s: float = TIMEOUT_S):
        self.root = Path(root)
        self.resolution = resolution
        self.timeout_s = timeout_s
        self._slots = threading.BoundedSemaphore(CONCURRENT)

    def cached(self, doc_id: str, page: int) -> Path:
        if not _ID.match(doc_id):
            raise PreviewError("bad document id")
        return self.root / doc_id[:2] / doc_id / f"{int(page)}.png"

    def pdf_page(self, doc_id: str, source: Path, page: int) -> Path | bytes:
        """The PNG of `page` (1-based): a cached file, or the bytes when nothing can be cached."""
        target = self.cached(doc_id, page)
        if target.is_file():
            return target
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(self.root, 0o700)
            work = Path(tempfile.mkdtemp(dir=target.parent, prefix=".render-"))
        except OSError:  # a read-only data directory: render, serve, forget
            work = Path(tempfile.mkdtemp(prefix="trawl-preview-"))
            try:
                return self._render(source, page, work).read_bytes()
            finally:
                shutil.rmtree(work, ignore_errors=True)
        try:
            os.replace(self._render(source, page, work), target)
            return target
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def word_boxes(self, source: Path, page: int) -> str:
        """The words of `page` with their boxes, as `pdftotext -bbox` writes them (XHTML),
        under the same time limit and slots as rendering (web/reader.py reads it)."""
        done = self._run("pdftotext", ["-bbox", "-f", str(page), "-l", str(page), "-q", "--",
                                       str(source), "-"], "reading")
        if done.returncode != 0:
            raise PreviewError(f"the page could not be read (pdftotext exit status "
                               f"{done.returncode})")
        return done.stdout[:MAX_PNG_BYTES].decode("utf-8", "replace")

    def _run(self, tool: str, arguments: list[str], doing: str
             ) -> subprocess.CompletedProcess[bytes]:
        """One poppler command, in one of the few slots, under the time limit."""
        exe = shutil.which(tool)
        if exe is None:
            raise PreviewError(f"{tool} (poppler-utils) is not installed")
        with self._slots:
            try:
                return subprocess.run([exe, *arguments], capture_output=True,
                                      timeout=self.timeout_s, check=False,
                                      stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise PreviewError(f"{doing} took longer than {self.timeout_s:.0f} s") \
                    from None

    def _render(self, source: Path, page: int, work: Path) -> Path:
        prefix = work / "page"
        done = self._run("pdftoppm", ["-png", "-r", str(self.resolution), "-f", str(page),
                                      "-l", str(page), "-singlefile", "-q", "--", str(source),
                                      str(prefix)], "rendering")
        output = prefix.with_suffix(".png")
        if done.returncode != 0 or not output.is_file():
            raise PreviewError("the page could not be rendered "
                               f"(pdftoppm exit status {done.returncode})")
        if output.stat().st_size > MAX_PNG_BYTES:
            raise PreviewError("the rendered page is too large")
        return output
