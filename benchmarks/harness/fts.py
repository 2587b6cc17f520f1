"""Baseline: SQLite FTS5 over the same extracted text that Trawl indexed.

Build (``python -m benchmarks.harness.fts DATA_DIR OUT.sqlite``, measured as a subprocess):
one FTS5 row (title, text; `porter unicode61` tokenizer, so English stems match as in Trawl;
no prefix index) per document of the Trawl catalog, its text read from Trawl's blob store,
plus a plain table of the facet fields (family, year, source, language, mime, status, date).
Its time is an indexing baseline for the index step alone: extraction was paid by Trawl.

Queries run in this process on one connection, like `Archive.search`: a total (`count(*)`)
and the 10 best rows by bm25 with a `snippet()`; date-sorted orders by date instead;
facet-heavy counts every facet column over all rows.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from .queries import BenchQuery, latency_stats

FACET_COLUMNS = ("family", "year", "source", "language", "mime", "status")
SCHEMA = """
CREATE VIRTUAL TABLE fts USING fts5(title, text, tokenize = 'porter unicode61');
CREATE TABLE meta (rowid INTEGER PRIMARY KEY, family TEXT, year TEXT, source TEXT,
                   language TEXT, mime TEXT, status TEXT, date TEXT);
CREATE INDEX meta_date ON meta(date);
"""
DOCS = """
SELECT d.dataset_id, c.sha256, c.title, c.text_key, c.family, c.doc_date, c.language, c.mime,
       c.status
FROM documents d JOIN contents c ON c.sha256 = d.sha256
"""
# One pass over the files for every document's first path (a correlated subquery per
# document is quadratic here: SQLite picks the (dataset_id, status) index for it).
PATHS = "SELECT dataset_id, sha256, min(path) FROM files WHERE sha256 IS NOT NULL GROUP BY 1, 2"


def _text(data_dir: Path, key: str | None) -> str:
    if not key:
        return ""
    blob = data_dir / "blobs" / key[:2] / key[2:4] / key
    return gzip.decompress(blob.read_bytes()).decode("utf-8", "replace")


def build(data_dir: Path, out: Path) -> dict[str, Any]:
    out.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    db = sqlite3.connect(out)
    db.executescript(SCHEMA)
    paths = {(ds, sha): path for ds, sha, path in src.execute(PATHS)}
    rows = chars = 0
    for ds, sha, title, key, family, date, lang, mime, status in src.execute(DOCS):
        path = paths.get((ds, sha))
        text = _text(data_dir, key)
        rows += 1
        chars += len(text)
        db.execute("INSERT INTO fts(rowid, title, text) VALUES (?, ?, ?)",
                   (rows, title or "", text))
        db.execute("INSERT INTO meta VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (rows, family, (date or "")[:4] or None, (path or "").split("/")[0],
                    lang, mime, status, date))
    db.commit()
    db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    db.commit()
    db.close()
    src.close()
    return {"rows": rows, "text_chars": chars, "db_bytes": out.stat().st_size}


def run_query(db: sqlite3.Connection, q: BenchQuery) -> int:
    """Runs one query the way a search page needs it; returns the total."""
    if not q.fts:
        total = db.execute("SELECT count(*) FROM meta").fetchone()[0]
        for col in FACET_COLUMNS:
            db.execute(f"SELECT {col}, count(*) FROM meta GROUP BY 1 ORDER BY 2 DESC LIMIT 50"
                       ).fetchall()
        db.execute("SELECT m.rowid, f.title FROM meta m JOIN fts f ON f.rowid = m.rowid "
                   "LIMIT 10").fetchall()
        return total
    total = db.execute("SELECT count(*) FROM fts WHERE fts MATCH ?", (q.fts,)).fetchone()[0]
    order = "m.date DESC" if q.sort == "date_desc" else "fts.rank"
    db.execute("SELECT fts.rowid, snippet(fts, 1, '[', ']', '...', 16) FROM fts "
               f"JOIN meta m ON m.rowid = fts.rowid WHERE fts MATCH ? ORDER BY {order} "
               "LIMIT 10", (q.fts,)).fetchall()
    return total


def latency(path: Path, queries: list[BenchQuery], reps: int) -> dict[str, Any]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    per_query: dict[str, Any] = {}
    every: list[float] = []
    try:
        for q in queries:
            if q.fts is None:
                continue
            started = time.perf_counter()
            total = run_query(db, q)
            first = time.perf_counter() - started
            times = []
            for _ in range(reps):
                started = time.perf_counter()
                run_query(db, q)
                times.append(time.perf_counter() - started)
            every += times
            per_query[q.name] = {**latency_stats(times), "first_ms": round(first * 1000, 3),
                                 "hits": total}
    finally:
        db.close()
    return {"queries": per_query, "all": latency_stats(every)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.harness.fts")
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args(argv)
    print(json.dumps(build(args.data_dir, args.out)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
