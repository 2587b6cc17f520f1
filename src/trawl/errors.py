"""The errors every layer shares, and the codes that say why a file failed or was skipped.

Exceptions
----------
Each layer raises these rather than its own look-alikes, so that the CLI and the web map them
to one exit status or HTTP status each, and a layer above never has to catch a layer below's
private exception types:

* `NotFound`: no such dataset, document, table, row or file, *or* one the caller may not read
  (the two are indistinguishable on purpose). CLI exit 2, HTTP 404.
* `BadRequest`: a parameter or a query that cannot be answered as given. CLI exit 2, HTTP 400.
* `Busy`: the work cannot be done now (another writer holds the data directory, a job is
  running); trying later may succeed. CLI exit 1, HTTP 409/503.
* `DiskFull`: the disk that holds the data folder (or its scratch space) is full. No file is
  to blame, so none is recorded as failed: the run stops, what it had not committed stays
  pending, and the same command resumes once there is room. CLI exit 75 (EX_TEMPFAIL).
  `is_disk_full` recognises the condition however a library reports it.

Failure codes
-------------
A failed or skipped path records a short, stable `code` beside its free-text message, as
Hoover's `broken_reason` does: the message is for a reader, the code is for grouping
(`trawl status`, the overview, the API) and for deciding what `trawl retry --failed` retries.
A code is *retryable* when running the same file again may succeed without anything about the
file changing (a time limit, the memory limit, a worker that died, a file that could not be
read at that moment); the others (a corrupt or encrypted file, a safety limit) fail again the
same way, and are retried only by `trawl retry --all`.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass


class TrawlError(Exception):
    """The base of Trawl's own errors."""


class NotFound(TrawlError, LookupError):
    """Nothing by that name or id, or nothing the caller may read: the two look the same."""


class BadRequest(TrawlError, ValueError):
    """A request, parameter or query that cannot be answered as given."""


class Busy(TrawlError):
    """Not now: another process or job holds what this needs; trying again later may work."""


class DiskFull(TrawlError):
    """No room left where Trawl writes: stop, keep what is pending, resume with room."""


_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
# How SQLite (SQLITE_FULL) and Tantivy (an io::Error in a ValueError) say it.
_FULL_MESSAGES = ("database or disk is full", "No space left on device",
                  "Disk quota exceeded")


def is_disk_full(exc: BaseException | None) -> bool:
    """Whether `exc`, or an exception it was raised from, says the disk is full."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in _FULL_ERRNOS:
            return True
        if any(m in str(exc) for m in _FULL_MESSAGES):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


@dataclass(frozen=True)
class FailureCode:
    code: str
    retryable: bool
    meaning: str


_CODES = (
    FailureCode("encrypted", False, "encrypted, and no password given opened it"),
    FailureCode("unsupported", False, "a type Trawl does not extract"),
    FailureCode("empty", False, "an empty file"),
    FailureCode("corrupt", False, "malformed or truncated: the parser could not read it"),
    FailureCode("limit", False, "a safety limit was hit (size, ratio, count, depth, a quine)"),
    FailureCode("link", False, "a symbolic or hard link (links are not followed)"),
    FailureCode("special", False, "not a regular file (device, socket, pipe)"),
    FailureCode("timeout", True, "it ran past the time limit for one file"),
    FailureCode("memory", True, "it ran past the memory limit for one file"),
    FailureCode("crash", True, "the worker or the parser crashed on it"),
    FailureCode("tool", True, "an external tool failed for lack of resources"),
    FailureCode("io", True, "it could not be read (permissions, a vanished file, a disk error)"),
)
CODES: dict[str, FailureCode] = {c.code: c for c in _CODES}
RETRYABLE_CODES = frozenset(c.code for c in _CODES if c.retryable)
# Failures recorded before codes existed, and anything a code does not name.
UNKNOWN = "unknown"
UNKNOWN_MEANING = "recorded before Trawl kept failure codes, or of no known kind"


def is_retryable(code: str | None) -> bool:
    """Whether a failure with this code may succeed on a plain retry (unknown: yes)."""
    return code is None or code == UNKNOWN or code in RETRYABLE_CODES


def meaning_of(code: str | None) -> str:
    """What a code means, in a few words (English; the web translates its own copy)."""
    found = CODES.get(code or UNKNOWN)
    return found.meaning if found else UNKNOWN_MEANING
