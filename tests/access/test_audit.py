"""The audit log (access/audit.py) and `trawl audit` (cli/audit_commands.py), on real SQLite
files. Tampering is done the way an attacker would: sqlite3 on the file, triggers dropped."""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import sqlite3
import stat
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trawl.access.audit import (
    ACTIONS,
    GENESIS,
    AuditError,
    AuditLog,
    read_export,
    verify_entries,
)
from trawl.cli.audit_commands import cli_actor, register
from trawl.errors import NotFound

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def open_log(root: Path, **kwargs) -> AuditLog:
    return AuditLog(root / "audit.sqlite", root / "secret.key", **kwargs)


def key_of(root: Path) -> bytes:
    return (root / "secret.key").read_bytes()


def fill(log: AuditLog, n: int = 6) -> None:
    for i in range(n):
        log.record(f"user{i % 2}", "search" if i % 3 else "view", dataset="ncric",
                   target=f"q{i}", detail={"i": i}, ip="10.0.0.1")


def tamper(root: Path, *statements: str) -> None:
    conn = sqlite3.connect(root / "audit.sqlite")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()


def verify_after(root: Path, *statements: str, **kwargs):
    tamper(root, *statements)
    with open_log(root) as log:
        return log.verify(**kwargs)


@pytest.fixture
def log(tmp_path: Path):
    audit = open_log(tmp_path)
    yield audit
    audit.close()


# -- appending and reading -------------------------------------------------------------------------
def test_record_and_read_back(log: AuditLog) -> None:
    first = log.record("alice", "login", ip="192.0.2.7", detail={"method": "password"})
    second = log.record("token:ci@bob", "download", dataset="ncric", target="doc42")
    assert (first, second) == (1, 2)
    newest = log.entries()
    assert [e.id for e in newest] == [2, 1]
    e = newest[1]
    assert (e.actor, e.action, e.ip, e.detail, e.dataset, e.target) == \
        ("alice", "login", "192.0.2.7", {"method": "password"}, None, None)
    assert e.prev == GENESIS and newest[0].prev == e.mac
    assert e.time.tzinfo is UTC
    assert json.loads(json.dumps(e.as_json()))["mac"] == e.mac


def test_filters_count_and_paging(tmp_path: Path) -> None:
    clock = Clock()
    with open_log(tmp_path, clock=clock) as log:
        for i in range(10):
            log.record("alice" if i % 2 else "bob", "search" if i < 6 else "download",
                       dataset="a" if i < 3 else "b", target=f"t{i}")
            clock.advance(hours=1)
        assert log.count() == 10
        assert log.count(actor="alice") == 5
        assert log.count(action="download") == 4
        assert log.count(dataset="a", actor="bob") == 2
        assert log.count(since=T0 + timedelta(hours=2), until=T0 + timedelta(hours=5)) == 3
        # a naive time is UTC, like every time the log stores
        assert log.count(since=datetime(2024, 5, 1, 14, 0)) == 8
        assert [e.target for e in log.entries(limit=3)] == ["t9", "t8", "t7"]
        assert [e.target for e in log.entries(limit=3, offset=3)] == ["t6", "t5", "t4"]
        assert [e.target for e in log.entries(limit=2, newest_first=False)] == ["t0", "t1"]
        assert [e.id for e in log.entries(actor="bob", action="download")] == [9, 7]


def test_record_refuses_bad_input(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        log.record("alice", "serach")
    with pytest.raises(ValueError, match="actor"):
        log.record("", "login")
    with pytest.raises(ValueError):
        log.record("alice", "search", detail={"x": float("nan")})
    with pytest.raises(ValueError):
        log.record("alice", "search", target=42)  # type: ignore[arg-type]
    assert log.count() == 0
    # detail is normalised the way it is signed: what record() saw is what is read back
    log.record("alice", "search", target="", detail={1: (1, 2)})
    entry = log.entries()[0]
    assert entry.detail == {"1": [1, 2]} and entry.target is None
    assert log.verify().ok


def test_every_action_is_recordable(log: AuditLog) -> None:
    for action in ACTIONS:
        log.record("alice", action)
    assert log.count() == len(ACTIONS) and log.verify().ok


def test_triggers_refuse_update_and_delete(tmp_path: Path, log: AuditLog) -> None:
    fill(log, 3)
    conn = sqlite3.connect(tmp_path / "audit.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'mallory' WHERE id = 2")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE id = 1")
    conn.close()
    assert log.count() == 3 and log.verify().ok


# -- verification and tampering --------------------------------------------------------------------
def test_verify_ok(tmp_path: Path, log: AuditLog) -> None:
    assert log.verify().ok and log.verify().checked == 0
    assert log.head() == (0, GENESIS)
    fill(log)
    result = log.verify()
    assert (result.ok, result.checked, result.first_bad) == (True, 6, None)
    log.close()
    with open_log(tmp_path) as again:  # the same key is read back, not made anew
        assert again.verify().ok


def test_modified_field_detected(tmp_path: Path, log: AuditLog) -> None:
    fill(log)
    log.close()
    result = verify_after(tmp_path, "UPDATE audit_log SET target = 'innocent' WHERE id = 3")
    assert (result.ok, result.first_bad, result.checked) == (False, 3, 2)
    assert "mac" in result.reason
    result = verify_after(tmp_path, "UPDATE audit_log SET target = 'q2', "
                          "detail = '{\"i\":99}' WHERE id = 3")
    assert result.first_bad == 3


def test_deleted_middle_entry_detected(tmp_path: Path, log: AuditLog) -> None:
    fill(log)
    log.close()
    result = verify_after(tmp_path, "DELETE FROM audit_log WHERE id = 4")
    assert (result.ok, result.first_bad) == (False, 5)
    assert "#4..#4" in result.reason and "removed" in result.reason


def test_swapped_entries_detected(tmp_path: Path, log: AuditLog) -> None:
    fill(log)
    log.close()
    result = verify_after(tmp_path, "UPDATE audit_log SET id = -1 WHERE id = 3",
                          "UPDATE audit_log SET id = 3 WHERE id = 4",
                          "UPDATE audit_log SET id = 4 WHERE id = -1")
    assert (result.ok, result.first_bad) == (False, 3)


def test_inserted_forged_entry_detected(tmp_path: Path, log: AuditLog) -> None:
    fill(log)
    entries = {e.id: e for e in log.entries()}
    log.close()
    # in the middle: later entries renumbered, a forged one in the gap, linked to its
    # predecessor's real mac; its own mac cannot be computed without the key
    result = verify_after(
        tmp_path,
        "UPDATE audit_log SET id = id + 100 WHERE id > 3",
        "UPDATE audit_log SET id = id - 99 WHERE id > 100",
        f"INSERT INTO audit_log VALUES (4, '{entries[3].at}', 'admin', 'grant', NULL, "
        f"'mallory', '{{}}', NULL, '{entries[3].mac}', '{'ab' * 32}')")
    assert (result.ok, result.first_bad) == (False, 4)


def test_appended_forged_entry_detected(tmp_path: Path, log: AuditLog) -> None:
    fill(log, 3)
    _, mac = log.head()
    log.close()
    result = verify_after(tmp_path, "INSERT INTO audit_log VALUES (4, '2030-01-01T00:00:00."
                          f"000000Z', 'x', 'login', NULL, NULL, '{{}}', NULL, '{mac}', "
                          f"'{'cd' * 32}')")
    assert (result.ok, result.first_bad) == (False, 4)


def test_deleted_oldest_entries_without_prune_detected(tmp_path: Path, log: AuditLog) -> None:
    fill(log)
    log.close()
    result = verify_after(tmp_path, "DELETE FROM audit_log WHERE id <= 2")
    assert (result.ok, result.first_bad) == (False, 3)
    assert "without `prune`" in result.reason


def test_other_key_fails_everything(tmp_path: Path, log: AuditLog) -> None:
    fill(log, 2)
    log.close()
    (tmp_path / "secret.key").write_bytes(os.urandom(32))
    with open_log(tmp_path) as again:
        assert again.verify().first_bad == 1


def test_truncated_tail_needs_a_head(tmp_path: Path, log: AuditLog) -> None:
    fill(log, 4)
    head = log.head()
    assert head[0] == 4
    fill(log, 2)
    assert log.verify(head=head).ok
    log.close()
    tamper(tmp_path, "DELETE FROM audit_log WHERE id >= 4")
    with open_log(tmp_path) as again:
        assert again.verify().ok  # the file alone cannot tell: a shorter chain is valid
        result = again.verify(head=head)
        assert (result.ok, result.first_bad) == (False, 4)
        assert "newest entries were removed" in result.reason
        # ... nor a log cut and then continued: the head's id is there with another mac
        again.record("alice", "login")
        result = again.verify(head=head)
        assert (result.ok, result.first_bad) == (False, 4) and "rewritten" in result.reason


# -- retention and pruning -------------------------------------------------------------------------
def test_retention_setting_is_audited(log: AuditLog) -> None:
    assert log.retention_days() is None
    log.set_retention(90, "cli:root")
    log.set_retention(30, "admin")
    assert log.retention_days() == 30
    log.set_retention(None, "admin")
    assert log.retention_days() is None
    changes = log.entries(action="retention", newest_first=False)
    assert [(e.actor, e.detail) for e in changes] == [
        ("cli:root", {"days": 90, "previous": None}),
        ("admin", {"days": 30, "previous": 90}),
        ("admin", {"days": None, "previous": 30})]
    for bad in (0, -1, 1.5, True, "30"):
        with pytest.raises(ValueError):
            log.set_retention(bad, "admin")  # type: ignore[arg-type]
    assert log.verify().ok


def test_prune_keeps_the_chain_verifiable(tmp_path: Path) -> None:
    clock = Clock()
    with open_log(tmp_path, clock=clock) as log:
        assert log.prune("admin") == 0  # retention off: nothing, not even an entry
        log.record("alice", "login")                 # 1, day 0
        clock.advance(days=1)
        log.record("alice", "search", target="x")    # 2, day 1
        clock.advance(days=4)
        log.record("bob", "view", target="doc")      # 3, day 5
        log.set_retention(3, "admin")                # 4, day 5
        assert log.prune("admin") == 2
        assert [e.id for e in log.entries(newest_first=False)] == [3, 4, 5]
        prune = log.entries(action="prune")[0]
        assert prune.detail["removed"] == 2 and prune.detail["through_id"] == 2
        assert prune.detail["through_mac"] == log.entries(newest_first=False)[0].prev
        assert log.verify().ok
        assert log.prune("admin") == 0 and log.count() == 3  # nothing old: no new entry
        clock.advance(days=10)                       # everything old, the prune entry too
        assert log.prune("admin") == 3
        assert [e.id for e in log.entries()] == [6] and log.verify().ok
        log.record("alice", "logout")
        assert log.verify().ok and log.head()[0] == 7


def test_deleting_after_a_prune_is_still_detected(tmp_path: Path) -> None:
    clock = Clock()
    with open_log(tmp_path, clock=clock) as log:
        fill(log, 4)
        clock.advance(days=10)
        fill(log, 4)                                 # 5..8
        log.set_retention(5, "admin")                # 9
        assert log.prune("admin") == 4               # 10 records through 4
    result = verify_after(tmp_path, "DELETE FROM audit_log WHERE id = 5")
    assert (result.ok, result.first_bad) == (False, 6)
    # nor may the prune entry that anchors the start be forged into a wider one
    result = verify_after(tmp_path, "UPDATE audit_log SET detail = json_set(detail, "
                          "'$.through_id', 5) WHERE action = 'prune'")
    assert not result.ok


def test_prune_keeps_a_prefix_when_the_clock_went_back(tmp_path: Path) -> None:
    clock = Clock(T0 + timedelta(days=5))
    with open_log(tmp_path, clock=clock) as log:
        log.record("alice", "login")       # day 5
        clock.now = T0
        log.record("alice", "search")      # day 0: the clock went back
        clock.now = T0 + timedelta(days=6)
        log.set_retention(3, "admin")      # day 6
        assert log.prune("admin") == 0     # #2 is old, but deleting it would cut the chain
        assert log.count() == 3 and log.verify().ok


def test_prune_refuses_to_erase_tampering(tmp_path: Path) -> None:
    clock = Clock()
    with open_log(tmp_path, clock=clock) as log:
        fill(log, 4)
        clock.advance(days=10)
        log.set_retention(5, "admin")
    tamper(tmp_path, "UPDATE audit_log SET actor = 'nobody' WHERE id = 2")
    with open_log(tmp_path, clock=clock) as log:
        with pytest.raises(AuditError, match="#2"):
            log.prune("admin")
        assert log.count() == 5  # nothing was deleted


# -- concurrency -----------------------------------------------------------------------------------
def test_concurrent_threads(log: AuditLog) -> None:
    per_thread, threads = 250, 4
    start = threading.Barrier(threads)

    def work(n: int) -> None:
        start.wait()
        for i in range(per_thread):
            log.record(f"t{n}", "search", target=f"{n}-{i}")
            if i % 50 == 0:
                log.entries(limit=5)  # readers in the mix, on their own connections

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    entries = log.entries(limit=10_000, newest_first=False)
    assert [e.id for e in entries] == list(range(1, threads * per_thread + 1))
    assert {e.target for e in entries} == {f"{n}-{i}" for n in range(threads)
                                           for i in range(per_thread)}
    assert log.verify().ok


def _append_many(root: str, worker: int, n: int) -> None:
    with open_log(Path(root)) as log:
        for i in range(n):
            log.record(f"p{worker}", "view", target=f"{worker}-{i}")


def test_concurrent_processes(tmp_path: Path) -> None:
    per_process = 300
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_many, args=(str(tmp_path), n, per_process))
             for n in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    with open_log(tmp_path) as log:
        entries = log.entries(limit=10_000, newest_first=False)
        assert [e.id for e in entries] == list(range(1, 2 * per_process + 1))
        assert {e.target for e in entries} == {f"{n}-{i}" for n in range(2)
                                               for i in range(per_process)}
        assert log.verify().ok


# -- the key ---------------------------------------------------------------------------------------
def test_key_file_is_private_and_created_once(tmp_path: Path) -> None:
    logs: list[AuditLog] = []
    start = threading.Barrier(6)

    def open_at_once() -> None:
        start.wait()
        logs.append(open_log(tmp_path))

    pool = [threading.Thread(target=open_at_once) for _ in range(6)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    key_path = tmp_path / "secret.key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert len(key_of(tmp_path)) == 32
    assert sorted(p.name for p in tmp_path.iterdir() if "secret" in p.name) == ["secret.key"]
    for n, log in enumerate(logs):  # all six signed with the one key
        log.record(f"u{n}", "login")
    assert logs[0].verify().ok and logs[0].count() == 6
    for log in logs:
        log.close()


def test_missing_key_is_not_replaced_when_there_are_entries(tmp_path: Path) -> None:
    with open_log(tmp_path) as log:
        fill(log, 2)
    (tmp_path / "secret.key").unlink()
    with pytest.raises(AuditError, match="restore the key"):
        open_log(tmp_path)
    assert not (tmp_path / "secret.key").exists()


# -- export ----------------------------------------------------------------------------------------
def tricky(log: AuditLog) -> None:
    fill(log, 3)
    log.record("anonymous", "search", dataset="ncric", target='=HYPERLINK("http://x","y")',
               detail={"q": "-drop", "nested": {"é": [1, None, "\n"]}}, ip="2001:db8::1")
    log.record("alice", "search", target="'quoted", detail={"note": "+1"})
    log.record("@bob", "view", target="line1\nline2,\"comma\"")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_round_trip_and_reverify(tmp_path: Path, log: AuditLog, fmt: str) -> None:
    tricky(log)
    out = io.StringIO(newline="")
    assert log.export(out, fmt) == 6
    text = out.getvalue()
    back = list(read_export(io.StringIO(text, newline=""), fmt))
    assert back == log.entries(newest_first=False)  # oldest first, every field exact
    assert verify_entries(back, key_of(tmp_path)).ok
    assert not verify_entries(back, os.urandom(32)).ok
    if fmt == "csv":  # a spreadsheet shows formulas as text
        assert "'=HYPERLINK" in text and "''quoted" in text and "'@bob" in text
    forged = text.replace("q1", "q9")
    assert verify_entries(read_export(io.StringIO(forged, newline=""), fmt),
                          key_of(tmp_path)).first_bad == 2


def test_filtered_export_checks_entry_by_entry(tmp_path: Path, log: AuditLog) -> None:
    fill(log, 6)
    out = io.StringIO()
    assert log.export(out, actor="user1") == 3
    back = list(read_export(io.StringIO(out.getvalue())))
    assert not verify_entries(back, key_of(tmp_path)).ok  # a subset is not a chain
    assert verify_entries(back, key_of(tmp_path), chained=False).ok
    with pytest.raises(ValueError):
        log.export(io.StringIO(), "xml")


def test_export_after_prune_reverifies(tmp_path: Path) -> None:
    clock = Clock()
    with open_log(tmp_path, clock=clock) as log:
        fill(log, 3)
        clock.advance(days=10)
        fill(log, 2)
        log.set_retention(5, "admin")
        log.prune("admin")
        out = io.StringIO()
        log.export(out)
    entries = list(read_export(io.StringIO(out.getvalue())))
    assert entries[0].id == 4 and verify_entries(entries, key_of(tmp_path)).ok
    assert not verify_entries(entries[1:], key_of(tmp_path)).ok


# -- the CLI ---------------------------------------------------------------------------------------
def build_cli() -> argparse.ArgumentParser:
    """The parts of trawl.cli.main.build_parser that `register` relies on."""
    parser = argparse.ArgumentParser(prog="trawl")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    def command(name, handler, help_text):
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.add_argument("--data-dir")
        p.set_defaults(handler=handler)
        return p

    register(sub, command)
    return parser


def cli(*argv: str) -> int:
    """What trawl.cli.main.main does with the parsed arguments."""
    args = build_cli().parse_args(list(argv))
    try:
        return args.handler(args) or 0
    except (NotFound, ValueError):
        return 2


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    with open_log(root, clock=Clock(datetime.now(UTC) - timedelta(days=100))) as log:
        log.record("alice", "login", ip="192.0.2.7")
        log.record("bob", "search", dataset="ncric", target="protest")
    with open_log(root) as log:
        log.record("alice", "download", dataset="ncric", target="doc42")
    return root


def test_cli_show(data: Path, capsys) -> None:
    assert cli("audit", "show", "--data-dir", str(data)) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["id", "at", "(UTC)"]
    assert "download" in lines[1] and "doc42" in lines[1] and "192.0.2.7" in lines[3]
    assert cli("audit", "--data-dir", str(data), "show", "--user", "alice", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["total"] == 2 and [e["action"] for e in shown["entries"]] == \
        ["download", "login"]
    assert cli("audit", "show", "--data-dir", str(data), "--since", "7d", "--json") == 0
    assert json.loads(capsys.readouterr().out)["total"] == 1
    day = (datetime.now(UTC) - timedelta(days=100)).date().isoformat()
    assert cli("audit", "show", "--data-dir", str(data), "--until", day, "--json") == 0
    assert json.loads(capsys.readouterr().out)["total"] == 2  # a plain date: the whole day
    assert cli("audit", "show", "--data-dir", str(data), "--limit", "1") == 0
    assert "1-1 of 3" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli("audit", "show", "--data-dir", str(data), "--since", "last tuesday")


def test_cli_export(data: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "out.csv"
    assert cli("audit", "export", "--data-dir", str(data), "--format", "csv",
               "--output", str(target)) == 0
    assert "3 entries written" in capsys.readouterr().err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with target.open(newline="") as f:
        assert verify_entries(read_export(f, "csv"), key_of(data)).checked == 3
    assert cli("audit", "export", "--data-dir", str(data), "--action", "login") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["actor"] == "alice"
    with open_log(data) as log:  # exporting the log is itself an entry
        exports = log.entries(action="export")
        assert len(exports) == 2 and exports[0].actor == cli_actor()
        assert exports[0].detail["filters"] == {"action": "login"}
        assert log.verify().ok


def test_cli_verify_and_head(data: Path, capsys) -> None:
    assert cli("audit", "verify", "--data-dir", str(data)) == 0
    assert capsys.readouterr().out.strip() == "ok: 3 entries checked"
    assert cli("audit", "head", "--data-dir", str(data)) == 0
    head = capsys.readouterr().out.strip()
    with open_log(data) as log:
        assert head == f"3:{log.head()[1]}"
        log.record("carol", "login")
    assert cli("audit", "verify", "--data-dir", str(data), "--head", head) == 0
    capsys.readouterr()
    tamper(data, "DELETE FROM audit_log WHERE id >= 3")
    assert cli("audit", "verify", "--data-dir", str(data)) == 0
    assert cli("audit", "verify", "--data-dir", str(data), "--head", head) == 1
    assert "FAILED at entry #3" in capsys.readouterr().out
    tamper(data, "UPDATE audit_log SET target = 'nothing' WHERE id = 2")
    assert cli("audit", "verify", "--data-dir", str(data)) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAILED at entry #2: its mac does not match")
    with pytest.raises(SystemExit):
        cli("audit", "verify", "--data-dir", str(data), "--head", "3:nope")
    (data / "audit.sqlite").unlink()
    assert cli("audit", "verify", "--data-dir", str(data)) == 1
    assert "missing" in capsys.readouterr().out


def test_cli_retention_and_prune(data: Path, capsys) -> None:
    assert cli("audit", "retention", "--data-dir", str(data)) == 0
    assert "off" in capsys.readouterr().out
    assert cli("audit", "prune", "--data-dir", str(data)) == 0
    assert "nothing pruned" in capsys.readouterr().out
    assert cli("audit", "retention", "30", "--data-dir", str(data)) == 0
    assert "30 days" in capsys.readouterr().out
    assert cli("audit", "prune", "--data-dir", str(data)) == 0
    assert "2 entries older than 30 days removed" in capsys.readouterr().out
    with open_log(data) as log:
        assert [e.action for e in log.entries()] == ["prune", "retention", "download"]
        assert {e.actor for e in log.entries(limit=2)} == {cli_actor()}
        assert log.verify().ok
    assert cli("audit", "retention", "off", "--data-dir", str(data)) == 0
    assert "kept forever" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli("audit", "retention", "0", "--data-dir", str(data))


def test_cli_usage_and_missing_data(tmp_path: Path, capsys) -> None:
    assert cli("audit") == 2
    assert "verify" in capsys.readouterr().out
    assert cli("audit", "show", "--data-dir", str(tmp_path / "nothing")) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("audit", "verify", "--data-dir", str(empty)) == 2
    assert not (empty / "audit.sqlite").exists()


def test_wired_into_trawl_main(data: Path, capsys) -> None:
    from trawl.cli.main import build_parser, main

    commands = next(a for a in build_parser()._actions
                    if isinstance(a, argparse._SubParsersAction))
    if "audit" not in commands.choices:
        pytest.skip("`trawl audit` is not wired into cli/main.py yet")
    assert main(["audit", "verify", "--data-dir", str(data)]) == 0
    assert capsys.readouterr().out.strip() == "ok: 3 entries checked"
    assert main(["audit", "show", "--data-dir", str(data / "nope")]) == 2
