"""The SQL of `<data-dir>/access.sqlite`: accounts, groups, grants, sessions, API tokens and
failed logins. access/store.py decides (names, passwords, lockout, lifetimes, digests); this
module stores and reads what it decided, and nothing here checks a password or a rule.

Design
------
* Apart from the catalog on purpose: rebuilding or re-ingesting an archive never touches who
  may read it, and the web server writes here (sessions, lockouts) while it only reads the
  catalog.
* WAL, so that the web's many readers never wait for a login's write; foreign keys on, so
  that removing a user removes their sessions, tokens and memberships (ON DELETE CASCADE);
  a busy timeout, so that the web and a CLI in another process take turns on the write lock.
* One connection per thread: the web server serves requests from a thread pool, and a
  SQLite connection is not to be shared between threads (wal.py's ThreadConnections).
* Every write is one `BEGIN IMMEDIATE` transaction: it takes the write lock up front, so
  two writers never both read and then fail to upgrade (SQLITE_BUSY mid-transaction).
* Only digests and hashes come here: the caller hashes passwords and digests session ids
  and tokens before they are stored or looked up.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from trawl.storage.wal import ThreadConnections

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    password_changed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS groups (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, user_id)
);
CREATE TABLE IF NOT EXISTS grants (
    dataset TEXT NOT NULL,
    principal TEXT NOT NULL,          -- 'user' | 'group'
    principal_id INTEGER NOT NULL,
    granted_by TEXT NOT NULL,
    granted_at REAL NOT NULL,
    PRIMARY KEY (dataset, principal, principal_id)
);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,          -- SHA-256 of the cookie's value
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf TEXT NOT NULL,
    created_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    last_seen REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    expires_at REAL,
    last_used_at REAL,
    revoked_at REAL,
    UNIQUE (user_id, name)
);
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT NOT NULL,                -- 'name:<lowercased name>' | 'ip:<address>'
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, at);
"""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    is_admin: bool
    groups: frozenset[str]
    created_at: float


@dataclass(frozen=True)
class Token:
    id: int
    user: str
    name: str
    created_at: float
    expires_at: float | None
    last_used_at: float | None
    revoked_at: float | None


@dataclass(frozen=True)
class Grant:
    dataset: str
    principal: str     # user | group
    name: str
    granted_by: str
    granted_at: float


@dataclass(frozen=True)
class StoredSession:
    """A session as stored: its account, CSRF token and times."""

    user: User
    csrf: str
    expires_at: float
    last_seen: float


@dataclass(frozen=True)
class StoredToken:
    """A token found by its digest: enough to tell whether it is still valid."""

    id: int
    name: str
    user: User
    expires_at: float | None
    revoked_at: float | None
    last_used_at: float | None


class AccountStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._connections = ThreadConnections(path, foreign_keys=True)
        self.db.executescript(SCHEMA)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection (made on first use)."""
        return self._connections.db

    def _tx(self) -> sqlite3.Connection:
        return self._connections.tx()

    def close(self) -> None:
        self._connections.close()

    # -- users --------------------------------------------------------------------------------
    def add_user(self, name: str, password_hash: str, is_admin: bool, now: float) -> bool:
        """False when an account of that name (in any case) exists."""
        try:
            with self._tx() as db:
                db.execute("INSERT INTO users (name, password, is_admin, created_at, "
                           "password_changed_at) VALUES (?, ?, ?, ?, ?)",
                           (name, password_hash, int(is_admin), now, now))
        except sqlite3.IntegrityError:  # the UNIQUE name
            return False
        return True

    def remove_user(self, user_id: int) -> None:
        """The account, its grants, and (by cascade) its sessions, tokens and memberships."""
        with self._tx() as db:
            db.execute("DELETE FROM grants WHERE principal = 'user' AND principal_id = ?",
                       (user_id,))
            db.execute("DELETE FROM users WHERE id = ?", (user_id,))

    def set_password(self, user_id: int, password_hash: str, now: float) -> None:
        """A new password, and the end of every session of the account (not its tokens)."""
        with self._tx() as db:
            db.execute("UPDATE users SET password = ?, password_changed_at = ? WHERE id = ?",
                       (password_hash, now, user_id))
            db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    def rehash_password(self, user_id: int, password_hash: str) -> None:
        """The same password under a new hash: not a change of password."""
        with self._tx() as db:
            db.execute("UPDATE users SET password = ? WHERE id = ?", (password_hash, user_id))

    def set_admin(self, user_id: int, is_admin: bool) -> None:
        with self._tx() as db:
            db.execute("UPDATE users SET is_admin = ? WHERE id = ?", (int(is_admin), user_id))

    def user(self, name: str) -> User | None:
        found = self.credentials(name)
        return found[0] if found else None

    def credentials(self, name: str) -> tuple[User, str] | None:
        """The account and its stored password hash."""
        row = self.db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return (self._user(row), row["password"]) if row else None

    def users(self) -> list[User]:
        rows = self.db.execute("SELECT * FROM users ORDER BY name").fetchall()
        return [self._user(row) for row in rows]

    def has_users(self) -> bool:
        return self.db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def _user(self, row: sqlite3.Row) -> User:
        groups = self.db.execute(
            "SELECT g.name FROM groups g JOIN group_members m ON m.group_id = g.id "
            "WHERE m.user_id = ?", (row["id"],)).fetchall()
        return User(row["id"], row["name"], bool(row["is_admin"]),
                    frozenset(g["name"] for g in groups), row["created_at"])

    # -- failed logins ------------------------------------------------------------------------
    def add_failures(self, keys: list[str], now: float, forget_before: float) -> None:
        """One failure at `now` for each key; failures older than `forget_before` go."""
        with self._tx() as db:
            db.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                           [(key, now) for key in keys])
            db.execute("DELETE FROM login_failures WHERE at < ?", (forget_before,))

    def failures(self, key: str, since: float) -> int:
        return self.db.execute("SELECT count(*) FROM login_failures WHERE key = ? AND at >= ?",
                               (key, since)).fetchone()[0]

    def clear_failures(self, key: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    # -- sessions -----------------------------------------------------------------------------
    def add_session(self, digest: str, user_id: int, csrf: str, now: float,
                    expires_at: float, idle_before: float) -> None:
        """A new session; first, in the same transaction, the sessions expired at `now` or
        last seen before `idle_before` go (logins keep the table small)."""
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ? OR last_seen < ?",
                       (now, idle_before))
            db.execute("INSERT INTO sessions (digest, user_id, csrf, created_at, expires_at, "
                       "last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                       (digest, user_id, csrf, now, expires_at, now))

    def session(self, digest: str) -> StoredSession | None:
        row = self.db.execute(
            "SELECT s.csrf, s.expires_at, s.last_seen, u.* FROM sessions s "
            "JOIN users u ON u.id = s.user_id WHERE s.digest = ?", (digest,)).fetchone()
        if row is None:
            return None
        return StoredSession(self._user(row), row["csrf"], row["expires_at"], row["last_seen"])

    def touch_session(self, digest: str, now: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE sessions SET last_seen = ? WHERE digest = ?", (now, digest))

    def remove_session(self, digest: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE digest = ?", (digest,))

    # -- API tokens ---------------------------------------------------------------------------
    def add_token(self, user_id: int, name: str, digest: str, now: float,
                  expires_at: float | None) -> bool:
        """False when the account already has a token of that name."""
        try:
            with self._tx() as db:
                db.execute("INSERT INTO tokens (user_id, name, digest, created_at, expires_at) "
                           "VALUES (?, ?, ?, ?, ?)", (user_id, name, digest, now, expires_at))
        except sqlite3.IntegrityError:  # the UNIQUE name
            return False
        return True

    def revoke_token(self, user_id: int, name: str, now: float) -> bool:
        """False when the account has no active token of that name."""
        with self._tx() as db:
            return db.execute("UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND name = ? "
                              "AND revoked_at IS NULL", (now, user_id, name)).rowcount > 0

    def tokens(self, user_name: str | None = None) -> list[Token]:
        sql = ("SELECT t.*, u.name AS user FROM tokens t JOIN users u ON u.id = t.user_id")
        args: tuple[str, ...] = ()
        if user_name:
            sql += " WHERE u.name = ?"
            args = (user_name,)
        rows = self.db.execute(sql + " ORDER BY u.name, t.name", args).fetchall()
        return [Token(r["id"], r["user"], r["name"], r["created_at"], r["expires_at"],
                      r["last_used_at"], r["revoked_at"]) for r in rows]

    def token(self, digest: str) -> StoredToken | None:
        row = self.db.execute(
            "SELECT t.id AS token_id, t.name AS token_name, t.expires_at, t.revoked_at, "
            "t.last_used_at, u.* FROM tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.digest = ?", (digest,)).fetchone()
        if row is None:
            return None
        return StoredToken(row["token_id"], row["token_name"], self._user(row),
                           row["expires_at"], row["revoked_at"], row["last_used_at"])

    def touch_token(self, token_id: int, now: float) -> None:
        with self._tx() as db:
            db.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?", (now, token_id))

    # -- groups -------------------------------------------------------------------------------
    def add_group(self, name: str) -> bool:
        """False when a group of that name (in any case) exists."""
        try:
            with self._tx() as db:
                db.execute("INSERT INTO groups (name) VALUES (?)", (name,))
        except sqlite3.IntegrityError:  # the UNIQUE name
            return False
        return True

    def remove_group(self, group_id: int) -> None:
        """The group, its grants, and (by cascade) its memberships."""
        with self._tx() as db:
            db.execute("DELETE FROM grants WHERE principal = 'group' AND principal_id = ?",
                       (group_id,))
            db.execute("DELETE FROM groups WHERE id = ?", (group_id,))

    def group_id(self, name: str) -> int | None:
        row = self.db.execute("SELECT id FROM groups WHERE name = ?", (name,)).fetchone()
        return int(row["id"]) if row else None

    def groups(self) -> dict[str, list[str]]:
        """Every group with its members' names."""
        out: dict[str, list[str]] = {r["name"]: [] for r in
                                     self.db.execute("SELECT name FROM groups ORDER BY name")}
        for row in self.db.execute(
                "SELECT g.name AS g, u.name AS u FROM group_members m JOIN groups g "
                "ON g.id = m.group_id JOIN users u ON u.id = m.user_id ORDER BY u.name"):
            out[row["g"]].append(row["u"])
        return out

    def set_membership(self, group_id: int, user_id: int, member: bool) -> None:
        with self._tx() as db:
            if member:
                db.execute("INSERT OR IGNORE INTO group_members (group_id, user_id) "
                           "VALUES (?, ?)", (group_id, user_id))
            else:
                db.execute("DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
                           (group_id, user_id))

    # -- grants -------------------------------------------------------------------------------
    def add_grant(self, dataset: str, principal: str, principal_id: int, by: str,
                  now: float) -> bool:
        """False when that grant exists already."""
        with self._tx() as db:
            return db.execute(
                "INSERT OR IGNORE INTO grants (dataset, principal, principal_id, granted_by, "
                "granted_at) VALUES (?, ?, ?, ?, ?)",
                (dataset, principal, principal_id, by, now)).rowcount > 0

    def remove_grant(self, dataset: str, principal: str, principal_id: int) -> bool:
        """False when there was no such grant."""
        with self._tx() as db:
            return db.execute(
                "DELETE FROM grants WHERE dataset = ? AND principal = ? AND principal_id = ?",
                (dataset, principal, principal_id)).rowcount > 0

    def grants(self, dataset: str | None = None) -> list[Grant]:
        """The grants (of one dataset), by dataset, kind and name; a grant whose user or
        group no longer exists is not one."""
        sql = ("SELECT g.*, COALESCE(u.name, gr.name) AS who FROM grants g "
               "LEFT JOIN users u ON g.principal = 'user' AND u.id = g.principal_id "
               "LEFT JOIN groups gr ON g.principal = 'group' AND gr.id = g.principal_id")
        args: tuple[str, ...] = ()
        if dataset is not None:
            sql += " WHERE g.dataset = ?"
            args = (dataset,)
        rows = self.db.execute(sql + " ORDER BY g.dataset, g.principal, who", args).fetchall()
        return [Grant(r["dataset"], r["principal"], r["who"], r["granted_by"], r["granted_at"])
                for r in rows if r["who"] is not None]

    def granted_datasets(self, user_id: int) -> frozenset[str]:
        """The datasets granted to the user or to one of their groups."""
        rows = self.db.execute(
            "SELECT dataset FROM grants WHERE principal = 'user' AND principal_id = ? "
            "UNION SELECT g.dataset FROM grants g JOIN group_members m "
            "ON g.principal = 'group' AND g.principal_id = m.group_id WHERE m.user_id = ?",
            (user_id, user_id)).fetchall()
        return frozenset(r["dataset"] for r in rows)

    def remove_grants_of(self, dataset: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM grants WHERE dataset = ?", (dataset,))
