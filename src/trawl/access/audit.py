"""The audit log: who searched, viewed, downloaded or exported what, who logged in, who changed
whose permissions; when, and from where. Append-only, and chained so that tampering shows.

Design
------
* The log's file, its connections, its write transaction and its append-only triggers are
  storage/audit_log.py's (why WAL, why one short ``BEGIN IMMEDIATE`` per entry, how ``prune``
  passes the DELETE trigger: see there). This module decides what goes in and what comes out:
  the fields, the chain, retention and pruning, exports.
* An entry is ``(id, at, actor, action, dataset, target, detail, ip, prev, mac)``: ``at`` is
  UTC ISO 8601 with microseconds (``2024-05-01T12:00:03.000123Z``, fixed width, so text order
  is time order and a third party reads it without our epoch conventions); ``actor`` is a
  user name, ``anonymous``, ``token:<name>@<user>`` or ``cli:<os user>``; ``target`` the
  document id, table id or query; ``detail`` a JSON object; ``ip`` the client's address.
* The hash chain: ``mac = HMAC-SHA256(key, prev || canonical)`` in hex, where ``prev`` is the
  previous entry's mac (``GENESIS``, 64 zeros, for the first entry) and ``canonical`` is
  ``json.dumps({id, at, actor, action, dataset, target, detail, ip}, sort_keys=True,
  separators=(",", ":"), ensure_ascii=False)`` in UTF-8. The id is signed too, so an entry
  cannot be moved; ``prev`` links it to its predecessor, so none can be removed or slipped in.
  An HMAC rather than a bare hash: without the key (``secret.key``, 32 random bytes, 0600)
  nobody can recompute a consistent chain after editing the file. An exported log carries
  ``prev`` and ``mac``, so whoever holds the key re-verifies it (``verify_entries``).
* Appending takes the write transaction, reads the newest (id, mac), signs the new entry
  with it and inserts it: the time is taken inside the lock, so ids and times grow together.
* The log is append-only (triggers refuse UPDATE and DELETE); ``prune()`` is the one way out.
  Triggers stop accidents, not attackers: whoever can write the file can drop them; the chain
  is what catches that.

Retention and pruning
---------------------
``set_retention(days)`` (itself audited) keeps entries ``days`` days; ``prune()`` deletes the
oldest entries older than that (always a prefix of the chain, by id, even if the clock once
went backwards) and appends a ``prune`` entry with ``{"removed", "through_id",
"through_mac"}``. The first remaining entry's ``prev`` is then the mac of an entry that a
signed prune entry says was pruned: verification accepts that start, and only that start.
Before deleting, prune verifies the entries it is about to remove and refuses if they were
tampered with, so pruning never launders an edit into a legitimate-looking gap.

What ``verify()`` detects, and what it cannot
---------------------------------------------
Detected, naming the first bad entry: a changed field (the mac no longer matches), an entry
removed from the middle (the next one's prev does not match), entries moved or renumbered (the
id is signed; the links break), a forged or inserted entry (no key, no valid mac), the oldest
entries removed outside ``prune`` (the first entry's prev is neither genesis nor a prune's
``through_mac``), a different key (every mac fails).

Not detectable from the file alone: removing the *newest* entries (or all of them) leaves a
shorter, valid chain. That is what ``head()`` is for: write its (id, mac) somewhere else now
and then (a ticket, a mail, a printout; ``trawl audit head``) and pass it back to
``verify(head=...)``; a log cut before that entry, or rewritten up to it, then fails. And
someone who holds ``secret.key`` can rewrite the whole chain consistently: keep the key out of
backups that leave the machine, and anchor heads elsewhere.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

# AuditError is raised by both sides (a closed log, a broken key, a tampered chain); callers
# name it from here.
from trawl.csv_cells import csv_cell, read_csv_cell
from trawl.storage.audit_log import COLUMNS, AuditError, AuditLogStore, Filter, LogConnection

# Known actions. A new kind of event gets its name added here: record() refuses unknown names,
# so a typo at a call site fails in its tests instead of hiding entries from the action filter.
ACTIONS = ("login", "login_failed", "logout", "search", "view", "download", "export", "preview",
           "grant", "revoke", "visibility", "user_add", "user_remove", "user_unlock", "password",
           "token_create", "token_revoke", "group", "redaction", "retention", "prune", "backup",
           "restore", "tag", "note")

GENESIS = "0" * 64  # the `prev` of the very first entry
KEY_BYTES = 32
FIELDS = COLUMNS  # an entry's fields, as stored and as exported: one list
SIGNED_FIELDS = FIELDS[:-2]
EXPORT_FORMATS = ("jsonl", "csv")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    action: str
    dataset: str | None
    target: str | None
    detail: dict[str, Any]
    ip: str | None
    prev: str
    mac: str

    @property
    def time(self) -> datetime:
        return datetime.strptime(self.at, _TIME_FORMAT).replace(tzinfo=UTC)

    def signed(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SIGNED_FIELDS}

    def as_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditEntry:
        detail = data.get("detail") or {}
        if isinstance(detail, str):
            detail = json.loads(detail)
        return cls(id=int(data["id"]), at=data["at"], actor=data["actor"],
                   action=data["action"], dataset=data.get("dataset") or None,
                   target=data.get("target") or None, detail=detail,
                   ip=data.get("ip") or None, prev=data["prev"], mac=data["mac"])


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    first_bad: int | None = None
    reason: str = "ok"


def canonical_json(value: Any) -> str:
    """The one serialisation that is signed: sorted keys, no whitespace, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False)


def compute_mac(key: bytes, prev: str, signed: dict[str, Any]) -> str:
    message = prev.encode("ascii") + canonical_json(signed).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


# -- the key ---------------------------------------------------------------------------------------
def load_key(path: Path, *, create: bool) -> bytes:
    """Read secret.key; with `create`, make it first if it is missing (0600, race-free)."""
    if not path.exists():
        if not create:
            raise AuditError(f"{path} is missing but {path.parent / 'audit.sqlite'} has "
                             "entries: restore the key, a new one would not verify them")
        _create_key(path)
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise AuditError(f"{path} holds {len(key)} bytes, not {KEY_BYTES}")
    return key


def _create_key(path: Path) -> None:
    # Written in full to a private temporary file (O_EXCL, 0600) and then hard-linked into
    # place: link() fails if the key exists, so two processes starting at once agree on one
    # key, and nobody ever reads a half-written one.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(KEY_BYTES))
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# -- times -----------------------------------------------------------------------------------------
def _utc(moment: datetime) -> datetime:
    """A naive datetime is UTC, like every time the log stores and prints."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_time(moment: datetime) -> str:
    return _utc(moment).strftime(_TIME_FORMAT)


def _now() -> datetime:
    return datetime.now(UTC)


# -- verification ----------------------------------------------------------------------------------
class _Verifier:
    """Checks entries one at a time, in id order, so a log of any size streams through."""

    def __init__(self, key: bytes, *, chained: bool = True,
                 head: tuple[int, str] | None = None,
                 anchors: Iterable[AuditEntry] = ()) -> None:
        self.key = key
        self.chained = chained
        self.head = head
        self.checked = 0
        self.first: AuditEntry | None = None
        self.last: AuditEntry | None = None
        self.anchors: dict[int, str] = {}  # through_id -> through_mac, from prune entries
        self.head_seen = False
        for entry in anchors:  # prune entries read ahead of the chain: trusted if signed
            if hmac.compare_digest(compute_mac(key, entry.prev, entry.signed()), entry.mac):
                self._note_prune(entry)

    def check(self, entry: AuditEntry) -> str | None:
        """None if the entry is sound so far, else why not."""
        if not hmac.compare_digest(compute_mac(self.key, entry.prev, entry.signed()),
                                   entry.mac):
            return ("its mac does not match its content: a field was changed, or the entry "
                    "was forged or renumbered")
        if self.chained:
            problem = self._link(entry)
            if problem:
                return problem
            self._note_prune(entry)
        if self.head and entry.id == self.head[0]:
            if not hmac.compare_digest(entry.mac, self.head[1]):
                return "it differs from the head recorded earlier: the log was rewritten"
            self.head_seen = True
        self.checked += 1
        self.last = entry
        return None

    def _link(self, entry: AuditEntry) -> str | None:
        last = self.last
        if last is None:
            self.first = entry  # its start is checked in finish(), once all prunes are known
            return None
        if entry.id <= last.id:
            return f"it comes after #{last.id}: entries were re-ordered"
        if entry.prev != last.mac:
            if entry.id > last.id + 1:
                return f"#{last.id + 1}..#{entry.id - 1} before it were removed"
            return f"it does not follow #{last.id}: an entry was removed, inserted or moved"
        return None

    def _note_prune(self, entry: AuditEntry) -> None:
        through = entry.detail.get("through_id") if entry.action == "prune" else None
        if isinstance(through, int) and isinstance(entry.detail.get("through_mac"), str):
            self.anchors[through] = entry.detail["through_mac"]

    def finish(self) -> VerifyResult:
        first, last = self.first, self.last
        if self.chained and first is not None and first.prev != GENESIS \
                and self.anchors.get(first.id - 1) != first.prev:
            return VerifyResult(False, self.checked, first.id,
                                "the entries before it were removed without `prune` (its "
                                "prev matches no prune entry's through_mac)")
        if self.head and self.head[0] > 0 and not self.head_seen:
            return self._missing_head(last)
        return VerifyResult(True, self.checked)

    def _missing_head(self, last: AuditEntry | None) -> VerifyResult:
        head_id = self.head[0] if self.head else 0
        if last is None or head_id > last.id:
            end = last.id if last else 0
            return VerifyResult(False, self.checked, end + 1,
                                f"the log ends at #{end} but head #{head_id} was recorded: "
                                "the newest entries were removed")
        if any(through >= head_id for through in self.anchors):
            return VerifyResult(True, self.checked)  # the head itself was pruned since
        return VerifyResult(False, self.checked, head_id,
                            f"head #{head_id} is missing and no prune removed it")


def verify_entries(entries: Iterable[AuditEntry], key: bytes, *, chained: bool = True,
                   head: tuple[int, str] | None = None) -> VerifyResult:
    """Verify entries in id order, e.g. read back from an export with `read_export`.

    `chained=False` checks each entry's mac only: for a filtered export, which is not a chain.
    """
    verifier = _Verifier(key, chained=chained, head=head)
    for entry in entries:
        problem = verifier.check(entry)
        if problem:
            return VerifyResult(False, verifier.checked, entry.id, problem)
    return verifier.finish()


# -- export ----------------------------------------------------------------------------------------
# A query typed by anyone ends up in `target`; a spreadsheet would run "=HYPERLINK(...)".
# csv_cells escapes it reversibly, so read_export gives back what was signed and the macs verify.
def _csv_cell(value: Any) -> str:
    return csv_cell(canonical_json(value) if isinstance(value, dict) else value)


def write_entries(out: TextIO, entries: Iterable[AuditEntry], fmt: str = "jsonl") -> int:
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(EXPORT_FORMATS)})")
    writer = csv.writer(out) if fmt == "csv" else None
    if writer:
        writer.writerow(FIELDS)
    n = 0
    for entry in entries:
        if writer:
            writer.writerow([_csv_cell(getattr(entry, name)) for name in FIELDS])
        else:
            out.write(canonical_json(entry.as_json()) + "\n")
        n += 1
    return n


def read_export(inp: TextIO, fmt: str = "jsonl") -> Iterator[AuditEntry]:
    """The entries of an export, as written (CSV: open the file with newline="")."""
    if fmt == "csv":
        for row in csv.DictReader(inp):
            yield AuditEntry.from_json({k: read_csv_cell(v) for k, v in row.items()})
    elif fmt == "jsonl":
        for line in inp:
            if line.strip():
                yield AuditEntry.from_json(json.loads(line))
    else:
        raise ValueError(f"unknown export format {fmt!r}")


# -- the log ---------------------------------------------------------------------------------------
def _row_entry(row: tuple[Any, ...]) -> AuditEntry:
    return AuditEntry(id=row[0], at=row[1], actor=row[2], action=row[3], dataset=row[4],
                      target=row[5], detail=json.loads(row[6]), ip=row[7], prev=row[8],
                      mac=row[9])


def _filter(since: datetime | None, until: datetime | None, actor: str | None,
            action: str | None, dataset: str | None) -> Filter:
    """The entries asked for: `since` inclusive, `until` exclusive."""
    return Filter(since=since and format_time(since), until=until and format_time(until),
                  actor=actor, action=action, dataset=dataset)


def _head(log: LogConnection) -> tuple[int, str]:
    return log.head() or (0, GENESIS)


def _optional_text(name: str, value: str | None) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"audit {name} must be a string, not {type(value).__name__}")
    return value or None  # "" and None are one thing: CSV cannot tell them apart


class AuditLog:
    """The audit log of one data directory. Safe to share between threads."""

    def __init__(self, path: Path, key_path: Path, *,
                 clock: Callable[[], datetime] = _now) -> None:
        self.path = Path(path)
        self._clock = clock
        self._store = AuditLogStore(self.path)
        try:
            # A new key for a log that has entries would make all of them unverifiable.
            self._key = load_key(Path(key_path), create=self._store.empty())
        except BaseException:
            self._store.close()
            raise

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing -----------------------------------------------------------------------------------
    def record(self, actor: str, action: str, *, dataset: str | None = None,
               target: str | None = None, detail: dict[str, Any] | None = None,
               ip: str | None = None) -> int:
        """Append one entry; its id. One short transaction, whatever the size of the log."""
        fields = self._fields(actor, action, dataset, target, detail, ip)
        with self._store.write() as log:
            return self._append(log, _head(log), fields).id

    def set_retention(self, days: int | None, actor: str) -> None:
        """Keep entries `days` days (None: forever); the change is an entry of its own."""
        if days is not None and (isinstance(days, bool) or not isinstance(days, int)
                                 or days < 1):
            raise ValueError(f"retention must be a number of days >= 1, or off; not {days!r}")
        with self._store.write() as log:
            previous = log.retention_days()
            log.set_retention_days(days)
            fields = self._fields(actor, "retention", None, None,
                                  {"days": days, "previous": previous}, None)
            self._append(log, _head(log), fields)

    def prune(self, actor: str, now: datetime | None = None) -> int:
        """Delete the entries older than the retention; how many. With retention off or
        nothing old enough, nothing happens and no entry is added (a daily cron stays quiet).

        Raises AuditError, deleting nothing, if the entries to remove fail verification:
        pruning must not erase the evidence. That check runs inside the write transaction, so
        appends wait for it: ~75k entries/s, negligible for a daily prune, some seconds for a
        first prune of millions of entries."""
        now = _utc(now or self._clock())
        with self._store.write() as log:
            days = log.retention_days()
            if days is None:
                return 0
            cutoff = format_time(now - timedelta(days=days))
            through = log.prune_boundary(cutoff)
            if through is None:
                return 0
            self._verify_prefix(log, through)
            head = _head(log)
            through_mac = log.mac(through)
            removed = log.delete_through(through)
            detail = {"removed": removed, "through_id": through, "through_mac": through_mac,
                      "retention_days": days, "cutoff": cutoff}
            self._append(log, head, self._fields(actor, "prune", None, None, detail, None))
        return removed

    def _fields(self, actor: str, action: str, dataset: str | None, target: str | None,
                detail: dict[str, Any] | None, ip: str | None) -> dict[str, Any]:
        if not isinstance(actor, str) or not actor:
            raise ValueError("an audit entry needs an actor")
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}: add it to ACTIONS")
        if detail is not None and not isinstance(detail, dict):
            raise ValueError("audit detail must be a dict")
        # Round-tripped once, so the entry returned and the one read back sign identically
        # (int keys become strings, tuples lists); a value JSON cannot hold fails here.
        detail = json.loads(canonical_json(detail or {}))
        return {"actor": actor, "action": action, "dataset": _optional_text("dataset", dataset),
                "target": _optional_text("target", target), "detail": detail,
                "ip": _optional_text("ip", ip)}

    def _append(self, log: LogConnection, head: tuple[int, str],
                fields: dict[str, Any]) -> AuditEntry:
        # The time is taken inside the write lock, so ids and times grow together.
        signed = {"id": head[0] + 1, "at": format_time(self._clock()), **fields}
        entry = AuditEntry(**signed, prev=head[1], mac=compute_mac(self._key, head[1], signed))
        log.append((entry.id, entry.at, entry.actor, entry.action, entry.dataset, entry.target,
                    canonical_json(entry.detail), entry.ip, entry.prev, entry.mac))
        return entry

    def _verify_prefix(self, log: LogConnection, through: int) -> None:
        verifier = _Verifier(self._key, anchors=map(_row_entry, log.prune_rows()))
        # through + 1: the link into what stays is checked too.
        for entry in map(_row_entry, log.rows_through(through + 1)):
            problem = verifier.check(entry)
            if problem:
                raise AuditError(f"not pruning: entry #{entry.id} fails verification: "
                                 f"{problem}")
        result = verifier.finish()
        if not result.ok:
            raise AuditError(f"not pruning: entry #{result.first_bad}: {result.reason}")

    # -- reading -----------------------------------------------------------------------------------
    def entries(self, *, since: datetime | None = None, until: datetime | None = None,
                actor: str | None = None, action: str | None = None,
                dataset: str | None = None, limit: int = 100, offset: int = 0,
                newest_first: bool = True) -> list[AuditEntry]:
        rows = self._store.reader().rows(_filter(since, until, actor, action, dataset),
                                         newest_first=newest_first, limit=limit, offset=offset)
        return [_row_entry(row) for row in rows]

    def count(self, *, since: datetime | None = None, until: datetime | None = None,
              actor: str | None = None, action: str | None = None,
              dataset: str | None = None) -> int:
        return self._store.reader().count(_filter(since, until, actor, action, dataset))

    def head(self) -> tuple[int, str]:
        """The id and mac of the newest entry ((0, GENESIS) when empty), to keep elsewhere."""
        return _head(self._store.reader())

    def retention_days(self) -> int | None:
        return self._store.reader().retention_days()

    def verify(self, head: tuple[int, str] | None = None) -> VerifyResult:
        """Check the whole chain (see the module's docstring for what that proves); with
        `head`, an (id, mac) kept from an earlier `head()`, also that the log still has it."""
        with self._store.snapshot() as log:
            return verify_entries(map(_row_entry, log.rows()), self._key, head=head)

    def export(self, out: TextIO, fmt: str = "jsonl", *, since: datetime | None = None,
               until: datetime | None = None, actor: str | None = None,
               action: str | None = None, dataset: str | None = None) -> int:
        """Write the matching entries, oldest first, with prev and mac; how many."""
        if fmt not in EXPORT_FORMATS:
            raise ValueError(f"unknown export format {fmt!r} (one of "
                             f"{', '.join(EXPORT_FORMATS)})")
        with self._store.snapshot() as log:
            rows = log.rows(_filter(since, until, actor, action, dataset))
            return write_entries(out, map(_row_entry, rows), fmt)

    def close(self) -> None:
        self._store.close()
