"""Who reads what: a caller (`Principal`) and the datasets they may read (`ReadScope`).

Rules, in full:

* an admin reads every dataset in full;
* an account reads in full the datasets granted to it or to one of its groups, whatever
  their visibility (`private` and `restricted` differ only in intent: `restricted` says the
  dataset is shared with named readers; both are closed to everyone else);
* anyone, signed in or not, reads `public` datasets redacted (redaction.py), unless granted;
* nothing else: a dataset outside the scope does not exist for the caller.

The search and web layers hand the scope down (the index filters by it, the stores refuse
what is outside it); nothing above them decides access on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

VISIBILITIES = ("private", "restricted", "public")
DEFAULT_VISIBILITY = "private"


class Access(StrEnum):
    NONE = "none"
    REDACTED = "redacted"
    FULL = "full"


@dataclass(frozen=True)
class Principal:
    """Who is asking: an account (by session or API token), or nobody (anonymous)."""

    name: str | None = None
    is_admin: bool = False
    groups: frozenset[str] = frozenset()
    granted: frozenset[str] = frozenset()   # datasets granted to the account or its groups
    token: str | None = None                # the API token's name, when it came with one

    @property
    def anonymous(self) -> bool:
        return self.name is None

    @property
    def actor(self) -> str:
        """How the audit log names the caller."""
        if self.name is None:
            return "anonymous"
        return f"token:{self.token}@{self.name}" if self.token else self.name


ANONYMOUS = Principal()


class HasVisibility(Protocol):
    name: str
    visibility: str


@dataclass(frozen=True)
class ReadScope:
    full: frozenset[str] = field(default_factory=frozenset)
    redacted: frozenset[str] = field(default_factory=frozenset)
    # Who it is the scope of: their tags and notes (access/annotations.py) are theirs.
    reader: Principal = ANONYMOUS

    def access(self, dataset: str) -> Access:
        if dataset in self.full:
            return Access.FULL
        if dataset in self.redacted:
            return Access.REDACTED
        return Access.NONE

    def can_read(self, dataset: str) -> bool:
        return dataset in self.full or dataset in self.redacted

    @property
    def datasets(self) -> list[str]:
        return sorted(self.full | self.redacted)

    @property
    def empty(self) -> bool:
        return not self.full and not self.redacted


def read_scope(principal: Principal, datasets: list[HasVisibility]) -> ReadScope:
    full, redacted = set(), set()
    for dataset in datasets:
        if principal.is_admin or dataset.name in principal.granted:
            full.add(dataset.name)
        elif dataset.visibility == "public":
            redacted.add(dataset.name)
    return ReadScope(frozenset(full), frozenset(redacted), principal)


def check_visibility(value: str) -> str:
    if value not in VISIBILITIES:
        raise ValueError(f"visibility is one of {', '.join(VISIBILITIES)}, not {value!r}")
    return value
