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

This module holds the rules (names, password strength and hashing, lockout, session and token
lifetimes, digests); storage/accounts.py holds the schema, the connections and the SQL.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path

from trawl.access import passwords

# User, Token and Grant are storage's dataclasses; callers name them from here.
from trawl.storage.accounts import AccountStore, Grant, Token, User

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
class Session:
    user: User
    csrf: str
    expires_at: float


class AccessStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.accounts = AccountStore(path)

    def close(self) -> None:
        self.accounts.close()

    # -- users --------------------------------------------------------------------------------
    def add_user(self, name: str, password: str, is_admin: bool = False) -> User:
        if not NAME_RE.match(name):
            raise AccessError("a name is 1 to 64 letters, digits, '.', '_', '@' or '-'")
        passwords.check_password_strength(password, name)
        if not self.accounts.add_user(name, passwords.hash_password(password), is_admin,
                                      time.time()):
            raise AccessError(f"there is already an account named {name!r}")
        return self._require_user(name)

    def remove_user(self, name: str) -> None:
        self.accounts.remove_user(self._require_user(name).id)

    def set_password(self, name: str, password: str) -> None:
        """A new password ends every session of the account (its tokens stay)."""
        user = self._require_user(name)
        passwords.check_password_strength(password, name)
        self.accounts.set_password(user.id, passwords.hash_password(password), time.time())

    def set_admin(self, name: str, is_admin: bool) -> None:
        self.accounts.set_admin(self._require_user(name).id, is_admin)

    def user(self, name: str) -> User | None:
        return self.accounts.user(name)

    def users(self) -> list[User]:
        return self.accounts.users()

    def has_users(self) -> bool:
        return self.accounts.has_users()

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
        found = self.accounts.credentials(name)
        ok = passwords.verify_password(found[1] if found else None, password)
        if locked or not ok or found is None:
            self.accounts.add_failures(keys, now, now - LOCKOUT_WINDOW)
            return None
        user, stored = found
        if passwords.needs_rehash(stored):
            self.accounts.rehash_password(user.id, passwords.hash_password(password))
        self.accounts.clear_failures(keys[0])
        return user

    def locked_out(self, name: str, address: str | None, now: float | None = None) -> bool:
        since = (now or time.time()) - LOCKOUT_WINDOW
        count = self.accounts.failures(f"name:{name.strip().lower()}", since)
        if count >= MAX_FAILURES_PER_NAME:
            return True
        return bool(address) and self.accounts.failures(f"ip:{address}", since) \
            >= MAX_FAILURES_PER_ADDRESS

    def unlock(self, name: str) -> None:
        self.accounts.clear_failures(f"name:{name.lower()}")

    # -- sessions -----------------------------------------------------------------------------
    def create_session(self, user: User) -> tuple[str, Session]:
        """A new session (a new id at every login: no session fixation). Returns the cookie
        value, which is stored nowhere, and the session."""
        secret = passwords.new_secret()
        now = time.time()
        csrf = passwords.new_secret()
        self.accounts.add_session(passwords.secret_digest(secret), user.id, csrf, now,
                                  now + SESSION_SECONDS, now - SESSION_IDLE_SECONDS)
        return secret, Session(user, csrf, now + SESSION_SECONDS)

    def session(self, secret: str | None) -> Session | None:
        if not secret or len(secret) > 200:
            return None
        now = time.time()
        digest = passwords.secret_digest(secret)
        found = self.accounts.session(digest)
        if found is None or found.expires_at < now \
                or found.last_seen < now - SESSION_IDLE_SECONDS:
            return None
        if now - found.last_seen > 60:  # idle time to the minute: one write a minute at most
            self.accounts.touch_session(digest, now)
        return Session(found.user, found.csrf, found.expires_at)

    def end_session(self, secret: str | None) -> None:
        if secret:
            self.accounts.remove_session(passwords.secret_digest(secret))

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
        if not self.accounts.add_token(user.id, name, passwords.secret_digest(secret), now,
                                       expires):
            raise AccessError(f"{user.name} already has a token named {name!r}")
        token = next(t for t in self.tokens(user.name) if t.name == name)
        return secret, token

    def revoke_token(self, user_name: str, name: str) -> None:
        user = self._require_user(user_name)
        if not self.accounts.revoke_token(user.id, name, time.time()):
            raise AccessError(f"{user.name} has no active token named {name!r}")

    def tokens(self, user_name: str | None = None) -> list[Token]:
        return self.accounts.tokens(user_name)

    def token_user(self, secret: str | None) -> tuple[User, str] | None:
        """The account and token name of a valid (not revoked, not expired) token."""
        if not secret or not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
            return None
        now = time.time()
        found = self.accounts.token(passwords.secret_digest(secret))
        if found is None or found.revoked_at is not None or \
                (found.expires_at is not None and found.expires_at < now):
            return None
        if found.last_used_at is None or now - found.last_used_at > 60:
            self.accounts.touch_token(found.id, now)
        return found.user, found.name

    # -- groups -------------------------------------------------------------------------------
    def add_group(self, name: str) -> None:
        if not NAME_RE.match(name):
            raise AccessError("a group's name is 1 to 64 letters, digits, '.', '_' or '-'")
        if not self.accounts.add_group(name):
            raise AccessError(f"there is already a group named {name!r}")

    def remove_group(self, name: str) -> None:
        self.accounts.remove_group(self._group_id(name))

    def groups(self) -> dict[str, list[str]]:
        """Every group with its members' names."""
        return self.accounts.groups()

    def set_membership(self, group: str, user_name: str, member: bool) -> None:
        group_id = self._group_id(group)
        user = self._require_user(user_name)
        self.accounts.set_membership(group_id, user.id, member)

    def _group_id(self, name: str) -> int:
        found = self.accounts.group_id(name)
        if found is None:
            raise AccessError(f"no group named {name!r}")
        return found

    # -- grants -------------------------------------------------------------------------------
    def grant(self, dataset: str, principal: str, name: str, by: str) -> bool:
        """Let a user or group read `dataset` in full. False when it already could."""
        principal_id = self._principal_id(principal, name)
        return self.accounts.add_grant(dataset, principal, principal_id, by, time.time())

    def revoke(self, dataset: str, principal: str, name: str) -> bool:
        principal_id = self._principal_id(principal, name)
        return self.accounts.remove_grant(dataset, principal, principal_id)

    def grants(self, dataset: str | None = None) -> list[Grant]:
        return self.accounts.grants(dataset)

    def granted_datasets(self, user: User) -> frozenset[str]:
        """The datasets granted to the user or to one of their groups."""
        return self.accounts.granted_datasets(user.id)

    def forget_dataset(self, dataset: str) -> None:
        self.accounts.remove_grants_of(dataset)

    def _principal_id(self, principal: str, name: str) -> int:
        if principal == "user":
            return self._require_user(name).id
        if principal == "group":
            return self._group_id(name)
        raise AccessError("a grant is to a 'user' or a 'group'")
