"""`trawl export ftm`: a dataset as FollowTheMoney entities, one JSON object a line.

    trawl export ftm --dataset NAME [--output FILE]

The mapping is search/ftm_export.py's (imported here only when the command runs: the
followthemoney model takes a moment to load). Lines go to FILE, or to the standard output, as
they are made: an export of millions of entities never sits in memory. Recorded in the audit
log as `cli:<os user>` (action export).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from trawl.cli.entity_commands import _audit
from trawl.cli.groups import Command, command_group
from trawl.errors import BadRequest, NotFound
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.tables import TableStore


def register(command: Command) -> None:
    leaf = command_group(command, "export", "Export a dataset in another tool's format.")
    p = leaf("ftm", cmd_export_ftm, "A dataset as FollowTheMoney entities (JSON lines, as "
             "Aleph and the ftm tools read them): folders, documents, pages, e-mails, tables "
             "and what they mention.")
    p.add_argument("--dataset", required=True)
    p.add_argument("--output", type=Path, metavar="FILE",
                   help="write to FILE (default: the standard output)")


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
