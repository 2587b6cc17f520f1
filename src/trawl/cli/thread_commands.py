"""`trawl threads` and `trawl thread`: a dataset's e-mail conversations.

    trawl threads --dataset NAME [--participant ADDR] [--limit N] [--json]
    trawl threads build --dataset NAME [--quiet]
    trawl thread ID [--json]
    trawl correspondents --dataset NAME [--by address|domain] [--from DATE] [--to DATE]
                         [--source S] [--sort KEY] [--limit N] [--json]

The listing and the conversation read through search/threads.py over the unscoped archive
(the data folder's owner at the terminal), as the web does over a caller's, and are recorded
in the audit log as `cli:<os user>`, as `trawl search` is. `build` runs the thread stage of
`trawl ingest` (ingestion/thread_stage.py) through the runner main.py hands over.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from trawl.cli.entity_commands import _audit, _positive, stage_command
from trawl.cli.groups import Command
from trawl.cli.wording import counted
from trawl.errors import BadRequest
from trawl.storage.correspondents import BY, SORTS
from trawl.storage.datadir import DataDir

Runner = Callable[..., int]  # main._run(args, step, reads_files=...)


def register(command: Command, run: Runner, run_options: Callable[[Any], None]) -> None:
    p = command("threads", cmd_threads, "The e-mail threads of a dataset, the latest first "
                "(id, subject, messages, participants, first and last dates). `trawl threads "
                "build` makes them.")
    p.add_argument("--dataset", help="the dataset (required)")
    p.add_argument("--participant", metavar="ADDR",
                   help="only the threads this e-mail address wrote or received in")
    p.add_argument("--limit", type=_positive, default=50, help="at most N (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")
    stage_command(p, "build", "Thread a dataset's messages now (after `trawl ingest "
                  "--no-threads`); resumable, and only the new messages are read.", run,
                  run_options, lambda ingester: ingester.run_threads())

    p = command("correspondents", cmd_correspondents, "Who wrote to whom in a dataset: "
                "edges (from, to, messages, first, last), the most messages first.")
    p.add_argument("--dataset", help="the dataset (required)")
    p.add_argument("--by", choices=BY, default="address",
                   help="group by address (default) or by domain")
    p.add_argument("--from", dest="start", metavar="DATE",
                   help="only messages of that date or later (YYYY[-MM[-DD]])")
    p.add_argument("--to", dest="end", metavar="DATE",
                   help="only messages of that date or earlier (YYYY[-MM[-DD]])")
    p.add_argument("--source", metavar="S", help="only messages under this top folder")
    p.add_argument("--sort", choices=SORTS, default="messages", help="order of the edges")
    p.add_argument("--limit", type=_positive, default=100, help="at most N (default 100)")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = command("thread", cmd_thread, "One e-mail thread: its messages in order, each with "
                "its sender, recipients, date, attachments and quoted parts.")
    p.add_argument("id")
    p.add_argument("--json", action="store_true", help="print JSON (quoted spans as start "
                   "and end offsets in each message's text)")


def no_threads_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-threads", dest="threads", action="store_false", default=True,
                   help="do not thread e-mail messages in this run (run `trawl threads "
                        "build` later)")


def _reader(args: argparse.Namespace):  # noqa: ANN202 (the read side, imported lazily)
    from trawl.search.service import Archive
    from trawl.search.threads import ThreadReader

    data = DataDir.open(args.data_dir, create=False)
    return data, ThreadReader(Archive(data))


def cmd_threads(args: argparse.Namespace) -> int:
    if not args.dataset:
        raise BadRequest("--dataset is required (trawl threads --dataset NAME)")
    data, threads = _reader(args)
    dataset = threads.archive.dataset(args.dataset)
    page = threads.listing(dataset, args.participant, 0, args.limit)
    _audit(data, "search", dataset.name, args.participant,
           {"record": "threads", "total": page.total})
    if args.json:
        print(json.dumps({"dataset": dataset.name, "total": page.total,
                          "threads": [t.as_json() for t in page.threads]},
                         indent=2, ensure_ascii=False))
        return 0
    print(f"{dataset.name}: {counted(page.total, 'thread')}")
    for t in page.threads:
        people = ", ".join(t.participants[:4]) + (
            f" and {t.participant_count - 4} more" if t.participant_count > 4 else "")
        print(f"{t.id}  {t.messages:>4}  {(t.first or '')[:10]} .. {(t.last or '')[:10]}  "
              f"{t.subject or '(no subject)'}  [{people}]")
    return 0


def cmd_thread(args: argparse.Namespace) -> int:
    data, threads = _reader(args)
    detail = threads.thread(args.id)
    _audit(data, "view", detail.dataset.name, f"thread:{detail.summary.id}",
           {"messages": len(detail.messages)})
    if args.json:
        print(json.dumps(detail.as_json(), indent=2, ensure_ascii=False))
        return 0
    s = detail.summary
    print(f"{s.id}  {s.subject or '(no subject)'}")
    print(f"  {counted(s.messages, 'message')}, {s.first or '?'} .. {s.last or '?'}")
    more = s.participant_count - len(s.participants)
    print("  participants: " + ", ".join(s.participants)
          + (f" and {more} more" if more > 0 else ""))
    for m in detail.messages:
        meta = m.as_json()
        people = meta["to"] + meta["cc"]
        more = meta.get("recipients", len(people)) - len(people)
        print(f"\n  {meta['date'] or '(undated)'}  {meta['from'] or '?'}  ->  "
              + ", ".join(people) + (f" and {more} more" if more > 0 else ""))
        print(f"  {meta['subject'] or ''}  ({m.id}"
              + (f", bulk mail of table {meta['table_name']}" if meta["record"] == "row"
                 else "") + ")")
        own = sum(e - s for s, e in m.quoted)
        print(f"  {len(m.text) - own} characters written, {own} quoted"
              + (f"; {counted(len(m.attachments), 'attachment')}" if m.attachments else ""))
    return 0


def cmd_correspondents(args: argparse.Namespace) -> int:
    from trawl.search.correspondents import CorrespondentQuery, CorrespondentReader

    if not args.dataset:
        raise BadRequest("--dataset is required (trawl correspondents --dataset NAME)")
    data, threads = _reader(args)
    dataset = threads.archive.dataset(args.dataset)
    found = CorrespondentReader(threads.archive).edges(dataset, CorrespondentQuery(
        args.by, args.start, args.end, args.source, args.sort, args.limit))
    _audit(data, "search", dataset.name, args.source,
           {"record": "correspondents", "by": found.by, "total": found.total})
    if args.json:
        print(json.dumps(found.as_json(), indent=2, ensure_ascii=False))
        return 0
    print(f"{dataset.name}: {counted(found.total, 'edge')} by {found.by}")
    for e in found.edges:
        print(f"{e.messages:>6}  {(e.first or '')[:10]} .. {(e.last or '')[:10]}  "
              f"{e.sender} -> {e.recipient}")
    return 0
