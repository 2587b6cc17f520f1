"""`trawl audit ...`: show, export, verify, anchor and prune the audit log (access/audit.py).

    trawl audit show [--since DATE] [--until DATE] [--user U] [--action A] [--dataset D]
                     [--limit N] [--offset N] [--json]
    trawl audit export [--format jsonl|csv] [--output FILE] [filters]
    trawl audit verify [--head ID:MAC]      exit 0 "ok: N entries checked", 1 if tampered with
    trawl audit head                         ID:MAC of the newest entry, to keep elsewhere
    trawl audit retention [DAYS|off]         show or set how long entries are kept
    trawl audit prune                        delete the entries older than the retention

Times are UTC. DATE is ISO 8601 (2024-05-01, 2024-05-01T12:00) or relative (7d, 12h, 30m
ago); a plain date given to --until includes that day. Changes made here are audited as
"cli:<os user>".
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from trawl.access.audit import ACTIONS, EXPORT_FORMATS, AuditEntry, AuditError, AuditLog
from trawl.cli.groups import Command, command_group
from trawl.cli.wording import counted
from trawl.errors import NotFound
from trawl.storage.datadir import DataDir

_RELATIVE = re.compile(r"(\d+)([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def register(sub: Any, command: Command) -> None:
    """Add `trawl audit` and its sub-commands. `command` is build_parser's helper (it adds the
    parser to `sub`, the top-level sub-commands, with --data-dir)."""
    leaf = command_group(command, "audit", "The audit log: who searched, viewed, downloaded "
                         "what, logins and permission changes; hash-chained so tampering shows.")

    p = leaf("show", cmd_show, "Show entries, newest first.")
    _add_filters(p)
    p.add_argument("--limit", type=int, default=50, help="entries to show (default 50)")
    p.add_argument("--offset", type=int, default=0, help="skip that many newest entries")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = leaf("export", cmd_export, "Export entries, oldest first, with their prev and mac so "
             "that whoever holds secret.key can verify them.")
    _add_filters(p)
    p.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl")
    p.add_argument("--output", help="file to write (created 0600; default: standard output)")

    p = leaf("verify", cmd_verify, "Check the hash chain: exit 0 if intact, 1 naming the "
             "first bad entry.")
    p.add_argument("--head", type=_head_arg, metavar="ID:MAC",
                   help="a head printed earlier by `trawl audit head`: also detects the "
                        "removal of the newest entries")

    leaf("head", cmd_head, "Print ID:MAC of the newest entry; keep it outside this machine "
         "and pass it to `trawl audit verify --head` later.")

    p = leaf("retention", cmd_retention, "Show, or set, how many days entries are kept.")
    p.add_argument("days", nargs="?", type=_days_arg, metavar="DAYS|off",
                   help="a number of days, or off to keep everything")

    leaf("prune", cmd_prune, "Delete the entries older than the retention (a `prune` entry "
         "records it).")


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--since", type=_since_arg, metavar="DATE", help="from this time (UTC)")
    p.add_argument("--until", type=_until_arg, metavar="DATE",
                   help="before this time (UTC; a plain date includes that day)")
    p.add_argument("--user", help="one actor: a user name, anonymous, token:NAME@USER, cli:USER")
    p.add_argument("--action", choices=ACTIONS, metavar="ACTION",
                   help="one action: " + ", ".join(ACTIONS))
    p.add_argument("--dataset", help="one dataset")


# -- argument types --------------------------------------------------------------------------------
def _parse_time(value: str) -> tuple[datetime, bool]:
    """The time, and whether it was a plain date."""
    relative = _RELATIVE.fullmatch(value.strip())
    if relative:
        amount = timedelta(**{_UNITS[relative[2]]: int(relative[1])})
        return datetime.now(UTC) - amount, False
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date (2024-05-01, 2024-05-01T12:00, 7d, 12h)") from None
    plain_date = len(value.strip()) == 10
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment, plain_date


def _since_arg(value: str) -> datetime:
    return _parse_time(value)[0]


def _until_arg(value: str) -> datetime:
    moment, plain_date = _parse_time(value)
    return moment + timedelta(days=1) if plain_date else moment


def _days_arg(value: str) -> int | str:
    if value.lower() == "off":
        return "off"
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"{value!r}: a number of days >= 1, or off")
    return int(value)


def _head_arg(value: str) -> tuple[int, str]:
    ident, _, mac = value.partition(":")
    if not ident.isdigit() or not re.fullmatch(r"[0-9a-f]{64}", mac):
        raise argparse.ArgumentTypeError(f"{value!r} is not ID:MAC as `trawl audit head` "
                                         "prints it")
    return int(ident), mac


# -- commands --------------------------------------------------------------------------------------
def cli_actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no USER variable and no passwd entry (a bare container)
        user = f"uid{os.getuid()}"
    return f"cli:{user}"


def _data_dir(args: argparse.Namespace) -> DataDir:
    data = DataDir.open(args.data_dir, create=False)
    if not data.root.is_dir() or not any(
            p.exists() for p in (data.catalog_path, data.audit_path, data.access_path,
                                 data.secret_key_path)):
        raise NotFound(f"no Trawl data in {data.root}")
    return data


def _with_log(args: argparse.Namespace, body: Callable[[AuditLog], int]) -> int:
    data = _data_dir(args)
    try:
        log = AuditLog(data.audit_path, data.secret_key_path)
    except AuditError as exc:
        print(f"trawl: {exc}", file=sys.stderr)
        return 1
    try:
        return body(log)
    except AuditError as exc:
        print(f"trawl: {exc}", file=sys.stderr)
        return 1
    finally:
        log.close()


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {"since": args.since, "until": args.until, "actor": args.user,
            "action": args.action, "dataset": args.dataset}


def cmd_show(args: argparse.Namespace) -> int:
    def body(log: AuditLog) -> int:
        filters = _filters(args)
        total = log.count(**filters)
        entries = log.entries(**filters, limit=args.limit, offset=args.offset)
        if args.json:
            print(json.dumps({"total": total, "entries": [e.as_json() for e in entries]},
                             indent=2, ensure_ascii=False))
            return 0
        print(_table(entries) if entries else "no entries")
        if total > len(entries):
            print(f"{args.offset + 1}-{args.offset + len(entries)} of {total}, newest first "
                  f"(--offset {args.offset + len(entries)} for older)", file=sys.stderr)
        return 0
    return _with_log(args, body)


def _table(entries: list[AuditEntry]) -> str:
    headers = ("id", "at (UTC)", "actor", "action", "dataset", "target", "ip", "detail")
    rows = [(str(e.id), e.at[:19].replace("T", " "), e.actor, e.action, e.dataset or "",
             _clip(e.target or "", 40), e.ip or "",
             _clip(json.dumps(e.detail, ensure_ascii=False) if e.detail else "", 60))
            for e in entries]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for row in rows:
        cells = [row[0].rjust(widths[0])] + [c.ljust(w) for c, w in
                                             zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())  # a query with newlines stays on its row
    return text if len(text) <= width else text[:width - 1] + "…"


def cmd_export(args: argparse.Namespace) -> int:
    def body(log: AuditLog) -> int:
        filters = _filters(args)
        if args.output:
            # 0600: an export is as sensitive as the log (who read what).
            fd = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with open(fd, "w", encoding="utf-8", newline="") as out:
                n = log.export(out, args.format, **filters)
            print(f"{counted(n, 'entry', 'entries')} written to {args.output}",
                  file=sys.stderr)
        else:
            n = log.export(sys.stdout, args.format, **filters)
        given = {k: (v.isoformat() if isinstance(v, datetime) else v)
                 for k, v in filters.items() if v is not None}
        log.record(cli_actor(), "export", target="audit_log",
                   detail={"format": args.format, "entries": n, "filters": given,
                           "output": args.output})
        return 0
    return _with_log(args, body)


def cmd_verify(args: argparse.Namespace) -> int:
    data = _data_dir(args)
    if data.secret_key_path.exists() and not data.audit_path.exists():
        print(f"FAILED: {data.audit_path} is missing (its key exists: it was deleted)")
        return 1

    def body(log: AuditLog) -> int:
        result = log.verify(head=args.head)
        if result.ok:
            print(f"ok: {counted(result.checked, 'entry', 'entries')} checked")
            return 0
        where = f"entry #{result.first_bad}: " if result.first_bad is not None else ""
        print(f"FAILED at {where}{result.reason} "
              f"({counted(result.checked, 'entry', 'entries')} checked before)")
        return 1
    return _with_log(args, body)


def cmd_head(args: argparse.Namespace) -> int:
    def body(log: AuditLog) -> int:
        ident, mac = log.head()
        print(f"{ident}:{mac}")
        return 0
    return _with_log(args, body)


def cmd_retention(args: argparse.Namespace) -> int:
    def body(log: AuditLog) -> int:
        if args.days is not None:
            log.set_retention(None if args.days == "off" else args.days, cli_actor())
        days = log.retention_days()
        if days is None:
            print("retention: off (entries are kept forever)")
        else:
            print(f"retention: {counted(days, 'day')} (`trawl audit prune` removes older "
                  "entries)")
        return 0
    return _with_log(args, body)


def cmd_prune(args: argparse.Namespace) -> int:
    def body(log: AuditLog) -> int:
        days = log.retention_days()
        if days is None:
            print("retention is off: nothing pruned (set it with `trawl audit retention "
                  "DAYS`)")
            return 0
        removed = log.prune(cli_actor())
        print(f"{counted(removed, 'entry', 'entries')} older than {counted(days, 'day')} "
              "removed")
        return 0
    return _with_log(args, body)
