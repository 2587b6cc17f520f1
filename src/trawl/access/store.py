"""Accounts, groups, grants, sessions and API tokens: `<data-dir>/access.sqlite`.

Design
------
* Apart from the catalog on purpose: rebuilding or re-ingesting an archive never touches who
  may read it, and the web server writes here (sessions, lockouts) while it only reads the
  catalog. A dataset's visibility is the dataset's own property and stays in the catalog.
* Nothing secret is stored in the clear: passwords as Argon2id hashes, session ids and API
  tokens as SHA-256 digests (passwords.py). A session carries its own CSRF token.
* A grant names a dataset and a user or a group. Removing a user removes their sessions,
  tokens, memberships and grants in the same transaction.
* Failed logins are counted per account name and per address in a sliding window; both are
  kept for unknown names too, so that lockout does not tell which names exist.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from trawl.access import passwords

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

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
SESSION_SECONDS = 12 * 3600          # a working day; then log in again
SESSION_IDLE_SECONDS = 2 * 3600
LOCKOUT_WINDOW = 15 * 60
MAX_FAILURES_PER_NAME = 5            # then that name is locked for the rest of the window
MAX_FAILURES_PER_ADDRESS = 20
TOKEN_PREFIX = "trawl_"  # noqa: S105 (a prefix that tells a token when it leaks)


class AccessError(ValueError):
    """A refused account operation; the message is for the user."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    is_admin: bool
    groups: frozenset[str]
    created_at: float


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    expires_at: float


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


class AccessStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self.db.executescript(SCHEMA)

    # One connection per thread: the web server serves requests from a thread pool.
    @property
    def db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA foreign_keys=ON")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def _tx(self) -> sqlite3.Connection:
        """`with self._tx() as db:` one IMMEDIATE transaction (sqlite3's context manager
        commits or rolls back; BEGIN IMMEDIATE takes the write lock up front)."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- users --------------------------------------------------------------------------------
    def add_user(self, name: str, password: str, is_admin: bool = False) -> User:
        if not NAME_RE.match(name):
            raise AccessError("a name is 1 to 64 letters, digits, '.', '_', '@' or '-'")
        passwords.check_password_strength(password, name)
        now = time.time()
        try:
            with self._tx() as db:
                db.execute("INSERT INTO users (name, password, is_admin, created_at, "
                           "password_changed_at) VALUES (?, ?, ?, ?, ?)",
                           (name, passwords.hash_password(password), int(is_admin), now, now))
        except sqlite3.IntegrityError:
            raise AccessError(f"there is already an account named {name!r}") from None
        return self._require_user(name)

    def remove_user(self, name: str) -> None:
        user = self._require_user(name)
        with self._tx() as db:
            db.execute("DELETE FROM grants WHERE principal = 'user' AND principal_id = ?",
                       (user.id,))
            db.execute("DELETE FROM users WHERE id = ?", (user.id,))

    def set_password(self, name: str, password: str) -> None:
        """A new password ends every session of the account (its tokens stay)."""
        user = self._require_user(name)
        passwords.check_password_strength(password, name)
        with self._tx() as db:
            db.execute("UPDATE users SET password = ?, password_changed_at = ? WHERE id = ?",
                       (passwords.hash_password(password), time.time(), user.id))
            db.execute("DELETE FROM sessions WHERE user_id = ?", (user.id,))

    def set_admin(self, name: str, is_admin: bool) -> None:
        user = self._require_user(name)
        with self._tx() as db:
            db.execute("UPDATE users SET is_admin = ? WHERE id = ?", (int(is_admin), user.id))

    def user(self, name: str) -> User | None:
        row = self.db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        return self._user(row) if row else None

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

    def _require_user(self, name: str) -> User:
        found = self.user(name)
        if found is None:
            raise AccessError(f"no account named {name!r}")
        return found

    # -- logging in ---------------------------------------------------------------------------
    def authenticate(self, name: str, password: str, address: str | None) -> User | None:
        """The account when name and password match and neither the name nor the address is
        locked out; else None (and the failure counts). Always does the Argon2 work."""
        now = time.time()
        keys = [f"name:{name.strip().lower()}"] + ([f"ip:{address}"] if address else [])
        locked = self.locked_out(name, address, now)
        row = self.db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        ok = passwords.verify_password(row["password"] if row else None, password)
        if locked or not ok or row is None:
            with self._tx() as db:
                db.executemany("INSERT INTO login_failures (key, at) VALUES (?, ?)",
                               [(key, now) for key in keys])
                db.execute("DELETE FROM login_failures WHERE at < ?", (now - LOCKOUT_WINDOW,))
            return None
        if passwords.needs_rehash(row["password"]):
            with self._tx() as db:
                db.execute("UPDATE users SET password = ? WHERE id = ?",
                           (passwords.hash_password(password), row["id"]))
        with self._tx() as db:
            db.execute("DELETE FROM login_failures WHERE key = ?", (keys[0],))
        return self._user(row)

    def locked_out(self, name: str, address: str | None, now: float | None = None) -> bool:
        since = (now or time.time()) - LOCKOUT_WINDOW
        count = self._failures(f"name:{name.strip().lower()}", since)
        if count >= MAX_FAILURES_PER_NAME:
            return True
        return bool(address) and self._failures(f"ip:{address}", since) \
            >= MAX_FAILURES_PER_ADDRESS

    def _failures(self, key: str, since: float) -> int:
        return self.db.execute("SELECT count(*) FROM login_failures WHERE key = ? AND at >= ?",
                               (key, since)).fetchone()[0]

    def unlock(self, name: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM login_failures WHERE key = ?", (f"name:{name.lower()}",))

    # -- sessions -----------------------------------------------------------------------------
    def create_session(self, user: User) -> tuple[str, Session]:
        """A new session (a new id at every login: no session fixation). Returns the cookie
        value, which is stored nowhere, and the session."""
        secret = passwords.new_secret()
        now = time.time()
        csrf = passwords.new_secret()
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires_at < ? OR last_seen < ?",
                       (now, now - SESSION_IDLE_SECONDS))
            db.execute("INSERT INTO sessions (digest, user_id, csrf, created_at, expires_at, "
                       "last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                       (passwords.secret_digest(secret), user.id, csrf, now,
                        now + SESSION_SECONDS, now))
        return secret, Session(user, csrf, now + SESSION_SECONDS)

    def session(self, secret: str | None) -> Session | None:
        if not secret or len(secret) > 200:
            return None
        now = time.time()
        digest = passwords.secret_digest(secret)
        row = self.db.execute(
            "SELECT s.csrf, s.expires_at, s.last_seen, u.* FROM sessions s "
            "JOIN users u ON u.id = s.user_id WHERE s.digest = ?", (digest,)).fetchone()
        if row is None or row["expires_at"] < now or row["last_seen"] < now - SESSION_IDLE_SECONDS:
            return None
        if now - row["last_seen"] > 60:  # idle time to the minute: one write a minute at most
            with self._tx() as db:
                db.execute("UPDATE sessions SET last_seen = ? WHERE digest = ?", (now, digest))
        return Session(self._user(row), row["csrf"], row["expires_at"])

    def end_session(self, secret: str | None) -> None:
        if secret:
            with self._tx() as db:
                db.execute("DELETE FROM sessions WHERE digest = ?",
                           (passwords.secret_digest(secret),))

    # -- API tokens ---------------------------------------------------------------------------
    def create_token(self, user_name: str, name: str, days: float | None = None
                     ) -> tuple[str, Token]:
        """A new API token; its value is returned once and stored only as a digest."""
        user = self._require_user(user_name)
        if not NAME_RE.match(name):
            raise AccessError("a token's name is 1 to 64 letters, digits, '.', '_' or '-'")
        secret = passwords.new_secret(TOKEN_PREFIX)
        now = time.time()
        expires = now + days * 86400 if days else None
        try:
            with self._tx() as db:
                db.execute("INSERT INTO tokens (user_id, name, digest, created_at, expires_at) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (user.id, name, passwords.secret_digest(secret), now, expires))
        except sqlite3.IntegrityError:
            raise AccessError(f"{user.name} already has a token named {name!r}") from None
        token = next(t for t in self.tokens(user.name) if t.name == name)
        return secret, token

    def revoke_token(self, user_name: str, name: str) -> None:
        user = self._require_user(user_name)
        with self._tx() as db:
            done = db.execute("UPDATE tokens SET revoked_at = ? WHERE user_id = ? AND name = ? "
                              "AND revoked_at IS NULL", (time.time(), user.id, name)).rowcount
        if not done:
            raise AccessError(f"{user.name} has no active token named {name!r}")

    def tokens(self, user_name: str | None = None) -> list[Token]:
        sql = ("SELECT t.*, u.name AS user FROM tokens t JOIN users u ON u.id = t.user_id")
        args: tuple[str, ...] = ()
        if user_name:
            sql += " WHERE u.name = ?"
            args = (user_name,)
        rows = self.db.execute(sql + " ORDER BY u.name, t.name", args).fetchall()
        return [Token(r["id"], r["user"], r["name"], r["created_at"], r["expires_at"],
                      r["last_used_at"], r["revoked_at"]) for r in rows]

    def token_user(self, secret: str | None) -> tuple[User, str] | None:
        """The account and token name of a valid (not revoked, not expired) token."""
        if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        now = time.time()
        row = self.db.execute(
            "SELECT t.id AS token_id, t.name AS token_name, t.expires_at, t.revoked_at, "
            "t.last_used_at, u.* FROM tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.digest = ?", (passwords.secret_digest(secret),)).fetchone()
        if row is None or row["revoked_at"] is not None or \
                (row["expires_at"] is not None and row["expires_at"] < now):
            return None
        if row["last_used_at"] is None or now - row["last_used_at"] > 60:
            with self._tx() as db:
                db.execute("UPDATE tokens SET last_used_at = ? WHERE id = ?",
                           (now, row["token_id"]))
        return self._user(row), row["token_name"]

    # -- groups -------------------------------------------------------------------------------
    def add_group(self, name: str) -> None:
        if not NAME_RE.match(name):
            raise AccessError("a group's name is 1 to 64 letters, digits, '.', '_' or '-'")
        try:
            with self._tx() as db:
                db.execute("INSERT INTO groups (name) VALUES (?)", (name,))
        except sqlite3.IntegrityError:
            raise AccessError(f"there is already a group named {name!r}") from None

    def remove_group(self, name: str) -> None:
        group_id = self._group_id(name)
        with self._tx() as db:
            db.execute("DELETE FROM grants WHERE principal = 'group' AND principal_id = ?",
                       (group_id,))
            db.execute("DELETE FROM groups WHERE id = ?", (group_id,))

    def groups(self) -> dict[str, list[str]]:
        """Every group with its members' names."""
        out: dict[str, list[str]] = {r["name"]: [] for r in
                                     self.db.execute("SELECT name FROM groups ORDER BY name")}
        for row in self.db.execute(
                "SELECT g.name AS g, u.name AS u FROM group_members m JOIN groups g "
                "ON g.id = m.group_id JOIN users u ON u.id = m.user_id ORDER BY u.name"):
            out[row["g"]].append(row["u"])
        return out

    def set_membership(self, group: str, user_name: str, member: bool) -> None:
        group_id = self._group_id(group)
        user = self._require_user(user_name)
        with self._tx() as db:
            if member:
                db.execute("INSERT OR IGNORE INTO group_members (group_id, user_id) "
                           "VALUES (?, ?)", (group_id, user.id))
            else:
                db.execute("DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
                           (group_id, user.id))

    def _group_id(self, name: str) -> int:
        row = self.db.execute("SELECT id FROM groups WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise AccessError(f"no group named {name!r}")
        return int(row["id"])

    # -- grants -------------------------------------------------------------------------------
    def grant(self, dataset: str, principal: str, name: str, by: str) -> bool:
        """Let a user or group read `dataset` in full. False when it already could."""
        principal_id = self._principal_id(principal, name)
        with self._tx() as db:
            return db.execute(
                "INSERT OR IGNORE INTO grants (dataset, principal, principal_id, granted_by, "
                "granted_at) VALUES (?, ?, ?, ?, ?)",
                (dataset, principal, principal_id, by, time.time())).rowcount > 0

    def revoke(self, dataset: str, principal: str, name: str) -> bool:
        principal_id = self._principal_id(principal, name)
        with self._tx() as db:
            return db.execute(
                "DELETE FROM grants WHERE dataset = ? AND principal = ? AND principal_id = ?",
                (dataset, principal, principal_id)).rowcount > 0

    def grants(self, dataset: str | None = None) -> list[Grant]:
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

    def granted_datasets(self, user: User) -> frozenset[str]:
        """The datasets granted to the user or to one of their groups."""
        rows = self.db.execute(
            "SELECT dataset FROM grants WHERE principal = 'user' AND principal_id = ? "
            "UNION SELECT g.dataset FROM grants g JOIN group_members m "
            "ON g.principal = 'group' AND g.principal_id = m.group_id WHERE m.user_id = ?",
            (user.id, user.id)).fetchall()
        return frozenset(r["dataset"] for r in rows)

    def forget_dataset(self, dataset: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM grants WHERE dataset = ?", (dataset,))

    def _principal_id(self, principal: str, name: str) -> int:
        if principal == "user":
            return self._require_user(name).id
        if principal == "group":
            return self._group_id(name)
        raise AccessError("a grant is to a 'user' or a 'group'")
