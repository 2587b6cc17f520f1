"""Trawl's side of the evaluation: a collection goes through the product as a user's would.

Each document becomes one file (`docs/<id>.txt`: the title on the first line when the
collection has titles, then the body), the folder is ingested with `trawl ingest` in a
subprocess (the real command: walk, type detection, extraction, language guess, catalog,
index), and each query is typed as a user would: lower case, plain words, no query syntax.

Ranked lists are read through `Archive.search`, the code behind `trawl search` and the web
API. `Archive` caps one page at MAX_LIMIT (200) results, so the top `depth` (1000) are read
page by page with `offset`, exactly as a client paging through results would.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import time
from pathlib import Path

from trawl.index.base import SearchQuery
from trawl.search.service import MAX_LIMIT, Archive
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir

from .collections import Collection

_WORD = re.compile(r"\w+")


def user_query(text: str) -> str:
    """The query as a user types it: lower case words (so no AND/OR/NOT, quotes, etc.)."""
    return " ".join(_WORD.findall(text.lower()))


def write_documents(coll: Collection, folder: Path, fmt: str = "txt") -> None:
    """One file per document. `txt`: the title on the first line, then the body (Trawl sees
    one text). `html`: the title in <title>, which Trawl indexes in its title fields, the
    body in <body>; only for collections that have titles."""
    folder.mkdir(parents=True, exist_ok=True)
    width = max(len(d) for d in coll.docs)
    for doc_id, (title, body) in coll.docs.items():
        if fmt == "html" and title:
            text = (f"<!DOCTYPE html>\n<html><head><title>{html.escape(title)}</title></head>"
                    f"<body><p>{html.escape(body)}</p></body></html>\n")
            suffix = "html"
        else:
            text = f"{title}\n{body}" if title else body
            # An empty document stays an empty file (Trawl skips it, as it would any other).
            text = f"{text.strip()}\n" if text.strip() else ""
            suffix = "txt"
        (folder / f"{doc_id.zfill(width)}.{suffix}").write_text(text, encoding="utf-8")


def ingest(coll: Collection, work: Path, workers: int = 2,
           fmt: str = "txt") -> tuple[DataDir, float]:
    """Write the documents and run `trawl ingest` on them; returns the data dir and seconds."""
    docs = work / coll.name / "docs"
    write_documents(coll, docs, fmt)
    data = work / coll.name / "data"
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "trawl.cli.main", "ingest", str(docs),
                    "--dataset", coll.name, "--data-dir", str(data), "--quiet",
                    "--workers", str(workers), "--no-entities"],  # no part of relevance
                   check=True)
    return DataDir.open(data, create=False), time.monotonic() - started


def file_counts(data: DataDir, dataset: str) -> dict[str, int]:
    """Files by final state: a collection document that failed or was skipped cannot be found,
    and the report says so rather than hiding it in a lower score."""
    catalog = Catalog(data.catalog_path, readonly=True)
    try:
        ds = catalog.dataset(dataset)
        return catalog.counts_by_status(ds.id) if ds else {}
    finally:
        catalog.close()


def reindex(data: DataDir) -> float:
    """`trawl reindex`: rebuild the index from the catalog without extracting again, for
    trying ranking changes on a collection already ingested. Official figures come from a
    fresh `trawl ingest`."""
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "trawl.cli.main", "reindex",
                    "--data-dir", str(data.root)], check=True, capture_output=True)
    return time.monotonic() - started


def doc_ids_by_index_id(archive: Archive, dataset: str) -> dict[str, list[str]]:
    """Index document id -> the collection's ids. Identical files are one Trawl document
    (content-addressed), so one hit can stand for several collection documents."""
    ds = archive.dataset(dataset)
    out: dict[str, list[str]] = {}
    for doc_id, sha in archive.catalog.iter_documents(ds.id):
        files = archive.catalog.files_of_content(ds.id, sha)
        out[doc_id] = sorted(Path(f.path).stem.lstrip("0") or "0" for f in files)
    return out


def run_queries(data: DataDir, coll: Collection, queries: dict[str, str],
                depth: int = 1000) -> dict[str, dict[str, float]]:
    """query id -> {collection doc id: score}; scores encode Trawl's order (higher first)."""
    archive = Archive(data)
    try:
        id_map = doc_ids_by_index_id(archive, coll.name)
        run: dict[str, dict[str, float]] = {}
        for qid, text in queries.items():
            ranked: list[str] = []
            offset = 0
            while offset < depth:
                page = archive.search(SearchQuery(
                    text=user_query(text), datasets=[coll.name], offset=offset,
                    limit=min(MAX_LIMIT, depth - offset), pages_per_hit=1))
                for hit in page.hits:
                    ranked.extend(id_map.get(hit.id, []))
                offset += MAX_LIMIT
                if len(page.hits) < MAX_LIMIT:
                    break
            ranked = ranked[:depth]
            # Rank order as a score: evaluation tools sort by score and break ties by doc id.
            run[qid] = {doc: float(depth - rank) for rank, doc in enumerate(ranked)}
        return run
    finally:
        archive.close()
