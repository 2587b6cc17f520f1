"""The extraction floor: the raw tools alone over the same files, on N processes.

For every regular file under ROOT (links skipped, as Trawl's walk does): SHA-256 of the whole
file (1 MiB reads), libmagic's MIME type (`magic.Magic(mime=True).from_file`, one handle per
process, as Trawl's `detect.py`), and for PDFs the text of every page (PyMuPDF
`page.get_text()`, or `pdftotext` with `--pdf-tool pdftotext`). Nothing is stored, indexed or
parsed beyond that; archive members and e-mail attachments are not opened. It is what any
ingester must at least pay for these files: Trawl's ingestion time divided by this is its
overhead factor.

Run as ``python -m benchmarks.harness.floor ROOT --workers 2``; prints one JSON line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import time
from collections import defaultdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

_magic: Any = None
_pdf_tool = "pymupdf"


def list_files(root: Path) -> list[str]:
    out: list[str] = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(folder, name)
            if not os.path.islink(path) and os.path.isfile(path):
                out.append(path)
    return out


def _init(pdf_tool: str) -> None:
    global _magic, _pdf_tool
    import magic  # noqa: PLC0415 (loaded once per worker process)

    _magic = magic.Magic(mime=True)
    _pdf_tool = pdf_tool


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _pdf_text(path: str) -> tuple[int, int]:
    """(pages, characters) of a PDF's text; (0, 0) when it cannot be read."""
    if _pdf_tool == "pdftotext":
        done = subprocess.run(["pdftotext", "-q", path, "-"], capture_output=True, check=False)
        text = done.stdout.decode("utf-8", "replace")
        return text.count("\f"), len(text)
    import pymupdf  # noqa: PLC0415

    pymupdf.TOOLS.mupdf_display_errors(False)
    try:
        with pymupdf.open(path) as doc:
            if doc.needs_pass:
                return 0, 0
            texts = [page.get_text() for page in doc]
    except Exception:  # noqa: BLE001 (a broken PDF is a result, not a crash)
        return 0, 0
    return len(texts), sum(len(t) for t in texts)


def process(path: str) -> tuple[str, int, str, int, int, float]:
    """(extension, bytes, mime, pages, chars, seconds) of one file."""
    started = time.perf_counter()
    size = os.path.getsize(path)
    _sha256(path)
    try:
        mime = _magic.from_file(path) or "application/octet-stream"
    except Exception:  # noqa: BLE001
        mime = "application/octet-stream"
    pages = chars = 0
    if mime == "application/pdf":
        pages, chars = _pdf_text(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".") or "(none)"
    return ext, size, mime, pages, chars, time.perf_counter() - started


def run(root: Path, workers: int, pdf_tool: str = "pymupdf") -> dict[str, Any]:
    paths = list_files(root)
    by_ext: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    totals: dict[str, float] = defaultdict(float)
    ctx = get_context("forkserver")
    with ctx.Pool(workers, initializer=_init, initargs=(pdf_tool,)) as pool:
        for ext, size, mime, pages, chars, secs in pool.imap_unordered(process, paths, 8):
            row = by_ext[ext]
            row["files"] += 1
            row["bytes"] += size
            row["seconds"] += secs
            totals["pdfs"] += mime == "application/pdf"
            totals["pdf_pages"] += pages
            totals["pdf_chars"] += chars
    return {"files": len(paths), "bytes": int(sum(r["bytes"] for r in by_ext.values())),
            "workers": workers, "pdf_tool": pdf_tool,
            **{k: int(v) for k, v in totals.items()},
            "by_ext": {k: {"files": int(v["files"]), "bytes": int(v["bytes"]),
                           "seconds": round(v["seconds"], 4)}
                       for k, v in sorted(by_ext.items())}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.harness.floor")
    ap.add_argument("root", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pdf-tool", choices=["pymupdf", "pdftotext"], default="pymupdf")
    args = ap.parse_args(argv)
    print(json.dumps(run(args.root, args.workers, args.pdf_tool)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
