"""OCR speed: Trawl's OCR stage against raw Tesseract on the same pages and the same cores.

    python -m benchmarks.ocr_bench [--processes N] [--repeat R] [--out benchmarks/out/ocr.json]

The pages are real scans of the shared corpus (a police department's daily activity log, JBIG2
scans). Both sides read the same 300-dpi grayscale renderings with the same languages
(eng+fra) and the same number of processes, each Tesseract on one thread (OMP_THREAD_LIMIT=1):
* raw: `tesseract page.png out -l eng+fra`, N at a time, on PNGs rendered beforehand (the
  rendering is not counted: raw Tesseract gets it for free);
* Trawl: `trawl ingest --no-ocr` (not timed), then `trawl ocr` timed from start to end:
  worker start-up, rendering, skew measurement, Tesseract, cache writes, merging the text
  into the documents and re-indexing them.
Then, "no page OCR'd twice": the OCR cache holds one entry per distinct page image, a second
`trawl ocr` reads nothing, and a copy of every file in another dataset reads nothing either.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pymupdf

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("TRAWL_TEST_CORPUS", REPO.parent / "shared" / "corpus"))
SCANS = [
    "pdap-police/CA/alameda_county/alameda/alameda_police/data/daily_bulletin/"
    "daily-activity-log-030921.pdf",
    "ingest-file/jbig2.pdf",
    "icij-extract/documents/ocr/jbig2_scan.pdf",
]
LANGUAGES = "eng+fra"
DPI = 300


def render_pages(pdfs: list[Path], out: Path) -> list[Path]:
    pages = []
    for number, pdf in enumerate(pdfs):
        with pymupdf.open(pdf) as doc:
            for page in doc:
                target = out / f"{number:02d}-{page.number + 1:03d}.png"
                page.get_pixmap(dpi=DPI, colorspace=pymupdf.csGRAY, alpha=False).save(target)
                pages.append(target)
    return pages


def children_cpu() -> float:
    """CPU seconds of every finished descendant so far (Tesseract included): unlike wall time,
    barely moved by other work on the machine."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raw_tesseract(pages: list[Path], processes: int, out: Path) -> tuple[float, float]:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(page: Path) -> None:
        subprocess.run(["tesseract", str(page), str(out / page.stem), "-l", LANGUAGES],
                       env=env, check=True, capture_output=True)

    started, cpu = time.monotonic(), children_cpu()
    with ThreadPoolExecutor(processes) as pool:
        list(pool.map(one, pages))
    return time.monotonic() - started, children_cpu() - cpu


def trawl(*args: str, data: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "TRAWL_DATA": str(data)}
    return subprocess.run([sys.executable, "-m", "trawl.cli.main", *args], env=env,
                          check=True, capture_output=True, text=True)


def trawl_ocr(folder: Path, processes: int, data: Path) -> tuple[float, float, str]:
    trawl("ingest", str(folder), "--dataset", "bench", "--no-ocr", "--quiet",
          "--workers", str(processes), data=data)
    started = time.monotonic()
    done = trawl("ocr", "--dataset", "bench", "--workers", str(processes), "--quiet",
                 data=data)
    return time.monotonic() - started, ocr_cpu(done.stderr), done.stderr


def pages_read(stderr: str) -> tuple[int, int]:
    """(pages read, of which from the cache) from the summary line of `trawl ocr`."""
    found = re.search(r"(\d+) pages read \((\d+) from the cache\)", stderr)
    return (int(found[1]), int(found[2])) if found else (0, 0)


def ocr_cpu(stderr: str) -> float:
    """The CPU seconds `trawl ocr` reports: its workers' (their Tesseract runs included) and
    its own. (Its workers are not its children but a fork server's, so RUSAGE_CHILDREN here
    does not see them.)"""
    found = re.search(r"([\d.]+) CPU s\)", stderr)
    return float(found[1]) if found else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each side (best kept)")
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out" / "ocr.json")
    args = parser.parse_args()
    pdfs = [CORPUS / p for p in SCANS]
    missing = [str(p) for p in pdfs if not p.exists()]
    if missing:
        print(f"missing corpus files: {missing}", file=sys.stderr)
        return 2
    version = subprocess.run(["tesseract", "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0]
    with tempfile.TemporaryDirectory(prefix="trawl-ocr-bench-") as tmp:
        work = Path(tmp)
        (work / "png").mkdir()
        (work / "raw").mkdir()
        (work / "scans").mkdir()
        for pdf in pdfs:
            shutil.copy(pdf, work / "scans" / pdf.name)
        pages = render_pages(pdfs, work / "png")
        raw_times, trawl_times, raw_cpu, trawl_cpu, stderr = [], [], [], [], ""
        for run in range(args.repeat):  # alternate, so that both see the same machine
            seconds, cpu = raw_tesseract(pages, args.processes, work / "raw")
            raw_times.append(seconds)
            raw_cpu.append(cpu)
            data = work / f"data-{run}"
            seconds, cpu, stderr = trawl_ocr(work / "scans", args.processes, data)
            trawl_times.append(seconds)
            trawl_cpu.append(cpu)
        read, cached = pages_read(stderr)
        cache_entries = sum(1 for p in (data / "blobs" / "ocr").rglob("*")
                            if p.is_file() and p.parent.name != "claims")
        again = pages_read(trawl("ocr", "--dataset", "bench", "--quiet", data=data).stderr)
        (work / "copies").mkdir()
        for pdf in pdfs:
            shutil.copy(pdf, work / "copies" / f"copy-of-{pdf.name}")
        copies = trawl("ingest", str(work / "copies"), "--dataset", "copies", "--quiet",
                       "--workers", str(args.processes), data=data).stderr
    raw_best, trawl_best = min(raw_times), min(trawl_times)
    result = {
        "pages": len(pages),
        "processes": args.processes,
        "cores": os.cpu_count(),
        "tesseract": version,
        "languages": LANGUAGES,
        "raw_seconds": [round(t, 2) for t in raw_times],
        "trawl_seconds": [round(t, 2) for t in trawl_times],
        "raw_pages_per_s": round(len(pages) / raw_best, 3),
        "trawl_pages_per_s": round(len(pages) / trawl_best, 3),
        "ratio": round(raw_best / trawl_best, 3),
        "raw_cpu_s_per_page": round(min(raw_cpu) / len(pages), 3),
        "trawl_cpu_s_per_page": round(min(trawl_cpu) / len(pages), 3),
        "cpu_ratio": round(min(raw_cpu) / min(trawl_cpu), 3),
        "load_average_after": round(os.getloadavg()[0], 2),
        "trawl_pages_read": read,
        "trawl_pages_from_cache": cached,
        "ocr_cache_entries": cache_entries,
        "second_trawl_ocr_pages_read": again[0],
        "copies_dataset_pages_read": pages_read(copies)[0],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print("\n| pages | processes | raw tesseract | trawl ocr | trawl / raw |")
    print("|---:|---:|---:|---:|---:|")
    print(f"| {len(pages)} | {args.processes} | {result['raw_pages_per_s']:.2f} pages/s, "
          f"{result['raw_cpu_s_per_page']:.2f} CPU s/page | {result['trawl_pages_per_s']:.2f} "
          f"pages/s, {result['trawl_cpu_s_per_page']:.2f} CPU s/page | {result['ratio']:.2f} "
          f"(CPU {result['cpu_ratio']:.2f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
