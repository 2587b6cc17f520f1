"""The `trawl` command. Each sub-command is a small function over the layers below.

Exit codes: 0 success, 1 a run that finished with failed files is still 0 (failures are
recorded, not fatal), 2 usage errors and things not found, 141 (quietly) when the reader of
the output closed the pipe (`trawl tables ... | head -1`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from trawl import __version__
from trawl.cli import (
    access_commands,
    annotation_commands,
    audit_commands,
    backup_commands,
    entity_commands,
    export_commands,
    neardup_commands,
    saved_commands,
    thread_commands,
    xref_commands,
)
from trawl.cli.entity_commands import _positive
from trawl.cli.wording import counted
from trawl.errors import UNKNOWN, BadRequest, NotFound, TrawlError, is_disk_full, is_retryable
from trawl.index.base import (
    ENTITY_KINDS,
    FACET_VALUES,
    FACETS,
    ROW_FACETS,
    UNKNOWN_YEAR,
    SearchQuery,
)
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir, resolve_data_dir

# What a command needs beyond these (the ingestion layer, the search engine, the web server) is
# imported inside its handler: `trawl status` should not pay for PyMuPDF, libmagic and tantivy.


EXIT_CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `yes | head -1`'s `yes`
EXIT_DISK_FULL = 75  # EX_TEMPFAIL (sysexits.h): try again later, once there is room


def _disk_full_message(args: argparse.Namespace) -> str:
    root = resolve_data_dir(getattr(args, "data_dir", None))
    try:
        free = f"{shutil.disk_usage(root).free / 1e6:.0f} MB free"
    except OSError:
        free = "no room left"
    return (f"the disk that holds {root} is full ({free}). Nothing is lost: what this run "
            "had not finished stays pending. Make room, then run the same command again to "
            "resume where it stopped.")


def main(argv: list[str] | None = None) -> int:
    try:
        status = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here rather than at exit, where it is noise
    except BrokenPipeError:
        # The reader went away (`trawl tables ... | head -1`): stop quietly, as the Python
        # docs advise (signal module, "Note on SIGPIPE"): stdout goes to devnull, so that
        # the interpreter's last flush does not fail on the closed pipe again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_CLOSED_PIPE
    return status


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except (NotFound, BadRequest, ValueError) as exc:
        print(f"trawl: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 (a full disk, however a library reports it)
        if is_disk_full(exc):
            print(f"trawl: {_disk_full_message(args)}", file=sys.stderr)
            return EXIT_DISK_FULL
        if isinstance(exc, TrawlError):  # Busy, a worker that cannot start, an old index
            print(f"trawl: {exc}", file=sys.stderr)
            return 1
        raise
    except KeyboardInterrupt:
        print("trawl: interrupted; run the same command again to resume", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trawl", description="Turn a dump of documents into a searchable archive.")
    parser.add_argument("--version", action="version", version=f"trawl {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name: str, handler: Any, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--data-dir", help="where Trawl keeps its data (env TRAWL_DATA, "
                       "default ./trawl-data)")
        p.set_defaults(handler=handler)
        return p

    p = command("ingest", cmd_ingest, "Walk PATH, extract every file, index it (resumable).")
    p.add_argument("path", type=Path, help="a folder or a file to ingest")
    p.add_argument("--dataset", required=True, help="the dataset's name")
    _add_run_options(p)
    _add_ocr_options(p, switch=True)
    _add_entity_options(p)
    thread_commands.no_threads_option(p)
    _add_neardup_options(p)

    p = command("retry", cmd_retry, "Process again the files of a dataset that failed.")
    p.add_argument("--dataset", required=True)
    which = p.add_mutually_exclusive_group()
    which.add_argument("--failed", dest="all", action="store_false", default=False,
                       help="retry the failures a retry may cure: a time or memory limit, a "
                            "crash, a tool or a read that failed (the default)")
    which.add_argument("--all", dest="all", action="store_true",
                       help="retry every failure, encrypted and corrupt files included "
                            "(after giving a --password, or upgrading Trawl)")
    _add_run_options(p)
    _add_ocr_options(p, switch=True)
    _add_entity_options(p)
    thread_commands.no_threads_option(p)
    _add_neardup_options(p)

    p = command("ocr", cmd_ocr, "OCR the scanned pages and images of a dataset that were not "
                "OCR'd yet (ingested with --no-ocr, or interrupted); resumable.")
    p.add_argument("--dataset", required=True)
    _add_run_options(p)
    _add_ocr_options(p, switch=False)
    _add_entity_options(p)
    _add_neardup_options(p)

    p = command("status", cmd_status, "Counts by state and type, and the latest errors.")
    p.add_argument("--dataset", help="one dataset (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("search", cmd_search, "Search the archive.")
    p.add_argument("query", help='e.g. \'"exact phrase" AND type:pdf\', \'protest*\', '
                   "'email:jane@example.org', 'phone:\"(212) 555-0123\"', "
                   "'person:\"Jane Doe\"', 'entity:ID'")
    p.add_argument("--dataset", action="append", help="restrict to a dataset (repeatable)")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--sort", choices=["relevance", "date_desc", "date_asc"],
                   default="relevance")
    for facet in FACETS:
        if facet != "dataset":
            # A value that cannot match is refused here, not answered with "0 documents".
            checked = {"choices": FACET_VALUES[facet]} if facet in FACET_VALUES else \
                {"type": _year} if facet == "year" else {}
            p.add_argument(f"--{facet}", action="append", help=f"filter on {facet}", **checked)
    p.add_argument("--rows", action="store_true",
                   help="search the rows of tables (CSV files, sheets) instead of documents")
    p.add_argument("--entity", action="append", type=_entity_id, metavar="ID",
                   help="only results that mention this entity (an id of `trawl entities`; "
                        "repeatable: each one must be mentioned)")
    p.add_argument("--tag", action="append", metavar="TAG",
                   help="only what carries this tag (any reader's; repeatable: any of them)")
    p.add_argument("--facets", action="store_true",
                   help="also print the entities the results mention most, by kind")
    p.add_argument("--no-quotes", action="store_true",
                   help="e-mail messages match by what they wrote, not by what they quote "
                        "of earlier messages")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("show", cmd_show, "Show one document, by id or by path.")
    p.add_argument("id_or_path")
    p.add_argument("--dataset", help="the dataset (needed to find a document by its path)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("tables", cmd_tables, "List the tables of a dataset (CSV/TSV files and "
                "workbook sheets) with their rows and typed columns.")
    p.add_argument("--dataset", required=True)
    p.add_argument("--all", action="store_true", help="header-only tables too")
    p.add_argument("--json", action="store_true", help="print JSON")

    command("reindex", cmd_reindex, "Rebuild the search index from the catalog (after an "
            "upgrade that changed the index, or to repair it).")

    p = command("jobs", cmd_jobs, "Background jobs asked for from the web (a dataset made "
                "public, ...), newest first, with their state and progress.")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("serve", cmd_serve, "Serve the search website and its JSON API.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--proxy", metavar="ADDRESS",
                   help="a reverse proxy (TLS) in front: trust its X-Forwarded-For/-Proto")
    p.add_argument("--max-active", type=int, metavar="N",
                   help="requests at work at once per server process (default 16); more "
                        "wait up to 5 s, and past 64 waiting they get 503 with Retry-After")
    p.add_argument("--workers", type=_positive, metavar="N",
                   help="server processes sharing the port (default: one per core)")
    access_commands.register(sub, command)
    audit_commands.register(sub, command)
    entity_commands.register(command, _run, _add_run_options)
    thread_commands.register(command, _run, _add_run_options)
    neardup_commands.register(command, _run, _add_run_options)
    backup_commands.register(command)
    xref_commands.register(command)
    export_commands.register(command)
    annotation_commands.register(command)
    saved_commands.register(command)
    return parser


def _year(value: str) -> str:
    if value == UNKNOWN_YEAR:  # the documents without a date
        return value
    if len(value) != 4 or not value.isascii() or not value.isdigit():
        raise argparse.ArgumentTypeError(f"a year has four digits (2020), not {value!r}")
    return value


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                   help="worker processes (default: one per core)")
    p.add_argument("--password", action="append", default=[],
                   help="a password to try on encrypted files (repeatable; visible in `ps`: "
                        "prefer --password-file)")
    p.add_argument("--password-file", type=Path, action="append", default=[],
                   metavar="FILE", help="passwords to try, one per line (repeatable)")
    p.add_argument("--timeout", type=float, default=900.0,
                   help="seconds one file may take (default 900)")
    p.add_argument("--memory-limit", type=int, default=3072,
                   help="MB of memory one worker may use (default 3072)")
    p.add_argument("--quiet", action="store_true", help="no progress output")


def _add_ocr_options(p: argparse.ArgumentParser, switch: bool) -> None:
    # Remembered per dataset: a later run without them keeps what was last given.
    if switch:
        p.add_argument("--no-ocr", dest="ocr", action="store_false", default=None,
                       help="do not OCR scanned pages and images now (run `trawl ocr` later); "
                            "remembered for the dataset")
        p.add_argument("--ocr", dest="ocr", action="store_true",
                       help="OCR again in the runs of a dataset that had --no-ocr")
    p.add_argument("--ocr-languages", metavar="LANGS",
                   help="Tesseract languages, e.g. eng+fra (the default) or eng+deu; "
                        "remembered for the dataset")
    p.add_argument("--ocr-timeout", type=float, default=120.0,
                   help="seconds one page may take to OCR (default 120)")


def _add_entity_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-entities", dest="entities", action="store_false", default=True,
                   help="do not look for e-mails, phones, URLs... in this run (run `trawl "
                        "entities extract` later)")
    entity_commands.phone_region_option(p)


def _add_neardup_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-neardup", dest="neardup", action="store_false", default=True,
                   help="do not look for near-copies of documents in this run (run `trawl "
                        "neardup` later)")
    neardup_commands.threshold_option(p)


def _ingester(args: argparse.Namespace):  # noqa: ANN202 (imports the ingestion layer lazily)
    from trawl.ingestion.pipeline import Ingester, IngestOptions
    from trawl.ingestion.scratch import use_scratch_in

    data = DataDir.open(args.data_dir)
    if use_scratch_in(data.tmp_dir) is None:  # before the workers start (their socket too)
        print(f"trawl: {data.root} is too long a path for the workers' socket: temporary "
              "files go to the system's temporary folder", file=sys.stderr)
    options = IngestOptions(workers=args.workers, timeout_s=args.timeout,
                            memory_limit=args.memory_limit * 1024 * 1024,
                            passwords=_passwords(args), quiet=args.quiet,
                            ocr=getattr(args, "ocr", None),
                            ocr_languages=getattr(args, "ocr_languages", None),
                            ocr_timeout_s=getattr(args, "ocr_timeout", 120.0),
                            entities=getattr(args, "entities", True),
                            phone_region=getattr(args, "phone_region", None),
                            threads=getattr(args, "threads", True),
                            neardup=getattr(args, "neardup", True),
                            neardup_threshold=getattr(args, "neardup_threshold", None))
    return Ingester(data, args.dataset, options)


def cmd_ingest(args: argparse.Namespace) -> int:
    if not args.path.exists():
        raise NotFound(f"{args.path} does not exist")
    return _run(args, lambda ingester: ingester.ingest(args.path))


def cmd_retry(args: argparse.Namespace) -> int:
    return _run(args, lambda ingester: ingester.retry_failed(retryable_only=not args.all))


def cmd_ocr(args: argparse.Namespace) -> int:
    return _run(args, lambda ingester: ingester.run_ocr(), reads_files=False)


def _run(args: argparse.Namespace, step: Any, reads_files: bool = True) -> int:
    """Open the dataset's ingester, run one step of it, always close, print the summary;
    then, if the dataset is public, bring its redacted view up to date with the new data."""
    ingester = _ingester(args)
    try:
        summary = step(ingester)
    finally:
        ingester.close()
    _print_retry(summary, getattr(args, "all", False))
    _print_summary(summary, reads_files)
    _refresh_public_views(ingester.data, [args.dataset])
    return 0


def _print_retry(summary: Any, everything: bool) -> None:
    """What `trawl retry` put back in the queue, and what it left, by code."""
    if summary.retried is None:
        return
    print(f"{summary.dataset}: {_files(summary.retried)} retried", file=sys.stderr)
    if summary.not_retried:
        left = ", ".join(f"{code} {n}" for code, n in summary.not_retried)
        # --all leaves only folders that could not be listed: a new ingest walks them again.
        hint = "`trawl ingest` the folder again" if everything else \
            "`trawl retry --all` retries them too"
        print(f"{summary.dataset}: {_files(sum(n for _, n in summary.not_retried))} left as "
              f"they were ({left}); {hint}", file=sys.stderr)


def _files(n: int) -> str:
    return counted(n, "failed file")


def _passwords(args: argparse.Namespace) -> tuple[str, ...]:
    """--password values, then the lines of each --password-file (a file, unlike an argument,
    is not shown to every local user by `ps`); blank lines are not passwords."""
    found = list(args.password)
    for path in args.password_file:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise BadRequest(f"cannot read the password file {path}: {exc}") from None
        found += [line.rstrip("\r") for line in text.split("\n") if line.strip()]
    return tuple(dict.fromkeys(found))


def _existing_data(args: argparse.Namespace) -> DataDir:
    """The data directory named by --data-dir (or TRAWL_DATA), which must hold a catalog."""
    data = DataDir.open(args.data_dir, create=False)
    if not data.exists():
        raise NotFound(f"no Trawl data in {data.root}")
    return data


def _print_summary(summary: Any, reads_files: bool = True) -> None:
    c = summary.counts
    rate = summary.files_processed / summary.seconds if summary.seconds else 0
    # `trawl ocr` and `trawl entities extract` read no file: their own lines say what they did.
    processed = f" ({counted(summary.files_processed, 'file')}, " \
        f"{summary.bytes_processed / 1e6:.1f} MB processed in {summary.seconds:.1f} s, " \
        f"{rate:.1f} files/s)" if reads_files else ""
    print(f"{summary.dataset}: {c['indexed']} indexed, {c['failed']} failed, "
          f"{c['skipped']} skipped, {c['pending']} pending{processed}", file=sys.stderr)
    ocr = getattr(summary, "ocr", None)
    if ocr is not None and ocr.pages:
        print(f"{summary.dataset}: OCR of {counted(ocr.documents, 'document')}: "
              f"{counted(ocr.pages_read, 'page')} read ({ocr.pages_cached} from the cache), "
              f"{ocr.pages_failed} failed, "
              f"{ocr.pages_skipped} skipped in {ocr.seconds:.1f} s "
              f"({ocr.pages_per_s:.2f} pages/s, {ocr.cpu_seconds:.1f} CPU s)", file=sys.stderr)
    threads = getattr(summary, "threads", None)
    if threads is not None and (threads.messages or threads.rows or threads.taken_apart):
        rows = f" and {counted(threads.rows, 'bulk-mail row')}" if threads.rows else ""
        print(f"{summary.dataset}: threads: {counted(threads.messages, 'message')}{rows} "
              f"threaded ({threads.merges} merges); {counted(threads.threads, 'thread')} in the "
              f"dataset ({threads.seconds:.1f} s)", file=sys.stderr)
    found = getattr(summary, "entities", None)
    if found is not None and (found.documents or found.tables or found.forgotten):
        entities = counted(found.entities, "entity", "entities")
        print(f"{summary.dataset}: entities: {counted(found.documents, 'document')} and "
              f"{counted(found.rows, 'table row')} read, "
              f"{counted(found.mentions, 'mention')} found; {entities} in the dataset "
              f"({found.seconds:.1f} s, {found.words_per_s:,.0f} words/s, "
              f"{found.cpu_seconds:.1f} CPU s"
              + (f", {found.failed} failed" if found.failed else "") + ")", file=sys.stderr)
    if found is not None and (found.reindexed_documents or found.reindexed_rows):
        # The search entries whose entities changed, written again (facets, filters).
        print(f"{summary.dataset}: entities: index entries of "
              f"{counted(found.reindexed_documents, 'document')} and "
              f"{counted(found.reindexed_rows, 'table row')} written again with their "
              f"entities in {found.index_seconds:.1f} s", file=sys.stderr)
    _print_neardup(summary)


def _print_neardup(summary: Any) -> None:
    found = getattr(summary, "neardup", None)
    if found is not None and (found.documents or found.forgotten):
        print(f"{summary.dataset}: near-duplicates: {counted(found.documents, 'document')} "
              f"read ({found.signed} with enough text), {counted(found.pairs, 'pair')} and "
              f"{counted(found.page_pairs, 'page pair')} found; "
              f"{counted(found.clusters, 'cluster')} in the dataset ({found.seconds:.1f} s"
              + (f", {found.failed} failed" if found.failed else "") + ")", file=sys.stderr)


def cmd_status(args: argparse.Namespace) -> int:
    data = _existing_data(args)
    catalog = Catalog(data.catalog_path, readonly=True)
    datasets = [catalog.dataset(args.dataset)] if args.dataset else catalog.datasets()
    if args.dataset and datasets[0] is None:
        raise NotFound(f"no dataset named {args.dataset!r}")
    reports = [_status_report(catalog, ds) for ds in datasets if ds is not None]
    if args.json:
        print(json.dumps(reports[0] if args.dataset else {"datasets": reports}, indent=2))
        return 0
    for r in reports:
        print(f"{r['dataset']}  ({r['root']})")
        print(f"  total {r['total']}: indexed {r['indexed']}, failed {r['failed']}, "
              f"skipped {r['skipped']}, pending {r['pending']}")
        print(f"  {r['unique_contents']} unique contents, {r['bytes'] / 1e6:.1f} MB")
        if r["ocr_pending"]["documents"]:
            print(f"  OCR pending: {counted(r['ocr_pending']['documents'], 'document')}, "
                  f"{counted(r['ocr_pending']['pages'], 'page')} (run `trawl ocr --dataset "
                  f"{r['dataset']}`)")
        for family, states in r["by_type"].items():
            print(f"    {family:<14} " + ", ".join(f"{k} {v}" for k, v in states.items()))
        for status, key in (("failed", "failures_by_code"), ("skipped", "skipped_by_code")):
            if r[key]:
                print(f"  {status} by code:")
            for g in r[key]:
                note = "  (retried by `trawl retry --failed`)" \
                    if status == "failed" and g["retryable"] else ""
                print(f"    {g['code']:<14} {g['count']}{note}")
        if r["latest_errors"]:
            print("  latest errors:")
            for e in r["latest_errors"]:
                print(f"    {e['path']}: {e['error']}")
    return 0


def _status_report(catalog: Catalog, ds: Any) -> dict[str, Any]:
    counts = catalog.counts_by_status(ds.id)
    totals = catalog.totals(ds.id)
    return {
        "dataset": ds.name,
        "root": ds.root,
        "total": sum(counts.values()),
        **counts,
        "unique_contents": totals["contents"],
        "bytes": totals["bytes"],
        "ocr_pending": catalog.ocr_backlog(ds.id),
        "by_type": catalog.counts_by_family(ds.id),
        "failures_by_code": _by_code(catalog, ds.id, "failed"),
        "skipped_by_code": _by_code(catalog, ds.id, "skipped"),
        "failures_by_reason": [{"reason": r, "count": n}
                               for r, n in catalog.errors_by_reason(ds.id)],
        "latest_errors": [{"path": f.path, "error": f.error,
                           "code": f.error_code or UNKNOWN}
                          for f in catalog.latest_errors(ds.id)],
    }


def _by_code(catalog: Catalog, dataset_id: int, status: str) -> list[dict[str, Any]]:
    return [{"code": code, "retryable": is_retryable(code), "count": n}
            for code, n in catalog.errors_by_code(dataset_id, status)]


def cmd_search(args: argparse.Namespace) -> int:
    from trawl.index.query_syntax import query_problems
    from trawl.search.service import Archive

    filters = {f: getattr(args, f) for f in FACETS if f != "dataset" and getattr(args, f)}
    if args.entity:
        filters["entity"] = args.entity
    if args.tag:  # search/annotations.py: the ids the tags name
        filters["tag"] = args.tag
    for name in filters:  # a filter of the other kind of record would match nothing
        if args.rows and name not in (*ROW_FACETS, "entity", "tag"):
            raise BadRequest(f"--{name} filters documents, not rows of tables (rows have "
                             + ", ".join(f"--{f}" for f in ROW_FACETS) + ")")
        if not args.rows and name == "table":
            raise BadRequest("--table filters rows of tables: add --rows")
    data = DataDir.open(args.data_dir, create=False)
    archive = Archive(data)
    record = "rows" if args.rows else "documents"
    result = archive.search(SearchQuery(text=args.query, datasets=args.dataset,
                                        filters=filters, sort=args.sort, offset=args.offset,
                                        limit=args.limit, record=record,
                                        no_quotes=args.no_quotes,
                                        facets=ENTITY_KINDS if args.facets else ()))
    _audit_search(data, args.query, {**({"dataset": args.dataset} if args.dataset else {}),
                                     **filters}, record, result.total)
    if args.json:
        print(json.dumps({
            "total": result.total,
            "relaxed": result.relaxed,
            "warnings": result.warnings,
            "hits": [{"id": h.id, "dataset": h.dataset, "path": h.path, "title": h.title,
                      "type": h.family, "snippet": h.snippet.text, "page": h.page,
                      "pages": h.pages, "score": h.score, "record": h.record,
                      "table_id": h.table_id, "row": h.row} for h in result.hits],
            **({"facets": {kind: [e.as_json() for e in values]
                           for kind, values in result.entity_facets.items()}}
               if args.facets else {}),
        }, indent=2, ensure_ascii=False))
        return 0
    for problem in query_problems(result.warnings):  # else `"unclosed` says only 0 documents
        print(f"trawl: warning: {problem}", file=sys.stderr)
    note = " (no document has every word; showing documents with some)" if result.relaxed \
        else ""
    print(counted(result.total, "row" if args.rows else "document") + note)
    for h in result.hits:
        if h.record == "row":  # a table's row: its table and number (trawl tables lists them)
            print(f"{h.id}  {h.dataset}:{h.title} row {h.row}")
            continue
        page = f"  p. {h.page}" if h.page else ""
        print(f"\n{h.id}  {h.dataset}:{h.path}{page}")
        if h.title:
            print(f"  {h.title}")
        print("  " + " ".join(h.snippet.marked().split()))
    _print_entity_facets(result.entity_facets)
    return 0


def _print_entity_facets(facets: dict[str, list[Any]]) -> None:
    """The entities the results mention most, by kind (`--facets`)."""
    shown = {kind: values for kind, values in facets.items() if values}
    if shown:
        print("\nentities of these results (results that mention each):")
    for kind, values in shown.items():
        print(f"  {kind}:")
        for e in values:
            print(f"    {e.id:>7}  {e.value}  ({e.count})")


def _entity_id(value: str) -> str:
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise argparse.ArgumentTypeError(f"an entity's id is a whole number, not {value!r}")
    return value


def _audit_search(data: DataDir, query: str, filters: dict[str, list[str]], record: str,
                  total: int) -> None:
    """The audit log entry the web makes of a search (web/api.py audit_search), by
    `cli:<os user>`. Someone at the terminal can read the data directory's files anyway, so
    a log that cannot be written (a read-only copy) is a warning here, not a refusal."""
    from trawl.access.audit import AuditError, AuditLog

    try:
        with AuditLog(data.audit_path, data.secret_key_path) as log:
            log.record(audit_commands.cli_actor(), "search", target=query[:500] or None,
                       detail={"filters": filters, "record": record, "total": total})
    except (AuditError, OSError) as exc:
        print(f"trawl: warning: the search is not in the audit log: {exc}", file=sys.stderr)


def cmd_show(args: argparse.Namespace) -> int:
    from trawl.search.service import Archive

    archive = Archive(DataDir.open(args.data_dir, create=False))
    view = archive.find(args.id_or_path, args.dataset)
    doc = archive.as_json(view)
    if args.json:
        print(json.dumps(doc, indent=2, ensure_ascii=False, default=str))
        return 0
    for key in ("id", "dataset", "path", "mime", "status", "error", "title", "date",
                "language", "page_count"):
        if doc.get(key) is not None:
            print(f"{key:>10}: {doc[key]}")
    for extra in doc["paths"][1:]:
        print(f"{'also at':>10}: {extra}")
    for child in doc["children"]:
        print(f"{'child':>10}: {child['path']} [{child['status']}]")
    print()
    print(doc["text"] or "(no text)")
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    from trawl.storage.tables import TableStore

    data = _existing_data(args)
    catalog = Catalog(data.catalog_path, readonly=True)
    try:
        if catalog.dataset(args.dataset) is None:
            raise NotFound(f"no dataset named {args.dataset!r}")
    finally:
        catalog.close()
    store = TableStore.open_readonly(data.tables_path)
    infos = store.tables(args.dataset, include_empty=args.all) if store else []
    if args.json:
        print(json.dumps({"dataset": args.dataset, "tables": [t.as_json() for t in infos]},
                         indent=2, ensure_ascii=False))
        return 0
    for t in infos:
        note = " (header only)" if t.header_only else f" error: {t.error}" if t.error else ""
        print(f"{t.id:>6}  {t.name}  {t.source}  {counted(t.row_count, 'row')}{note}")
        print("        " + ", ".join(f"{c.sql}:{c.type}" for c in t.columns))
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    from trawl.derive.documents import rebuild_index

    data = _existing_data(args)
    print(f"{counted(rebuild_index(data), 'document')} indexed", file=sys.stderr)
    _refresh_public_views(data)
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:
    data = _existing_data(args)
    catalog = Catalog(data.catalog_path, readonly=True)
    try:
        jobs = catalog.jobs(limit=max(1, args.limit))
    finally:
        catalog.close()
    if args.json:
        print(json.dumps({"jobs": [j.as_json() for j in jobs]}, indent=2))
        return 0
    for job in jobs:
        progress = f" {job.done}/{job.total}" if job.total is not None else ""
        what = ", ".join(f"{k} {v}" for k, v in job.detail.items())
        print(f"{job.id:>5}  {job.state:<11}{progress}  {job.kind} {job.dataset or ''}: {what}"
              f"  (by {job.requested_by or '?'})" + (f"\n       {job.error}" if job.error
                                                      else ""))
    return 0


def _refresh_public_views(data: DataDir, names: list[str] | None = None) -> None:
    """A public dataset's redacted view follows its data (derive/redacted_view.py)."""
    from trawl.derive.redacted_view import refresh_public_views

    catalog = Catalog(data.catalog_path)
    try:
        rebuilt = refresh_public_views(data, catalog, names)
    finally:
        catalog.close()
    if rebuilt:
        print(f"redacted views rebuilt: {counted(rebuilt, 'public dataset')}", file=sys.stderr)


def cmd_serve(args: argparse.Namespace) -> int:
    from trawl.web.server import serve  # the web layer is only imported when serving

    return serve(DataDir.open(args.data_dir, create=False), host=args.host, port=args.port,
                 proxy=args.proxy, max_active=args.max_active, workers=args.workers)


if __name__ == "__main__":
    sys.exit(main())
