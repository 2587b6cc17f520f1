"""`trawl export`: a search's documents as CSV, JSON lines or a zip of the originals, or a
whole dataset as FollowTheMoney entities.

    trawl export QUERY [--dataset NAME ...] --format csv|jsonl|zip [--output FILE]
    trawl export --format ftm --dataset NAME [--output FILE]
    trawl export ftm --dataset NAME [--output FILE]     (the same: kept as documented)

One command, one way: `--format` says what is written (csv by default). The word `ftm` in
place of the query, with no `--format`, means `--format ftm`, as `trawl export ftm` always
did; to search for the word itself, give the format (`trawl export --format csv ftm`).

The search formats are search/exports.py's, the website's own (the same records, the same
zip with its `manifest.csv`), over the whole archive as its owner at the terminal reads it.
The FtM mapping is search/ftm_export.py's (imported only when it runs: the followthemoney
model takes a moment to load). Output is written as it is made: an export of millions of
records never sits in memory. Recorded in the audit log as `cli:<os user>` (action export).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from trawl.cli.entity_commands import _audit
from trawl.cli.groups import Command
from trawl.errors import BadRequest, NotFound
from trawl.index.base import SearchQuery
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.tables import TableStore

FORMATS = ("csv", "jsonl", "zip", "ftm")


def register(command: Command) -> None:
    p = command("export", cmd_export, "Export a search's documents (CSV, JSON lines, or a zip "
                "of the originals with a manifest), or a dataset as FollowTheMoney entities "
                "(JSON lines, as Aleph and the ftm tools read them).")
    p.add_argument("query", nargs="?", help="what to export, in the query syntax (* for "
                   "every document); the word ftm alone, without --format: --format ftm")
    p.add_argument("--dataset", action="append", help="restrict to a dataset (repeatable; "
                   "ftm: exactly one)")
    p.add_argument("--format", choices=FORMATS, help="csv (default), jsonl, zip or ftm")
    p.add_argument("--output", type=Path, metavar="FILE",
                   help="write to FILE (default: the standard output; a zip needs a file)")
    p.add_argument("--max-bytes", type=int, metavar="N",
                   help="zip: stop before the originals pass N bytes (default: "
                        "TRAWL_EXPORT_MAX_BYTES, else 2 GiB); the manifest names what is "
                        "left out")
    p.add_argument("--base-url", default="", metavar="URL",
                   help="put before each document's page in `url` (e.g. "
                        "https://trawl.example.org)")


def cmd_export(args: argparse.Namespace) -> int:
    fmt = args.format
    if fmt is None and args.query == "ftm":  # `trawl export ftm`, as documented before
        fmt, args.query = "ftm", None
    fmt = fmt or "csv"
    if fmt == "ftm":
        if args.query is not None:
            raise BadRequest("--format ftm exports a whole dataset: give no query")
        if not args.dataset or len(args.dataset) != 1:
            raise BadRequest("--format ftm exports one dataset: give --dataset NAME")
        return cmd_export_ftm(argparse.Namespace(**{**vars(args), "dataset": args.dataset[0]}))
    if not args.query:
        raise BadRequest("give what to export (a query; * for every document)")
    if fmt == "zip" and args.output is None:
        raise BadRequest("a zip is written to a file: give --output FILE")
    return _export_search(args, fmt)


def _export_search(args: argparse.Namespace, fmt: str) -> int:
    from trawl.search import exports
    from trawl.search.service import Archive
    from trawl.web.api import hit_url
    from trawl.web.tables import csv_chunks

    data = DataDir.open(args.data_dir, create=False)
    archive = Archive(data)
    try:
        query = SearchQuery(text=args.query, datasets=args.dataset)
        export = exports.start(archive, query,
                               lambda hit: args.base_url.rstrip("/") + hit_url(hit, args.query),
                               fmt)
        summary = exports.ZipSummary()
        if fmt == "zip":
            limit = args.max_bytes if args.max_bytes is not None else exports.max_zip_bytes()
            _write_bytes(exports.zip_chunks(export, limit, summary), args.output)
        else:
            body = csv_chunks(exports.csv_rows(export)) if fmt == "csv" \
                else exports.jsonl_lines(export)
            _write_text(body, args.output)
    finally:
        archive.close()
    dataset = args.dataset[0] if args.dataset and len(args.dataset) == 1 else None
    _audit(data, "export", dataset, args.query[:500],
           {"format": fmt, "datasets": args.dataset, "count": export.count})
    where = f" to {args.output}" if args.output else ""
    kept = f" ({summary.members} originals, {summary.left_out} left out: see manifest.csv)" \
        if fmt == "zip" else ""
    print(f"{export.count} documents written{where}{kept}", file=sys.stderr)
    return 0


def _write_text(chunks: Iterator[str], output: Path | None) -> None:
    if output is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    try:
        with output.open("w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
    except OSError as exc:
        raise BadRequest(f"cannot write {output}: {exc.strerror or exc}") from None


def _write_bytes(chunks: Iterator[bytes], output: Path) -> None:
    try:
        with output.open("wb") as out:
            for chunk in chunks:
                out.write(chunk)
    except OSError as exc:
        raise BadRequest(f"cannot write {output}: {exc.strerror or exc}") from None


def cmd_export_ftm(args: argparse.Namespace) -> int:
    from trawl.search.ftm_export import FtmExport

    data = DataDir.open(args.data_dir, create=False)
    if not data.exists():
        raise NotFound(f"no Trawl data in {data.root}")
    catalog = Catalog(data.catalog_path, readonly=True)
    tables = TableStore.open_readonly(data.tables_path)
    try:
        dataset = catalog.dataset(args.dataset)
        if dataset is None:
            raise NotFound(f"no dataset named {args.dataset!r}")
        export = FtmExport(catalog, BlobStore(data.blob_dir), tables, dataset)
        count = _write(export.entities(), args.output)
    finally:
        catalog.close()
        if tables is not None:
            tables.close()
    _audit(data, "export", dataset.name, None, {"format": "ftm", "entities": count})
    where = f" to {args.output}" if args.output else ""
    print(f"{count} entities of {dataset.name} written{where}", file=sys.stderr)
    return 0


def _write(entities: Iterator[dict[str, Any]], output: Path | None) -> int:
    if output is None:
        return _lines(entities, sys.stdout)
    try:
        with output.open("w", encoding="utf-8") as out:
            return _lines(entities, out)
    except OSError as exc:
        raise BadRequest(f"cannot write {output}: {exc.strerror or exc}") from None


def _lines(entities: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for entity in entities:
        out.write(json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
