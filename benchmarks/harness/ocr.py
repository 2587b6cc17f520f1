"""OCR, measured on a sample: Trawl's OCR stage against Tesseract alone and Tika with OCR.

Trawl reads scanned pages and images in a stage of its own (`trawl ocr`, or the end of
`trawl ingest` without --no-ocr). At about a page a second per core it would dwarf every
other number, so the ingestion runs use --no-ocr and OCR is measured here on a sample: the
files that Trawl's catalog of the main corpus lists as waiting for OCR (`metadata.ocr =
"pending"`), N images and N/2 PDFs picked evenly along the path order, hard-linked into a
folder of their own.

* Trawl: `trawl ingest SAMPLE --no-ocr` (not counted), then `trawl ocr` (the stage alone),
  measured; pages and pages/s from its summary line.
* Floor: every page without a text layer straight to `tesseract stdin stdout -l eng+fra
  --psm 1` (PDF pages rendered by PyMuPDF at 300 dpi, images converted to gray by Pillow,
  both as PGM), OMP_THREAD_LIMIT=1, on N processes: Tesseract's own cost, without Trawl's
  skew detection, sparse-text retry or cache.
* Apache Tika with its default configuration (Tesseract on), batch mode, same files.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from .floor import list_files
from .ingest import DATASET, trawl_cmd
from .procmon import module_env, run_measured

LANGUAGES = "eng+fra"
DPI = 300
_SUMMARY = re.compile(r"OCR of (\d+) documents: (\d+) pages read .* in ([\d.]+) s")
PENDING = """
SELECT f.path, c.family FROM files f JOIN contents c ON c.sha256 = f.sha256
WHERE f.parent_id IS NULL AND json_extract(c.metadata, '$.ocr') = 'pending'
ORDER BY f.path
"""


def pending(data_dir: Path) -> dict[str, list[str]]:
    """Paths (top-level files) waiting for OCR in a catalog, by family."""
    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute(PENDING).fetchall()
    except sqlite3.OperationalError:  # a Trawl without OCR: nothing is pending
        rows = []
    finally:
        db.close()
    out: dict[str, list[str]] = {}
    for path, family in rows:
        out.setdefault(family, []).append(path)
    return out


def spread(items: list[str], n: int) -> list[str]:
    """`n` items evenly along the list (all of them when there are fewer)."""
    if len(items) <= n:
        return list(items)
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def make_sample(corpus: Path, data_dir: Path, dest: Path, n: int) -> int:
    """Hard links of the sample under `dest`; returns the number of files."""
    todo = pending(data_dir)
    chosen = spread(todo.get("image", []), n) + spread(todo.get("pdf", []), max(1, n // 2))
    for rel in chosen:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            os.link(corpus / rel, target)
    return len(chosen)


def trawl_ocr(sample: Path, work: Path, workers: int) -> dict[str, Any]:
    data = work / "trawl-data"
    ingest = run_measured(trawl_cmd("ingest", str(sample), "--dataset", DATASET, "--workers",
                                    str(workers), "--data-dir", str(data), "--quiet",
                                    "--no-ocr"), work / "ingest.log")
    log = work / "ocr.log"
    m = run_measured(trawl_cmd("ocr", "--dataset", DATASET, "--workers", str(workers),
                               "--data-dir", str(data)), log)
    if ingest.returncode or m.returncode:
        raise RuntimeError(f"trawl ingest/ocr failed; see {work}")
    found = _SUMMARY.search(log.read_text("utf-8", "replace"))
    pages = int(found.group(2)) if found else 0
    return {**m.as_dict(), "documents": int(found.group(1)) if found else 0, "pages": pages,
            "pages_per_s": round(pages / m.wall_s, 3) if m.wall_s else None,
            "ingest_no_ocr": ingest.as_dict()}


def floor(sample: Path, work: Path, workers: int) -> dict[str, Any]:
    log = work / "floor.log"
    m = run_measured([sys.executable, "-m", "benchmarks.harness.ocr", str(sample),
                      "--workers", str(workers)], log, env=module_env(OMP_THREAD_LIMIT="1"))
    if m.returncode:
        raise RuntimeError(f"OCR floor failed; see {log}")
    detail = json.loads(log.read_text().strip().splitlines()[-1])
    return {**m.as_dict(), **detail,
            "pages_per_s": round(detail["pages"] / m.wall_s, 3) if m.wall_s else None}


# -- the floor's worker side (python -m benchmarks.harness.ocr SAMPLE) ----------------------
def page_images(path: str) -> Iterator[bytes]:
    """PGM bytes of every page to OCR: PDF pages without text, or the image itself."""
    if path.lower().endswith(".pdf"):
        import pymupdf  # noqa: PLC0415

        with pymupdf.open(path) as doc:
            for page in doc:
                if len(page.get_text().strip()) < 20:
                    yield page.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY).tobytes("pgm")
        return
    from PIL import Image  # noqa: PLC0415

    with Image.open(path) as image:
        buf = io.BytesIO()
        image.convert("L").save(buf, format="PPM")
        yield buf.getvalue()


def ocr_file(path: str) -> tuple[int, int, float]:
    """(pages, characters, seconds) of one file through Tesseract alone."""
    started = time.perf_counter()
    pages = chars = 0
    for pgm in page_images(path):
        done = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANGUAGES, "--psm", "1"],
                              input=pgm, capture_output=True, check=False)
        pages += 1
        chars += len(done.stdout.decode("utf-8", "replace").strip())
    return pages, chars, time.perf_counter() - started


def run_floor(sample: Path, workers: int) -> dict[str, Any]:
    with get_context("forkserver").Pool(workers) as pool:
        results = pool.map(ocr_file, list_files(sample), 1)
    return {"files": len(results), "pages": sum(r[0] for r in results),
            "chars": sum(r[1] for r in results), "workers": workers,
            "seconds_in_files": round(sum(r[2] for r in results), 3)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.harness.ocr")
    ap.add_argument("sample", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    print(json.dumps(run_floor(args.sample, args.workers)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
