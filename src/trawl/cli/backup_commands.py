"""`trawl backup`, `trawl restore` and `trawl verify`.

    trawl backup DEST [--json] [--quiet]        a consistent copy, while `trawl serve` runs
    trawl restore BACKUP --data-dir NEW         checked, into an empty folder
    trawl verify [--no-originals] [--backup DIR] [--json] [--quiet]
                                                exit 0 when all is sound, 1 naming what is not

The backup holds the index's writer lock while it copies the databases and the index (so no
ingestion, reindex or publishing job runs in between and they match), then lets it go for the
blobs (storage/backup.py says why that is safe). Each is recorded in the audit log.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from trawl.cli.audit_commands import cli_actor
from trawl.cli.groups import Command
from trawl.cli.wording import counted
from trawl.errors import Busy, NotFound
from trawl.storage import backup as backups
from trawl.storage import integrity
from trawl.storage.datadir import DataDir

# The least memory a Tantivy writer accepts: this one only holds the lock.
LOCK_HEAP_MB = 16


def register(command: Command) -> None:
    p = command("backup", cmd_backup, "Copy the archive (databases, index, blobs, key) into "
                "DEST, consistently, while it is served; into an earlier backup only what is "
                "new is copied.")
    p.add_argument("dest", type=Path, help="a new folder, or an earlier backup")
    _output_options(p)
    p = command("restore", cmd_restore, "Check a backup and bring it back into an empty data "
                "folder (--data-dir).")
    p.add_argument("backup", type=Path, help="a folder made by `trawl backup`")
    _output_options(p)
    p = command("verify", cmd_verify, "Check every database, blob and original against "
                "its SHA-256, and the audit chain; exit 1 naming what is wrong.")
    p.add_argument("--no-originals", dest="originals", action="store_false",
                   help="do not re-read the dumps' original files")
    p.add_argument("--backup", type=Path, metavar="DIR",
                   help="check a backup folder against its manifest instead")
    _output_options(p)


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")


# -- handlers ---------------------------------------------------------------------------------
def cmd_backup(args: argparse.Namespace) -> int:
    data = _existing(args)
    dest = args.dest.resolve()
    if dest == data.root or data.root in dest.parents:
        raise Busy(f"{dest} is inside the data folder: back up somewhere else")
    with _index_locked(data):
        report, hashes = backups.snapshot(data, dest)
    report = backups.finish(data, dest, report, hashes, _progress(args, "blobs"))
    _audit(data, "backup", str(dest), report.as_json())
    if args.json:
        print(json.dumps({"backup": str(dest), **report.as_json()}, indent=2))
    else:
        print(f"backed up {data.root} to {dest}: {counted(len(report.databases), 'database')}, "
              f"{counted(report.index_files, 'index file')}, {counted(report.blobs, 'blob')} "
              f"({report.blobs_copied} copied, {report.bytes_copied / 1e6:.1f} MB) in "
              f"{report.seconds:.1f} s")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    data = DataDir.open(args.data_dir)
    manifest = backups.restore(args.backup.resolve(), data, _progress(args, "checking blobs"))
    _audit(data, "restore", str(args.backup.resolve()), {"made_at": manifest["made_at"]})
    if args.json:
        print(json.dumps({"restored": str(data.root), "made_at": manifest["made_at"],
                          "files": len(manifest["files"]), "blobs": manifest["blobs"]},
                         indent=2))
    else:
        print(f"restored the backup of {manifest['made_at']} into {data.root}: "
              f"{counted(len(manifest['files']), 'file')} and "
              f"{counted(manifest['blobs'], 'blob')}, each checked against its SHA-256")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    if args.backup is not None:
        return _verify_backup(args)
    data = _existing(args)
    report = integrity.check(data, originals=args.originals,
                             progress=None if args.quiet else _stage_progress)
    audit_ok, audit_reason, audit_checked = _audit_chain(data)
    ok = report.ok and audit_ok
    if args.json:
        print(json.dumps({**report.as_json(), "ok": ok,
                          "audit": {"ok": audit_ok, "checked": audit_checked,
                                    "reason": audit_reason}}, indent=2, ensure_ascii=False))
        return 0 if ok else 1
    for finding in report.findings:
        print(f"{finding.what}: {finding.where}: {finding.reason}")
    if not audit_ok:
        print(f"audit log: {audit_reason}")
    print(("ok: " if ok else "NOT OK: ") +
          f"{counted(report.databases, 'database')}, {counted(report.blobs, 'blob')}, "
          f"{counted(report.originals, 'original')} and "
          f"{counted(audit_checked, 'audit entry', 'audit entries')} checked"
          + ("" if ok else f"; {counted(len(report.findings) + (not audit_ok), 'problem')}"))
    return 0 if ok else 1


def _verify_backup(args: argparse.Namespace) -> int:
    manifest, problems = backups.check_backup(args.backup.resolve(),
                                              _progress(args, "checking blobs"))
    if args.json:
        print(json.dumps({"backup": str(args.backup.resolve()), "made_at": manifest["made_at"],
                          "ok": not problems, "problems": [p.as_json() for p in problems]},
                         indent=2))
        return 0 if not problems else 1
    for problem in problems:
        print(f"{problem.where}: {problem.reason}")
    state = "ok" if not problems else "NOT OK"
    print(f"{state}: the backup of {manifest['made_at']}, {counted(len(manifest['files']), 'file')}"
          f" and {counted(manifest['blobs'], 'blob')}"
          + ("" if not problems else f"; {counted(len(problems), 'problem')}"))
    return 0 if not problems else 1


# -- helpers ------------------------------------------------------------------------------------
def _existing(args: argparse.Namespace) -> DataDir:
    data = DataDir.open(args.data_dir, create=False)
    if not data.catalog_path.exists():
        raise NotFound(f"no Trawl data in {data.root}")
    return data


class _index_locked:
    """Holds the index's writer lock (no other writer in any process) for the snapshot."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self.index = None

    def __enter__(self) -> None:
        from trawl.index.tantivy_backend import TantivyIndex

        if not self.data.index_dir.is_dir():
            return
        try:
            self.index = TantivyIndex(self.data.index_dir, writable=True, heap_mb=LOCK_HEAP_MB)
        except Busy:
            raise Busy("an ingestion, a reindex or a publishing job is writing the archive: "
                       "back up when it is done, so that the copy is consistent") from None

    def __exit__(self, *exc: object) -> None:
        if self.index is not None:
            self.index.close()


def _audit_chain(data: DataDir) -> tuple[bool, str, int]:
    from trawl.access.audit import AuditError, AuditLog

    if not data.audit_path.exists():
        return True, "no audit log yet", 0
    try:
        with AuditLog(data.audit_path, data.secret_key_path) as log:
            result = log.verify()
    except (AuditError, OSError) as exc:
        return False, str(exc), 0
    return result.ok, result.reason, result.checked


def _audit(data: DataDir, action: str, target: str, detail: dict) -> None:
    from trawl.access.audit import AuditError, AuditLog

    try:
        with AuditLog(data.audit_path, data.secret_key_path) as log:
            log.record(cli_actor(), action, target=target, detail=detail)
    except (AuditError, OSError) as exc:
        print(f"trawl: warning: this {action} is not in the audit log: {exc}", file=sys.stderr)


def _progress(args: argparse.Namespace, what: str):
    if args.quiet or args.json:
        return None
    return lambda done, total: _stage_progress(what, done, total)


def _stage_progress(what: str, done: int, total: int) -> None:
    if done == total or done % 500 == 0:
        end = "\n" if done == total else "\r"
        print(f"{what}: {done}/{total}", end=end, file=sys.stderr, flush=True)
