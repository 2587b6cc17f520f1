"""The named storage methods behind access: access.sqlite's accounts, sessions, tokens, groups,
grants and failed logins (storage/accounts.py), and the audit database's rows, filters,
triggers and prune boundary (storage/audit_log.py). Real SQLite files in tmp_path; what the
rules above them decide is tested in tests/access/."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from trawl.storage.accounts import AccountStore
from trawl.storage.audit_log import AuditError, AuditLogStore, Filter


@pytest.fixture
def accounts(tmp_path: Path) -> AccountStore:
    found = AccountStore(tmp_path / "access.sqlite")
    yield found
    found.close()


@pytest.fixture
def log(tmp_path: Path) -> AuditLogStore:
    found = AuditLogStore(tmp_path / "audit.sqlite")
    yield found
    found.close()


def _user(accounts: AccountStore, name: str) -> int:
    assert accounts.add_user(name, "hash-of-" + name, False, 100.0)
    found = accounts.user(name)
    assert found is not None
    return found.id


# -- accounts -------------------------------------------------------------------------------------
def test_a_name_is_taken_in_any_case_and_the_hash_is_kept_apart(accounts: AccountStore) -> None:
    assert accounts.add_user("Alice", "h1", True, 100.0)
    assert not accounts.add_user("alice", "h2", False, 200.0)
    user, stored = accounts.credentials("ALICE") or (None, None)
    assert user is not None and (user.name, user.is_admin, stored) == ("Alice", True, "h1")
    assert [u.name for u in accounts.users()] == ["Alice"]
    assert accounts.user("bob") is None and accounts.credentials("bob") is None
    accounts.rehash_password(user.id, "h3")
    assert accounts.credentials("alice")[1] == "h3"


def test_removing_a_user_takes_everything_of_theirs(accounts: AccountStore) -> None:
    alice, bob = _user(accounts, "alice"), _user(accounts, "bob")
    assert accounts.add_group("press")
    press = accounts.group_id("PRESS")
    assert press is not None
    accounts.set_membership(press, alice, True)
    accounts.set_membership(press, bob, True)
    accounts.add_session("s-alice", alice, "csrf", 100.0, 1e12, 0.0)
    assert accounts.add_token(alice, "ci", "t-alice", 100.0, None)
    assert accounts.add_grant("secret", "user", alice, "admin", 100.0)
    assert not accounts.add_grant("secret", "user", alice, "admin", 200.0)  # already there
    assert accounts.add_grant("shared", "group", press, "admin", 100.0)
    assert accounts.granted_datasets(alice) == {"secret", "shared"}
    assert accounts.user("alice").groups == {"press"}

    accounts.remove_user(alice)
    assert accounts.session("s-alice") is None and accounts.token("t-alice") is None
    assert accounts.groups() == {"press": ["bob"]}
    assert [(g.dataset, g.name) for g in accounts.grants()] == [("shared", "press")]
    assert accounts.granted_datasets(bob) == {"shared"}
    accounts.remove_group(press)
    assert accounts.grants() == [] and accounts.granted_datasets(bob) == frozenset()


def test_a_new_session_clears_the_expired_and_the_idle_ones(accounts: AccountStore) -> None:
    alice = _user(accounts, "alice")
    accounts.add_session("expired", alice, "c1", 100.0, 150.0, 0.0)
    accounts.add_session("idle", alice, "c2", 100.0, 10_000.0, 0.0)
    accounts.add_session("fresh", alice, "c3", 500.0, 10_000.0, 0.0)
    accounts.add_session("new", alice, "c4", 600.0, 10_000.0, idle_before=400.0)
    assert accounts.session("expired") is None and accounts.session("idle") is None
    assert accounts.session("fresh").last_seen == 500.0
    accounts.touch_session("fresh", 700.0)
    found = accounts.session("fresh")
    assert (found.user.name, found.csrf, found.expires_at, found.last_seen) == \
        ("alice", "c3", 10_000.0, 700.0)
    accounts.remove_session("fresh")
    assert accounts.session("fresh") is None


def test_a_password_change_ends_sessions_but_not_tokens(accounts: AccountStore) -> None:
    alice = _user(accounts, "alice")
    accounts.add_session("s", alice, "c", 100.0, 1e12, 0.0)
    assert accounts.add_token(alice, "ci", "t", 100.0, 1e12)
    accounts.set_password(alice, "new-hash", 200.0)
    assert accounts.session("s") is None and accounts.token("t") is not None
    assert accounts.credentials("alice")[1] == "new-hash"


def test_tokens_are_unique_per_user_and_revoked_once(accounts: AccountStore) -> None:
    alice, bob = _user(accounts, "alice"), _user(accounts, "bob")
    assert accounts.add_token(alice, "ci", "d1", 100.0, None)
    assert not accounts.add_token(alice, "ci", "d2", 100.0, None)
    assert accounts.add_token(bob, "ci", "d3", 100.0, 500.0)
    assert [(t.user, t.name, t.expires_at) for t in accounts.tokens()] == \
        [("alice", "ci", None), ("bob", "ci", 500.0)]
    assert [t.user for t in accounts.tokens("bob")] == ["bob"]
    assert accounts.revoke_token(alice, "ci", 300.0)
    assert not accounts.revoke_token(alice, "ci", 400.0)
    found = accounts.token("d1")
    assert (found.user.name, found.name, found.revoked_at) == ("alice", "ci", 300.0)
    accounts.touch_token(found.id, 350.0)
    assert accounts.token("d1").last_used_at == 350.0
    assert accounts.token("no such digest") is None


def test_failures_count_per_key_within_the_window(accounts: AccountStore) -> None:
    accounts.add_failures(["name:alice", "ip:10.0.0.1"], 100.0, 0.0)
    accounts.add_failures(["name:alice"], 200.0, 0.0)
    assert accounts.failures("name:alice", 0.0) == 2
    assert accounts.failures("name:alice", 150.0) == 1
    assert accounts.failures("ip:10.0.0.1", 0.0) == 1
    accounts.add_failures(["name:bob"], 300.0, forget_before=150.0)  # the old ones go
    assert accounts.failures("name:alice", 0.0) == 1
    assert accounts.failures("ip:10.0.0.1", 0.0) == 0
    accounts.clear_failures("name:alice")
    assert accounts.failures("name:alice", 0.0) == 0 and accounts.failures("name:bob", 0) == 1


def test_each_thread_has_its_own_connection_with_foreign_keys(accounts: AccountStore) -> None:
    seen = []
    thread = threading.Thread(target=lambda: seen.append(
        (accounts.db, accounts.db.execute("PRAGMA foreign_keys").fetchone()[0],
         accounts.db.execute("PRAGMA journal_mode").fetchone()[0])))
    thread.start()
    thread.join()
    assert seen[0][0] is not accounts.db and seen[0][1:] == (1, "wal")


# -- the audit database ---------------------------------------------------------------------------
def _row(entry_id: int, at: str, action: str = "view", actor: str = "alice",
         dataset: str | None = None) -> tuple:
    return (entry_id, at, actor, action, dataset, None, "{}", None, f"prev{entry_id}",
            f"mac{entry_id}")


def _fill(log: AuditLogStore, rows: list[tuple]) -> None:
    with log.write() as w:
        for row in rows:
            w.append(row)


def test_rows_come_back_filtered_and_in_order(log: AuditLogStore) -> None:
    assert log.empty() and log.reader().head() is None
    _fill(log, [_row(1, "2024-01-01T00:00:00.000000Z", dataset="a"),
                _row(2, "2024-01-02T00:00:00.000000Z", action="search", actor="bob"),
                _row(3, "2024-01-03T00:00:00.000000Z", dataset="a")])
    reader = log.reader()
    assert not log.empty() and reader.head() == (3, "mac3")
    assert [r[0] for r in reader.rows()] == [1, 2, 3]
    assert [r[0] for r in reader.rows(newest_first=True, limit=2, offset=0)] == [3, 2]
    assert [r[0] for r in reader.rows(Filter(dataset="a"), limit=1, offset=1)] == [3]
    window = Filter(since="2024-01-02T00:00:00.000000Z", until="2024-01-03T00:00:00.000000Z")
    assert [r[0] for r in reader.rows(window)] == [2]
    assert reader.count(Filter(actor="bob", action="search")) == 1
    assert reader.count() == 3 and [r[0] for r in reader.rows_through(2)] == [1, 2]


def test_the_triggers_refuse_edits_and_only_delete_through_passes(log: AuditLogStore,
                                                                  tmp_path: Path) -> None:
    _fill(log, [_row(i, f"2024-01-0{i}T00:00:00.000000Z") for i in (1, 2, 3)])
    conn = sqlite3.connect(tmp_path / "audit.sqlite", isolation_level=None)  # autocommit
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE audit_log SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log WHERE id = 1")
    with log.write() as w:
        assert w.mac(2) == "mac2"
        assert w.delete_through(2) == 2
    # The pruning flag went with the transaction: the trigger guards again.
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM audit_log")
    assert [r[0] for r in log.reader().rows()] == [3]
    conn.close()


def test_a_failed_write_rolls_back(log: AuditLogStore) -> None:
    with pytest.raises(RuntimeError), log.write() as w:
        w.append(_row(1, "2024-01-01T00:00:00.000000Z"))
        raise RuntimeError("boom")
    assert log.empty()


def test_the_prune_boundary_is_a_prefix_even_when_the_clock_went_back(log: AuditLogStore
                                                                        ) -> None:
    # #3 was written with a clock that had gone back: it is old, but #2 before it is young,
    # so only #1 may go (a prefix of the chain, never a hole).
    _fill(log, [_row(1, "2024-01-01T00:00:00.000000Z"), _row(2, "2024-03-01T00:00:00.000000Z"),
                _row(3, "2024-01-02T00:00:00.000000Z"), _row(4, "2024-03-02T00:00:00.000000Z")])
    reader = log.reader()
    assert reader.prune_boundary("2024-02-01T00:00:00.000000Z") == 1
    assert reader.prune_boundary("2023-01-01T00:00:00.000000Z") is None
    assert reader.prune_boundary("2025-01-01T00:00:00.000000Z") == 4
    _fill(log, [_row(5, "2025-01-01T00:00:00.000000Z", action="prune")])
    assert [r[0] for r in reader.prune_rows()] == [5]


def test_retention_is_kept_and_removed(log: AuditLogStore) -> None:
    assert log.reader().retention_days() is None
    with log.write() as w:
        w.set_retention_days(30)
    assert log.reader().retention_days() == 30
    with log.write() as w:
        w.set_retention_days(None)
    assert log.reader().retention_days() is None


def test_a_closed_log_says_so(tmp_path: Path) -> None:
    log = AuditLogStore(tmp_path / "audit.sqlite")
    log.close()
    log.close()  # twice is fine
    with pytest.raises(AuditError, match="closed"):
        log.reader()
    with pytest.raises(AuditError, match="closed"), log.write():
        pass


def test_many_threads_opening_a_new_audit_log_at_once_all_succeed(tmp_path):
    """`PRAGMA journal_mode=WAL` is the one statement SQLite does not retry when another
    connection is creating the file: without storage/wal.py about one opening in twenty
    failed with "database is locked" (the audit log lost that thread's entries)."""
    import threading

    from trawl.access.audit import AuditLog

    for trial in range(100):
        folder = tmp_path / f"t{trial}"
        folder.mkdir()
        logs, errors = [], []
        start = threading.Barrier(6)

        def open_at_once(folder=folder, logs=logs, errors=errors, start=start):
            start.wait()
            try:
                logs.append(AuditLog(folder / "audit.sqlite", folder / "secret.key"))
            except Exception as exc:  # noqa: BLE001 (the test reports any failure)
                errors.append(exc)

        threads = [threading.Thread(target=open_at_once) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(logs) == 6
        for n, log in enumerate(logs):
            log.record(f"u{n}", "login")
        assert logs[0].count() == 6
        for log in logs:
            log.close()
