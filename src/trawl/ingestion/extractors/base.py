"""The contract between the ingestion pipeline and format extractors.

Each format is one small class that declares the MIME types it handles (`mimes`) and turns a
file into an `ExtractionResult`: text (whole, or one string per page), a title, metadata, and
children (archive members, e-mail attachments, messages of a mailbox, embedded objects).

Extractors run inside a worker process that enforces a time and memory limit, so they may be
simple and synchronous. They never write anywhere but through `ExtractionContext`:
children go into the content-addressed blob store via `ctx.add_child`, temporary files into
`ctx.tmp_dir` (emptied after each file). They never interpret a child's name as a path.
A child found but not extracted (a link, an encrypted member, one past a limit) is recorded
with `ctx.skip_child`: it becomes a path of its own all the same, skipped or failed.

Errors are typed, as in Hoover's snoop: `ExtractionError` is permanent (the file is broken or
unsupported in a way a retry will not fix); `EncryptedError` is a permanent error that says the
file is encrypted and no known password opened it; `Unsupported` means the file is skipped with
a reason; `RetryableError` means a retry may succeed (a tool crashed for lack of resources).
Each carries the failure code (trawl.errors.CODES) that the catalog records beside its message:
the type's own, or one the raiser knows better (`ExtractionError(..., code="timeout")`), so
that no one has to guess a code from the message's words.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from trawl.errors import UNKNOWN
from trawl.storage.blobs import BlobStore

if TYPE_CHECKING:
    from trawl.ingestion.sheet import Sheet


class _Coded(Exception):
    """An error that says which failure code it is (trawl.errors.CODES)."""

    code: ClassVar[str] = UNKNOWN

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code  # type: ignore[misc]  # this one error's, over its type's


class ExtractionError(_Coded):
    """Permanent failure: the file cannot be read by this extractor."""

    code = "corrupt"


class EncryptedError(ExtractionError):
    """The file is encrypted and no configured password opened it."""

    code = "encrypted"


class Unsupported(_Coded):
    """The file is deliberately not extracted; the message is the reason recorded."""

    code = "unsupported"


class RetryableError(_Coded):
    """A failure that a later retry may not repeat (resource exhaustion, tool crash)."""

    code = "tool"


class LimitExceeded(ExtractionError):
    """A safety limit (size, ratio, count, depth) was hit: the container is hostile or huge."""

    code = "limit"


@dataclass(frozen=True)
class Limits:
    """Safety limits that keep hostile input harmless. All sizes are in bytes."""

    max_child_size: int = 2 * 1024**3          # one member or attachment
    max_children_total: int = 20 * 1024**3     # all members of one container together
    max_children_count: int = 200_000          # members of one container
    max_not_extracted: int = 200_000           # members not extracted listed, per container
    max_compression_ratio: float = 200.0       # uncompressed / compressed, for large members
    ratio_check_min_size: int = 10 * 1024**2   # ratios are only checked above this size
    max_text_chars: int = 50_000_000           # extracted text kept per document
    tool_timeout_s: float = 300.0              # one external tool call


@dataclass
class Child:
    """One thing found inside a file, already written to the blob store."""

    name: str                  # its name inside the container, '/'-separated, never a real path
    sha256: str
    size: int
    kind: str                  # "member" | "attachment" | "message" | "embedded"
    mtime: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass
class NotExtracted:
    """One thing found inside a file but not extracted (a link, an encrypted member, one past
    a limit): it still becomes a path of its own, skipped or failed, with why and its code."""

    name: str                  # as for Child: a label inside the container, never a real path
    kind: str
    status: str                # "skipped" | "failed"
    reason: str
    code: str                  # trawl.errors.CODES
    mtime: float | None = None


@dataclass
class ExtractionResult:
    """What an extractor found. Either `text` or `pages` (one string per page, 1-based order)."""

    text: str | None = None
    pages: list[str] | None = None
    title: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Set when the file turns out to be of another family than its extractor's (an encrypted
    # OOXML container that held a spreadsheet is a "spreadsheet", not "office").
    family: str | None = None
    # A workbook's sheets with their rows, as read for its text: the table staging takes them
    # instead of parsing the file a second time (None: it reads the file itself).
    sheets: list[Sheet] | None = None

    def full_text(self) -> str:
        if self.pages is not None:
            return "\n\f".join(self.pages)
        return self.text or ""


def sanitize_member_name(name: str) -> str:
    """A container member's name made safe to show and join: no '..', no leading '/', no '\\'.

    The name is only ever used as a label inside Trawl's own path scheme
    (`outer.zip/inner/file.pdf`); it is never used to open or create a file on disk.
    """
    parts = []
    for part in name.replace("\\", "/").split("/"):
        part = part.strip().replace("\x00", "")
        if part in ("", ".", ".."):
            continue
        parts.append(part[:255])
    return "/".join(parts) or "unnamed"


def distinct_member_names(names: list[str]) -> tuple[list[str], list[str]]:
    """The names of a container's members, each made unique: a zip may hold two members of
    one name, and two names may sanitise to one (``../a.txt`` and ``a.txt``), yet each
    member is a path of its own. The first keeps its name, a later one gets ``-2``, ``-3``
    before its extension (``dir/a-2.txt``), never a name another member has. Also returns
    what was renamed, as warnings for the container."""
    taken = set(names)
    seen: set[str] = set()
    out: list[str] = []
    renamed: list[str] = []
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        folder, slash, leaf = name.rpartition("/")
        stem, dot, ext = leaf.rpartition(".")
        if not dot or not stem or len(ext) > 10:
            stem, dot, ext = leaf, "", ""
        n = 2
        while (candidate := f"{folder}{slash}{stem}-{n}{dot}{ext}") in taken:
            n += 1
        taken.add(candidate)
        seen.add(candidate)
        out.append(candidate)
        renamed.append(f"another member is named {name}: this one is {candidate}")
    return out, renamed


class ExtractionContext:
    """What an extractor may use: the file, its type, passwords, limits, and a child writer."""

    def __init__(
        self,
        path: Path,
        mime: str,
        name: str,
        blob_dir: Path,
        tmp_dir: Path,
        limits: Limits | None = None,
        passwords: Iterable[str] = (),
    ) -> None:
        self.path = path            # the bytes to read (an original, or a blob)
        self.mime = mime
        self.name = name            # the file's own name, e.g. 'report.pdf' (a hint only)
        self.blob_dir = blob_dir
        self.tmp_dir = tmp_dir
        self.limits = limits or Limits()
        self.passwords = ["", *[p for p in passwords if p]]
        self.children: list[Child] = []
        self.not_extracted: list[NotExtracted] = []
        self.unlisted = 0  # children not extracted past the limit of those listed
        self._children_total = 0
        self._blobs: BlobStore | None = None

    # -- children -----------------------------------------------------------------------------
    def add_child(
        self,
        name: str,
        source: bytes | IO[bytes],
        kind: str,
        mtime: float | None = None,
        metadata: dict[str, Any] | None = None,
        compressed_size: int | None = None,
    ) -> Child:
        """Store a child's bytes in the blob store (streamed, limits enforced) and record it."""
        self.check_room()
        sha, size = self._store(source, compressed_size)
        child = Child(sanitize_member_name(name), sha, size, kind, mtime, metadata or {})
        self.children.append(child)
        return child

    def add_child_or_skip(
        self,
        name: str,
        source: bytes | IO[bytes],
        kind: str,
        mtime: float | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> Child | None:
        """`add_child`, except that a child past a safety limit is recorded as skipped (and
        None returned): it costs itself, not the container and its other children."""
        try:
            return self.add_child(name, source, kind, mtime, metadata)
        except LimitExceeded as exc:
            self.skip_child(name, kind, str(exc), exc.code, mtime=mtime)
            return None

    def check_room(self) -> None:
        """Raise LimitExceeded if this container may hold no more children (before a costly
        child is even read)."""
        if len(self.children) >= self.limits.max_children_count:
            raise LimitExceeded(f"more than {self.limits.max_children_count} members")

    def skip_child(self, name: str, kind: str, reason: str, code: str, *, failed: bool = False,
                   mtime: float | None = None) -> None:
        """Record a child that is not extracted: skipped (or `failed`), with why and its code.
        Past a limit (a hostile container of millions of links), only counted."""
        if len(self.not_extracted) >= self.limits.max_not_extracted:
            self.unlisted += 1
            return
        self.not_extracted.append(NotExtracted(
            sanitize_member_name(name), kind, "failed" if failed else "skipped", reason, code,
            mtime))

    def _store(self, source: bytes | IO[bytes], compressed_size: int | None) -> tuple[str, int]:
        store = self._blob_store()
        digest = hashlib.sha256()
        size = 0
        max_size = min(
            self.limits.max_child_size, self.limits.max_children_total - self._children_total
        )
        fd, tmp_name = tempfile.mkstemp(dir=store.tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in _chunks(source):
                    size += len(chunk)
                    if size > max_size:
                        raise LimitExceeded(
                            f"member larger than the limit ({max_size} bytes): possible zip bomb"
                        )
                    if (
                        compressed_size
                        and size > self.limits.ratio_check_min_size
                        and size / max(compressed_size, 1) > self.limits.max_compression_ratio
                    ):
                        raise LimitExceeded(
                            f"compression ratio above {self.limits.max_compression_ratio}: "
                            "possible zip bomb"
                        )
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            store.adopt(tmp_name, sha)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self._children_total += size
        return sha, size

    def _blob_store(self) -> BlobStore:
        if self._blobs is None:  # one per context: a mailbox may hold 100,000 children
            self._blobs = BlobStore(self.blob_dir)
        return self._blobs

    # -- external tools -----------------------------------------------------------------------
    def run_tool(self, args: list[str], timeout: float | None = None, **kw: Any) -> bytes:
        """Run an external program with a time limit; returns stdout or raises."""
        try:
            done = subprocess.run(
                args,
                capture_output=True,
                timeout=timeout or self.limits.tool_timeout_s,
                cwd=self.tmp_dir,
                check=False,
                **kw,
            )
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError(f"{args[0]} timed out after {exc.timeout:.0f}s",
                                  code="timeout") from exc
        except FileNotFoundError as exc:
            raise RetryableError(f"{args[0]} is not installed") from exc
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip()[-500:]
            raise ExtractionError(f"{args[0]} exited with {done.returncode}: {err}")
        return done.stdout


def _chunks(source: bytes | IO[bytes], size: int = 1024 * 1024) -> Iterable[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        view = memoryview(source)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
        return
    while chunk := source.read(size):
        yield chunk


class Extractor:
    """One format. Subclasses set `mimes` (exact MIME types) and implement `extract`."""

    mimes: ClassVar[frozenset[str]] = frozenset()
    # Higher wins when two extractors claim the same MIME type.
    priority: ClassVar[int] = 0
    # A short family name shown in facets: pdf, word, spreadsheet, email, archive, ...
    family: ClassVar[str] = "other"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        raise NotImplementedError
