"""`trawl xref`: every entity of a dataset that each row of a list names.

    trawl xref LIST.csv --dataset NAME [--dataset NAME ...] [--json] [--output FILE.csv]

The matching is search/xref.py's (the web's /xref and /api/xref give the same answer); at the
terminal the data folder's owner reads everything, in full. The lookup is recorded in the
audit log as `cli:<os user>`, with the list's size, not its content.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from trawl.cli.entity_commands import _audit
from trawl.cli.groups import Command
from trawl.cli.wording import counted
from trawl.errors import BadRequest, NotFound
from trawl.search.service import Archive
from trawl.storage.datadir import DataDir
from trawl.storage.entities import EntityStore

if TYPE_CHECKING:
    from trawl.search.xref import XrefResult

MAX_ROWS = 100_000  # search/xref_list.py's (not imported here: it loads the recognisers)


def register(command: Command) -> None:
    p = command("xref", cmd_xref, "Cross-reference a list (a CSV of names, e-mails, phones, "
                "URLs or handles, with a header row) with a dataset's entities: every match "
                f"of each row, with its counts and links (at most {MAX_ROWS:,} rows).")
    p.add_argument("list", type=Path, metavar="LIST.csv")
    p.add_argument("--dataset", action="append", required=True,
                   help="the dataset (repeatable: several datasets)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--output", type=Path, metavar="FILE.csv",
                   help="write the matches as CSV: the list's columns, then the match's, one "
                        "line per row and match (a row without a match once)")


def cmd_xref(args: argparse.Namespace) -> int:
    # Imported here: the recognisers (derive/) load only for a cross-reference.
    from trawl.search.xref import xref
    from trawl.search.xref_list import read_list

    data = DataDir.open(args.data_dir, create=False)
    archive = Archive(data)
    try:
        region = _region(archive, args.dataset[0])
        try:
            with args.list.open("rb") as stream:
                listing = read_list(stream, region)
        except OSError as exc:
            raise NotFound(f"cannot read {args.list}: {exc.strerror or exc}") from None
        result = xref(archive, args.dataset, listing)
    finally:
        archive.close()
    for name in result.datasets:
        _audit(data, "search", name, None, {"record": "xref", "rows": len(listing.rows),
                                            "matched_rows": result.matched_rows})
    if args.output is not None:
        _write_csv(result, args.output)
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    elif args.output is None:
        _print(result)
    _warn(result)
    return 0


def _region(archive: Archive, dataset: str) -> str:
    found = archive.dataset(dataset)
    return EntityStore(archive.catalog).phone_region(found.id)


def _write_csv(result: XrefResult, path: Path) -> None:
    from trawl.search.xref import csv_rows

    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            csv.writer(out).writerows(csv_rows(result))
    except OSError as exc:
        raise BadRequest(f"cannot write {path}: {exc.strerror or exc}") from None


def _print(result: XrefResult) -> None:
    for row in result.rows:
        if not row.matches:
            continue
        print(f"row {row.number}: " + ", ".join(c for c in row.cells if c.strip())[:120])
        for m in row.matches:
            e = m.entity
            print(f"    {m.query.column}: {e.kind} {e.value}  ({counted(e.documents, 'document')}"
                  f", {counted(e.rows, 'row')}, {counted(e.sources, 'source')})  "
                  f"{m.dataset} {m.url}")


def _warn(result: XrefResult) -> None:
    listing = result.listing
    compared = [c.name for c in listing.columns if c.kind]
    print(f"{result.matched_rows} of {counted(len(listing.rows), 'row')} matched in "
          f"{', '.join(result.datasets)} (columns compared: {', '.join(compared) or 'none'})",
          file=sys.stderr)
    if listing.truncated:
        print(f"trawl: warning: only the first {MAX_ROWS:,} rows of the list were read",
              file=sys.stderr)
