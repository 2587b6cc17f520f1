"""Trawl's ingestion, measured: the real `trawl ingest` command in a subprocess.

* Whole corpus: `python -m trawl.cli.main ingest CORPUS --dataset bench --workers N --no-ocr`
  into a fresh data directory (OCR is measured apart, on a sample: ocr.py), under
  `procmon.run_measured` (wall, CPU of the process tree, peak RSS of the tree). files/s and
  MB/s count the files on disk (what the user points at) and their bytes; archive members
  and attachments are extra work inside those bytes.
* Index alone: `trawl reindex` rebuilds the index from the catalog and the stored texts, the
  same job as the SQLite FTS5 baseline's build.
* Composition, from the catalog afterwards: per type family (pdf, word, image, ...), the
  files (members included), bytes, unique contents and extracted characters. The catalog keeps
  no per-file extraction time, so these are shares, not speeds.
* Speed per format: each extension's files of the corpus are hard-linked into their own
  folder and ingested in their own run (fresh data directory, same workers), next to the
  extraction floor over the same subset. Each run pays the fixed start-up (~1 s: worker
  pool, index open and commit) once; the floor pays its own.
* Sizes: catalog (SQLite + WAL), index folder, blob store (gzip'd texts, archive members and
  attachments), and the gzip'd text blobs alone, against the raw bytes and the characters of
  extracted text.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from .floor import list_files
from .procmon import run_measured, tree_size

DATASET = "bench"


def trawl_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "trawl.cli.main", *args]


def corpus_totals(root: Path) -> dict[str, int]:
    paths = list_files(root)
    return {"files": len(paths), "bytes": sum(os.path.getsize(p) for p in paths)}


def rates(measured: dict[str, Any], files: int, size: int) -> dict[str, float]:
    wall = measured["wall_s"] or 1e-9
    return {"files_per_s": round(files / wall, 2), "mb_per_s": round(size / 1e6 / wall, 3),
            "cpu_s_per_mb": round(measured["cpu_s"] / max(size / 1e6, 1e-9), 4),
            "cores_used": round(measured["cpu_s"] / wall, 2)}


@functools.cache
def has_ocr_switch() -> bool:
    """Whether this Trawl's `ingest` has --no-ocr (OCR, when it has, is a stage of ingestion)."""
    done = subprocess.run(trawl_cmd("ingest", "--help"), capture_output=True, check=False)
    return b"--no-ocr" in done.stdout


def ingest(corpus: Path, data_dir: Path, workers: int, log: Path,
           ocr: bool = False) -> dict[str, Any]:
    """One measured `trawl ingest` of `corpus` into a new `data_dir` (OCR off by default)."""
    if data_dir.exists() and any(data_dir.iterdir()):
        raise FileExistsError(f"data directory not empty: {data_dir}")
    switch = ([] if ocr else ["--no-ocr"]) if has_ocr_switch() else []
    m = run_measured(trawl_cmd("ingest", str(corpus), "--dataset", DATASET, "--workers",
                               str(workers), "--data-dir", str(data_dir), "--quiet", *switch),
                     log)
    if m.returncode != 0:
        raise RuntimeError(f"trawl ingest failed ({m.returncode}); see {log}")
    totals = corpus_totals(corpus)
    out: dict[str, Any] = {**m.as_dict(), **totals, "workers": workers, "args": switch}
    out.update(rates(out, totals["files"], totals["bytes"]))
    return out


def reindex(data_dir: Path, log: Path) -> dict[str, Any]:
    """`trawl reindex`: the index rebuilt from the catalog and the stored texts, measured."""
    m = run_measured(trawl_cmd("reindex", "--data-dir", str(data_dir)), log)
    if m.returncode != 0:
        raise RuntimeError(f"trawl reindex failed ({m.returncode}); see {log}")
    return {**m.as_dict(), "index_bytes": tree_size(data_dir / "index")}


def catalog_stats(data_dir: Path) -> dict[str, Any]:
    """Statuses and per-family composition, read from the catalog."""
    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        status = dict(db.execute("SELECT status, count(*) FROM files GROUP BY status"))
        kinds = dict(db.execute("SELECT kind, count(*) FROM files GROUP BY kind"))
        fam: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for family, files, size in db.execute(
                "SELECT coalesce(c.family, 'unread'), count(*), sum(f.size) FROM files f "
                "LEFT JOIN contents c ON c.sha256 = f.sha256 GROUP BY 1"):
            fam[family]["files"], fam[family]["bytes"] = files, size or 0
        for family, contents, chars in db.execute(
                "SELECT family, count(*), sum(coalesce(text_chars, 0)) FROM contents GROUP BY 1"):
            fam[family or "unread"]["contents"] = contents
            fam[family or "unread"]["text_chars"] = chars or 0
        errors = db.execute("SELECT error, count(*) FROM files WHERE status = 'failed' "
                            "GROUP BY 1 ORDER BY 2 DESC LIMIT 10").fetchall()
        docs = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    finally:
        db.close()
    return {"status": status, "kinds": kinds, "documents": docs,
            "by_family": {k: dict(v) for k, v in sorted(fam.items())},
            "top_errors": [{"error": e, "count": n} for e, n in errors]}


def text_blob_keys(data_dir: Path) -> list[str]:
    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        return [k for (k,) in db.execute(
            "SELECT DISTINCT text_key FROM contents WHERE text_key IS NOT NULL")]
    finally:
        db.close()


def blob_path(data_dir: Path, key: str) -> Path:
    return data_dir / "blobs" / key[:2] / key[2:4] / key


def storage(data_dir: Path, raw_bytes: int, text_chars: int) -> dict[str, Any]:
    catalog = sum(tree_size(p) for p in data_dir.glob("catalog.sqlite*"))
    index = tree_size(data_dir / "index")
    blobs = tree_size(data_dir / "blobs")
    text_blobs = sum(blob_path(data_dir, k).stat().st_size for k in text_blob_keys(data_dir))
    searchable = catalog + index
    return {"raw_bytes": raw_bytes, "text_chars": text_chars, "catalog_bytes": catalog,
            "index_bytes": index, "blob_bytes": blobs, "text_blob_bytes": text_blobs,
            "catalog_index_over_raw": round(searchable / max(raw_bytes, 1), 4),
            "catalog_index_over_text": round(searchable / max(text_chars, 1), 4),
            "index_over_text": round(index / max(text_chars, 1), 4),
            "data_dir_over_raw": round((searchable + blobs) / max(raw_bytes, 1), 4)}


def format_subsets(corpus: Path, dest: Path, min_files: int = 1) -> dict[str, Path]:
    """Hard links of each extension's files under dest/<ext>/ (same relative paths)."""
    groups: dict[str, list[str]] = defaultdict(list)
    for path in list_files(corpus):
        groups[os.path.splitext(path)[1].lower().lstrip(".") or "none"].append(path)
    out: dict[str, Path] = {}
    for ext, paths in sorted(groups.items()):
        if len(paths) < min_files:
            continue
        root = dest / ext
        for path in paths:
            target = root / os.path.relpath(path, corpus)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                os.link(path, target)
        out[ext] = root
    return out
