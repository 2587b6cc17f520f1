"""`trawl entities` and `trawl entity`: who and what a dataset mentions, and where.

    trawl entities --dataset NAME [--kind KIND] [--min-sources N] [--limit N] [--json]
    trawl entities extract --dataset NAME [--phone-region CC] [--workers N] [--quiet]
    trawl entity ID_OR_VALUE --dataset NAME [--kind KIND] [--limit N] [--json]

The listing and the lookups read through search/entities.py, as the web pages do (the
terminal's archive is unscoped: its owner reads everything), and are recorded in the audit
log as `cli:<os user>`, as `trawl search` is. `extract` runs the entity stage of `trawl
ingest` (ingestion/entity_stage.py) through the same runner as `trawl ocr`, which main.py
hands over (so that this module does not import main, nor the ingestion layer before it is
needed).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from trawl.cli.audit_commands import cli_actor
from trawl.cli.groups import Command
from trawl.cli.wording import counted
from trawl.errors import BadRequest, NotFound
from trawl.search.entities import EntityReader
from trawl.search.service import Archive
from trawl.storage.datadir import DataDir
from trawl.storage.entities import KINDS, Entity

Runner = Callable[..., int]  # main._run(args, step, reads_files=...)


def register(command: Command, run: Runner, run_options: Callable[[Any], None]) -> None:
    p = command("entities", cmd_entities, "The e-mail addresses, phone numbers, URLs, "
                "domains, IP addresses and social accounts a dataset mentions, those in the "
                "most sources (top folders) first. `trawl entities extract` finds them.")
    p.add_argument("--dataset", help="the dataset (required)")
    _kind_option(p)
    p.add_argument("--min-sources", type=_count, default=0, metavar="N",
                   help="only entities found in at least N sources (top folders)")
    p.add_argument("--limit", type=_positive, default=50, help="at most N (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")
    x = stage_command(p, "extract", "Find the entities of a dataset's documents and table "
                      "rows now (after `trawl ingest --no-entities`); resumable, and only "
                      "what is new is read.", run, run_options,
                      lambda ingester: ingester.run_entities())
    phone_region_option(x)

    p = command("entity", cmd_entity, "One entity (by id, or by value: an address, a number "
                "in any spelling, a URL, twitter:name) with where it is mentioned and the "
                "entities that appear with it.")
    p.add_argument("id_or_value")
    p.add_argument("--dataset", required=True)
    _kind_option(p)
    p.add_argument("--limit", type=_positive, default=100,
                   help="at most N mentions and co-occurring entities (default 100)")
    p.add_argument("--json", action="store_true", help="print JSON")


def stage_command(p: argparse.ArgumentParser, name: str, help_text: str, run: Runner,
                  run_options: Callable[[Any], None], step: Callable[[Any], Any]
                  ) -> argparse.ArgumentParser:
    """`trawl <p> <name> --dataset NAME`: one stage of `trawl ingest` run alone (`step` of
    the ingester), with the run options, through main's runner."""
    nested = p.add_subparsers(title=f"{p.prog.split()[-1]} commands", metavar="COMMAND")
    x = nested.add_parser(name, help=help_text, description=help_text)
    x.add_argument("--data-dir", default=argparse.SUPPRESS,
                   help="where Trawl keeps its data (env TRAWL_DATA, default ./trawl-data)")
    x.add_argument("--dataset", required=True)
    run_options(x)
    x.set_defaults(handler=lambda args: run(args, step, reads_files=False))
    return x


def phone_region_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--phone-region", metavar="CC",
                   help="the region of phone numbers written without +country code: US (the "
                        "default), CA, FR, GB...; remembered for the dataset")


def _kind_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=KINDS, help="one kind: " + ", ".join(KINDS))


def _positive(value: str) -> int:
    number = _count(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return number


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return number


# -- handlers ---------------------------------------------------------------------------------
def cmd_entities(args: argparse.Namespace) -> int:
    if not args.dataset:
        raise BadRequest("--dataset is required (trawl entities --dataset NAME)")
    data, archive = _open(args)
    try:
        dataset = archive.dataset(args.dataset)
        page = EntityReader(archive).listing(dataset, args.kind, "sources", "", 0, args.limit,
                                             args.min_sources)
    finally:
        archive.close()
    entities = page.entities
    _audit(data, "search", dataset.name, None,
           {"record": "entities", "kind": args.kind, "min_sources": args.min_sources,
            "total": len(entities)})
    if args.json:
        print(json.dumps({"dataset": dataset.name,
                          "entities": [e.as_json() for e in entities]},
                         indent=2, ensure_ascii=False))
        return 0
    if not entities:
        print(f"no entities in {dataset.name}" + (f" of kind {args.kind}" if args.kind else "")
              + " (`trawl entities extract` finds them)", file=sys.stderr)
    for e in entities:
        print(f"{e.id:>7}  {e.kind:<6}  {e.value}  ({_counts(e)})")
    return 0


def cmd_entity(args: argparse.Namespace) -> int:
    data, archive = _open(args)
    try:
        reader = EntityReader(archive)
        view = reader.find(archive.dataset(args.dataset), args.id_or_value, args.kind)
        mentions, total = reader.mentions(view, args.limit)
        cooccurring = reader.cooccurring(view, args.limit)
    finally:
        archive.close()
    entity = view.entity
    _audit(data, "view", view.dataset.name, f"entity:{entity.id}",
           {"kind": entity.kind, "value": entity.value})
    if args.json:
        print(json.dumps({**entity.as_json(), "mentions_total": total,
                          "mentions": [m.as_json() for m in mentions],
                          "cooccurring": [c.as_json() for c in cooccurring]},
                         indent=2, ensure_ascii=False))
        return 0
    print(f"{entity.id}  {entity.kind}  {entity.value}")
    print(f"  {_counts(entity)}")
    print("  spellings: " + ", ".join(entity.spellings))
    print(f"  mentions ({len(mentions)} of {total}):")
    for m in mentions:
        where = (f"p. {m.page}" if m.page else "") if m.document_id else \
            f"{m.table} row {m.row}"
        field = f" [{m.field}]" if m.field else ""
        print(f"    {m.path}  {where}{field}  {m.text!r}  "
              f"({m.document_id or f'table {m.table_id}'})")
    if cooccurring:
        print("  appears with:")
    for c in cooccurring:
        print(f"    {c.id:>7}  {c.kind:<6}  {c.value}  ({counted(c.shared, 'shared record')})")
    return 0


def _counts(e: Entity) -> str:
    return (f"{counted(e.documents, 'document')}, {counted(e.rows, 'row')}, "
            f"{counted(e.sources, 'source')}")


def _open(args: argparse.Namespace) -> tuple[DataDir, Archive]:
    """The data folder, and its archive as its owner at the terminal reads it (unscoped)."""
    data = DataDir.open(args.data_dir, create=False)
    if not data.exists():
        raise NotFound(f"no Trawl data in {data.root}")
    return data, Archive(data)


def _audit(data: DataDir, action: str, dataset: str, target: str | None,
           detail: dict[str, Any]) -> None:
    """As `trawl search` is audited: a log that cannot be written (a read-only copy of the
    data) is a warning at the terminal, not a refusal."""
    from trawl.access.audit import AuditError, AuditLog

    try:
        with AuditLog(data.audit_path, data.secret_key_path) as log:
            log.record(cli_actor(), action, dataset=dataset, target=target, detail=detail)
    except (AuditError, OSError) as exc:
        print(f"trawl: warning: this lookup is not in the audit log: {exc}", file=sys.stderr)
