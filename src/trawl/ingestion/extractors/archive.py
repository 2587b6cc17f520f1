"""Archives (ZIP, TAR, 7Z, RAR, ISO, CPIO, CAB, ...) and single-file compressors.

Archives are read through libarchive, one member at a time: each regular file is streamed
straight into the blob store by `ctx.add_child`, which enforces the size, count and ratio
limits, so a zip bomb is stopped while it inflates, not after. A limit costs the members it
stops, not the archive: those read before it are kept, the others are skipped members.
Nothing is ever written under a member's own name: the name is only a label. Links and device
files are never followed or read (they are skipped members); a directory is no member.

What libarchive cannot read at all (7z or RAR encryption, ZIP 'implode' or 'deflate64', split
or damaged ZIPs) goes to the `7z` program, whose standard output is cut back into members by
the sizes it lists: it never writes to disk either. A damaged archive keeps the members read
before the damage (with a warning): the pipeline drops every child of a failed file.

A member that is not extracted (a link, a special file, an encrypted or unreadable member) is
still recorded: the pass that reads the archive hands them to `ctx.not_extracted`, and each
becomes a `files` row of its own, skipped or failed, with why and its code.
"""

from __future__ import annotations

import bz2
import ctypes
import gzip
import lzma
import re
import subprocess
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from charset_normalizer import from_bytes
from libarchive import ffi
from libarchive.entry import ArchiveEntry
from libarchive.exception import ArchiveError
from libarchive.read import ArchiveRead

from trawl.ingestion.extractors.base import (
    Child,
    EncryptedError,
    ExtractionContext,
    ExtractionError,
    ExtractionResult,
    Extractor,
    LimitExceeded,
    Limits,
    NotExtracted,
    RetryableError,
    sanitize_member_name,
)

# Compression filters that libarchive implements itself. `all` would also enable filters that
# run external programs (lrzip, lzop, grzip) on hostile input, which we do not want.
_SAFE_FILTERS = ("gzip", "bzip2", "xz", "lzma", "lzip", "zstd", "compress", "lz4")
_BLOCK = 64 * 1024
_ARCHIVE_FAILED = -25  # libarchive: this entry failed, the archive can still be read
_NAME_ENCODINGS = [  # code pages seen in real archives whose names are not UTF-8
    "utf_8", "cp437", "cp850", "cp866", "cp1252", "cp1250", "cp1251",
    "gb18030", "big5", "cp932", "cp949",
]  # fmt: skip


@dataclass
class _Pending:
    """A member name that is not valid UTF-8: fixed once all names of the archive are known."""

    raw: bytes
    child: Child | None = None
    skipped: NotExtracted | None = None


@dataclass
class _Walk:
    """What one pass over an archive found, besides the children already stored."""

    members: int = 0
    total: int = 0
    # Members not extracted, recorded as paths of their own; past a limit (a hostile archive
    # of millions of links), only counted.
    skipped: list[NotExtracted] = field(default_factory=list)
    skipped_count: int = 0
    max_listed: int = Limits.max_not_extracted
    encrypted: int = 0  # members no configured password opened
    unreadable: int = 0  # members this reader cannot decode (method or encryption unsupported)
    error: str | None = None  # why the pass stopped before the end
    format: str | None = None
    decrypted: bool = False  # a configured password opened it
    warnings: list[str] = field(default_factory=list)
    pending: list[_Pending] = field(default_factory=list)

    def skip(self, name: str | bytes, reason: str, code: str, *, failed: bool = False,
             mtime: float | None = None) -> None:
        """A member not extracted: skipped (or `failed`), why (for a reader) and its code."""
        self.skipped_count += 1
        if len(self.skipped) >= self.max_listed:
            return
        entry = NotExtracted(sanitize_member_name(_label(name)), "member",
                             "failed" if failed else "skipped", reason, code, mtime)
        if isinstance(name, bytes):
            self.pending.append(_Pending(name, skipped=entry))
        self.skipped.append(entry)

    @property
    def failed(self) -> bool:
        """Nothing read, and not because the archive is empty: another reader may do better."""
        return not self.members and bool(self.error or self.unreadable)


class _RatioGuard:
    """Stops an archive whose members together expand too much compared to the archive file.

    `add_child` checks each member against its own compressed size where known; this guard
    also catches the many-members bomb, where each member is small but the sum is not.
    """

    def __init__(self, ctx: ExtractionContext) -> None:
        self.limits = ctx.limits
        self.packed = max(ctx.path.stat().st_size, 1)
        self.total = 0

    def count(self, n: int) -> None:
        self.total += n
        if (
            self.total > self.limits.ratio_check_min_size
            and self.total / self.packed > self.limits.max_compression_ratio
        ):
            raise LimitExceeded(
                f"archive expands more than {self.limits.max_compression_ratio:.0f} times "
                "its size: possible zip bomb"
            )


class _BlockReader:
    """A read()-able view of an iterator of byte blocks, counted by a ratio guard."""

    def __init__(self, blocks: Iterator[bytes], guard: _RatioGuard) -> None:
        self.blocks = blocks
        self.guard = guard

    def read(self, size: int = -1) -> bytes:
        block = next(self.blocks, b"")
        self.guard.count(len(block))
        return block


class _ExactReader:
    """Reads exactly `size` bytes of a pipe (one member of `7z x -so` output)."""

    def __init__(self, stream: IO[bytes], size: int, guard: _RatioGuard) -> None:
        self.stream = stream
        self.left = size
        self.guard = guard

    def read(self, size: int = -1) -> bytes:
        want = self.left if size < 0 else min(size, self.left)
        data = self.stream.read(want) if want > 0 else b""
        if want > 0 and not data:
            raise ExtractionError("7z output ended before the member did")
        self.left -= len(data)
        self.guard.count(len(data))
        return data

    def drain(self) -> None:
        while self.read(1024 * 1024):
            pass


def _entry_blocks(archive: ArchiveRead, walk: _Walk, name: str | bytes) -> Iterator[bytes]:
    """The current entry's data. libarchive-c's own `get_blocks` takes ARCHIVE_WARN (say, a bad
    checksum, returned along with the last block) for a length and yields stale buffer bytes;
    here the warning is recorded and reading goes on: the block is still there to copy."""
    buffer = ctypes.create_string_buffer(_BLOCK)
    warnings = 0
    while True:
        size = ffi.read_data(archive._pointer, buffer, _BLOCK)  # libarchive-c has no public handle
        if size == 0:
            return
        if size < 0:
            warnings += 1
            error = ffi.error_string(archive._pointer) or b"warning"
            walk.warnings.append(f"{_label(name)}: {error.decode('utf-8', 'replace')}")
            if warnings > 3:  # a reader that only warns would loop forever
                return
            continue
        yield buffer.raw[:size]


def _label(name: str | bytes) -> str:
    """A member name as text; undecodable bytes get a provisional Latin-1 reading."""
    if isinstance(name, bytes):
        return name.decode("latin-1")
    return name


@contextmanager
def _open_archive(
    path: Path, formats: Sequence[str], filters: Sequence[str], passwords: Sequence[str]
) -> Iterator[ArchiveRead]:
    """libarchive reader with several formats, filters and passphrases (libarchive-c's
    own helpers accept only one of each)."""
    archive_p = ffi.read_new()
    try:
        for password in passwords:
            if password:
                ffi.read_add_passphrase(archive_p, password.encode("utf-8"))
        for name in filters:
            ffi.get_read_filter_function(name)(archive_p)
        for name in formats:
            ffi.get_read_format_function(name)(archive_p)
        ffi.read_open_filename_w(archive_p, str(path), 64 * 1024)
        # Names that are not UTF-8 come back as bytes; _fix_names decodes them.
        yield ArchiveRead(archive_p)
    finally:
        ffi.read_free(archive_p)


def _is_unsupported_encryption(exc: ArchiveError) -> bool:
    message = str(exc.msg or "").lower()
    return "encrypt" in message and ("not supported" in message or "unavailable" in message)


def _is_wrong_password(exc: ArchiveError) -> bool:
    message = str(exc.msg or "").lower()
    return "passphrase" in message or "decrypt" in message


def _zip_packed_sizes(ctx: ExtractionContext) -> dict[str, int]:
    """Compressed size of each ZIP member by name, from the central directory (cheap)."""
    if ctx.mime not in ("application/zip", "application/x-zip-compressed"):
        return {}
    sizes: dict[str, int] = {}
    errors = (zipfile.BadZipFile, OSError, ValueError, NotImplementedError)
    with suppress(*errors), zipfile.ZipFile(ctx.path) as archive:
        for info in archive.infolist()[: ctx.limits.max_children_count]:
            sizes[info.filename] = info.compress_size
    return sizes


def _skip_reason(entry: ArchiveEntry) -> tuple[str, str] | None:
    """Why a link or a special entry is not extracted, and its code; None for a regular file
    (and a directory, which is not a member of its own)."""
    if entry.issym:
        return f"symbolic link to {_label(entry.linkpath or '')[:255]} (not followed)", "link"
    if entry.islnk:
        return f"hard link to {_label(entry.linkpath or '')[:255]} (not followed)", "link"
    if not entry.isreg and not entry.isdir:
        return "special file (device, pipe or socket)", "special"
    return None


def _walk_archive(
    ctx: ExtractionContext, archive: ArchiveRead, walk: _Walk, guard: _RatioGuard
) -> None:
    """Store every regular member of an open archive as a child of `ctx`."""
    packed = _zip_packed_sizes(ctx)
    for entry in archive:
        name = entry.pathname or ""
        walk.format = walk.format or _format_name(archive)
        if entry.isdir:
            continue
        skipped = _skip_reason(entry)
        if skipped:
            walk.skip(name, *skipped, mtime=entry.mtime)
            continue
        try:
            child = ctx.add_child(
                _label(name),
                _BlockReader(_entry_blocks(archive, walk, name), guard),
                kind="member",
                mtime=entry.mtime,
                compressed_size=packed.get(name) if isinstance(name, str) else None,
            )
        except ArchiveError as exc:
            if not _entry_failed(exc, name, walk):
                raise
            continue
        except LimitExceeded as exc:
            # This member is too large, or the archive as a whole now is: what came before is
            # kept. Past an archive-wide limit, every next member stops at its first block.
            walk.skip(name, str(exc), exc.code, mtime=entry.mtime)
            continue
        walk.members += 1
        walk.total += child.size
        if isinstance(name, bytes):
            walk.pending.append(_Pending(name, child=child))


def _entry_failed(exc: ArchiveError, name: str | bytes, walk: _Walk) -> bool:
    """Record a member libarchive could not read; False if the whole archive is unusable."""
    if _is_unsupported_encryption(exc):
        walk.unreadable += 1
        walk.skip(name, "encrypted in a way libarchive cannot decrypt", "encrypted", failed=True)
        return exc.retcode == _ARCHIVE_FAILED
    if exc.retcode != _ARCHIVE_FAILED:
        return False
    if _is_wrong_password(exc):
        walk.encrypted += 1
        walk.skip(name, "encrypted: no configured password opened it", "encrypted", failed=True)
    else:
        walk.unreadable += 1
        walk.skip(name, f"unreadable: {exc.msg}", "corrupt", failed=True)
    return True


def _libarchive_pass(
    ctx: ExtractionContext, guard: _RatioGuard, formats: Sequence[str], filters: Sequence[str]
) -> _Walk:
    walk = _Walk(max_listed=ctx.limits.max_not_extracted)
    try:
        with _open_archive(ctx.path, formats, filters, ctx.passwords) as archive:
            _walk_archive(ctx, archive, walk, guard)
    except ArchiveError as exc:
        walk.error = str(exc.msg or "unrecognised or damaged archive")
        if _is_unsupported_encryption(exc):
            walk.unreadable += 1
        if walk.members:  # a truncated dump is common: keep what came before the damage
            walk.warnings.append(f"archive damaged after {walk.members} members: {walk.error}")
    return walk


def _fix_names(walk: _Walk) -> None:
    """Decode the non-UTF-8 names of an archive together: one guess from all of them is far
    better than one per (short) name."""
    if not walk.pending:
        return
    sample = b"\n".join(p.raw for p in walk.pending[:2000])
    best = from_bytes(sample, cp_isolation=_NAME_ENCODINGS).best()
    encoding = best.encoding if best else "cp437"  # the ZIP default when nothing fits
    for pending in walk.pending:
        name = pending.raw.decode(encoding, errors="replace")
        if pending.child is not None:
            pending.child.name = sanitize_member_name(name)
        if pending.skipped is not None:
            pending.skipped.name = sanitize_member_name(name)


def _result(ctx: ExtractionContext, walk: _Walk, **metadata: Any) -> ExtractionResult:
    """The archive's result; an archive whose every member is locked is an encrypted file.
    The members it did not extract become the context's, to be recorded as paths."""
    if walk.encrypted and not walk.members:
        raise EncryptedError("archive is encrypted and no configured password opened it")
    if walk.encrypted or walk.unreadable:
        walk.warnings.append(f"{walk.encrypted + walk.unreadable} members could not be read")
    _fix_names(walk)
    ctx.not_extracted.extend(walk.skipped)
    meta: dict[str, Any] = {"member_count": walk.members, "total_size": walk.total}
    meta.update({k: v for k, v in metadata.items() if v is not None})
    if walk.format:
        meta["archive_format"] = walk.format
    if walk.skipped_count:
        meta["skipped_count"] = walk.skipped_count
    if unlisted := walk.skipped_count - len(walk.skipped):
        meta["unlisted_members"] = unlisted
        walk.warnings.append(f"{unlisted} more members were not extracted and are not listed "
                             f"(more than {walk.max_listed})")
    return ExtractionResult(title=None, metadata=meta, warnings=walk.warnings)


class ArchiveExtractor(Extractor):
    """Multi-file archives. libarchive first; when it can read nothing (7z or RAR encryption,
    ZIP 'implode' or 'deflate64', a damaged central directory), the ZIP streaming reader and
    then the 7z program get a turn."""

    mimes = frozenset({
        "application/zip", "application/x-zip-compressed",
        "application/x-tar", "application/x-gtar", "application/x-ustar",
        "application/x-7z-compressed",
        "application/x-rar", "application/vnd.rar", "application/x-rar-compressed",
        "application/x-iso9660-image",
        "application/x-cpio",
        "application/vnd.ms-cab-compressed",
        "application/x-lha", "application/x-lzh-compressed",
        "application/x-xar",
        "application/x-archive",
    })  # fmt: skip
    family = "archive"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        guard = _RatioGuard(ctx)
        walk = _libarchive_pass(ctx, guard, ["all"], _SAFE_FILTERS)
        if not walk.failed:
            return _result(ctx, walk)
        first = walk
        if "zip" in ctx.mime:  # a ZIP whose central directory is broken may still stream
            walk = _libarchive_pass(ctx, guard, ["zip_streamable"], ())
            if not walk.failed:
                return _result(ctx, walk)
        walk = SevenZip(ctx, guard).walk()
        if not walk.failed:
            return _result(ctx, walk, encrypted=walk.decrypted or None)
        reason = first.error or "; ".join(s.reason for s in first.skipped[:3])
        raise ExtractionError(f"cannot read archive: {reason}")


# -- the 7z program, for what libarchive cannot read -----------------------------------------


@dataclass
class _ListedMember:
    name: str
    size: int
    packed: int | None
    mtime: float | None
    kind: str  # "file" | "dir" | "link"
    encrypted: bool


def _parse_7z_listing(text: str) -> list[_ListedMember]:
    """Members from `7z l -slt`: blocks of `Key = Value` lines after a '----------' line."""
    _, _, body = text.partition("\n----------\n")
    members = []
    for block in re.split(r"\n\s*\n", body):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, sep, value = line.partition(" = ")
            if sep:
                fields[key.strip()] = value
        if "Path" in fields:
            members.append(_listed_member(fields))
    return members


def _listed_member(fields: dict[str, str]) -> _ListedMember:
    attributes = fields.get("Attributes", "")
    unix_mode = attributes.split()[-1] if attributes.split() else ""
    kind = "file"
    if fields.get("Folder") == "+" or unix_mode.startswith("d") or attributes.startswith("D"):
        kind = "dir"
    elif unix_mode.startswith("l") or fields.get("Symbolic Link") or fields.get("Hard Link"):
        kind = "link"
    return _ListedMember(
        name=fields["Path"],
        size=_int(fields.get("Size")) or 0,
        packed=_int(fields.get("Packed Size")),
        mtime=_7z_time(fields.get("Modified", "")),
        kind=kind,
        encrypted=fields.get("Encrypted") == "+",
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


def _7z_time(value: str) -> float | None:
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _password_line(password: str) -> bytes:
    """A password as 7z reads it when it asks for one: a line of its standard input."""
    return password.encode("utf-8") + b"\n"


class SevenZip:
    """Reads an archive with the `7z` program, never letting it write to disk.

    `7z x -so` writes every non-directory member's bytes, in listing order, to standard
    output; the listing's sizes cut that stream back into members.

    Passwords never go on its command line (`-p...`), which every local user reads in `ps`
    and /proc/PID/cmdline: without `-p`, 7z asks for the password when it meets encryption
    and reads it as a line of its standard input, a pipe only it and Trawl hold. The worker
    runs in a session of its own with no terminal (pool.py), so 7z cannot ask one instead.
    A password with a line break in it cannot be given that way, and is not tried here.
    """

    def __init__(self, ctx: ExtractionContext, guard: _RatioGuard) -> None:
        self.ctx = ctx
        self.guard = guard
        self.passwords = [p for p in ctx.passwords if "\n" not in p and "\r" not in p]

    def _run(self, command: str, password: str, *extra: str) -> tuple[int, str]:
        args = ["7z", command, "-y", "-bd", "-sccUTF-8", *extra, "--", str(self.ctx.path)]
        try:
            done = subprocess.run(
                args, capture_output=True, input=_password_line(password),
                cwd=self.ctx.tmp_dir, timeout=self.ctx.limits.tool_timeout_s, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise ExtractionError("7z timed out", code="timeout") from exc
        except FileNotFoundError as exc:
            raise RetryableError("7z is not installed") from exc
        return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")

    def _listing(self) -> tuple[str, list[_ListedMember], str]:
        """The password that lists the archive (headers may be encrypted), and its members."""
        output = ""
        for password in self.passwords:
            code, output = self._run("l", password, "-slt")
            members = _parse_7z_listing(output)
            if members or code == 0:
                return password, members, output
            if "encrypted" not in output.lower():
                break  # damaged or not an archive: another password will not help
        if "encrypted" in output.lower():
            raise EncryptedError("archive is encrypted and no configured password opened it")
        return "", [], output

    def _content_password(self, listed: str) -> str:
        for password in dict.fromkeys([listed, *self.passwords]):
            code, _ = self._run("t", password)  # decrypts and checks CRCs, writes nothing
            if code == 0:
                return password
        raise EncryptedError("archive is encrypted and no configured password opened it")

    def walk(self) -> _Walk:
        password, members, output = self._listing()
        kind = re.search(r"^Type = (.+)$", output, re.MULTILINE)
        walk = _Walk(format=f"{kind.group(1) if kind else 'unknown'} (read by 7z)",
                     max_listed=self.ctx.limits.max_not_extracted)
        if not members:
            walk.error = output.strip().splitlines()[-1] if output.strip() else "7z failed"
            return walk
        if any(m.encrypted for m in members):
            password = self._content_password(password)
        with subprocess.Popen(
            ["7z", "x", "-y", "-bd", "-so", "--", str(self.ctx.path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=self.ctx.tmp_dir,
        ) as proc:  # fmt: skip
            assert proc.stdin is not None and proc.stdout is not None
            with suppress(BrokenPipeError):  # one line: it fits the pipe, 7z reads it or not
                proc.stdin.write(_password_line(password))
            with suppress(BrokenPipeError):
                proc.stdin.close()
            try:
                self._split(proc.stdout, members, walk)
            except ExtractionError as exc:
                walk.error = str(exc)
            finally:
                proc.kill()  # a no-op once it has exited; stops it when we stop early
            if proc.wait() not in (0, -9) and not walk.error:
                walk.error = "7z reported an error while extracting"
        if walk.error and walk.members:
            walk.warnings.append(f"archive damaged after {walk.members} members: {walk.error}")
        return walk

    def _split(self, stream: IO[bytes], members: list[_ListedMember], walk: _Walk) -> None:
        for index, member in enumerate(members):
            if member.kind == "dir":
                continue
            reader = _ExactReader(stream, member.size, self.guard)
            if member.kind == "link":
                reader.drain()  # 7z writes a link's target as its data: read past it
                walk.skip(member.name, "link (not followed)", "link", mtime=member.mtime)
                continue
            try:
                child = self.ctx.add_child(
                    member.name, reader, kind="member", mtime=member.mtime,
                    compressed_size=member.packed,
                )  # fmt: skip
            except LimitExceeded as exc:
                # Reaching the next member means inflating the rest of this one through the
                # same limits: it and every member after it are skipped, none read.
                for rest in members[index:]:
                    if rest.kind != "dir":
                        walk.skip(rest.name, str(exc), exc.code, mtime=rest.mtime)
                return
            walk.members += 1
            walk.total += child.size
            walk.decrypted = walk.decrypted or member.encrypted


# -- single-file compressors ------------------------------------------------------------------

_COMPRESSORS = {
    "application/gzip": "gzip", "application/x-gzip": "gzip",
    "application/x-bzip2": "bzip2", "application/x-bzip": "bzip2",
    "application/x-xz": "xz", "application/x-lzma": "lzma",
    "application/zstd": "zstd", "application/x-zstd": "zstd",
    "application/x-lzip": "lzip", "application/x-compress": "compress",
    "application/x-lz4": "lz4",
}  # fmt: skip
# Suffixes a compressor adds, and what the decompressed file's name ends with instead.
_SUFFIXES = {
    ".tgz": ".tar", ".taz": ".tar", ".tbz": ".tar", ".tbz2": ".tar", ".txz": ".tar",
    ".tzst": ".tar", ".tlz": ".tar", ".svgz": ".svg", ".gz": "", ".gzip": "", ".z": "",
    ".bz2": "", ".bz": "", ".xz": "", ".lzma": "", ".zst": "", ".lz": "", ".lz4": "",
}  # fmt: skip


def decompressed_name(name: str) -> str:
    """'notes.txt.gz' -> 'notes.txt', 'x.tgz' -> 'x.tar'; an unknown suffix is kept."""
    stem, dot, suffix = name.rpartition(".")
    replacement = _SUFFIXES.get(f".{suffix.lower()}") if dot and stem else None
    return name if replacement is None else stem + replacement


def _python_stream(path: Path, codec: str) -> IO[bytes] | None:
    """Python's own decoders: they read multi-member gzip and empty streams, one layer only."""
    if codec == "gzip":
        return gzip.open(path, "rb")
    if codec == "bzip2":
        return bz2.open(path, "rb")
    if codec in ("xz", "lzma"):
        return lzma.open(path, "rb")
    return None


class CompressedExtractor(Extractor):
    """gzip, bzip2, xz, zstd, ...: a tar inside is read as an archive; anything else becomes
    one child named after the file minus its compression suffix."""

    mimes = frozenset(_COMPRESSORS)
    family = "archive"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        codec = _COMPRESSORS[ctx.mime]
        guard = _RatioGuard(ctx)
        walk = _libarchive_pass(ctx, guard, ["tar", "cpio"], [codec])
        if walk.members or (not walk.error and walk.format):
            return _result(ctx, walk, compression=codec)
        return self._single(ctx, codec, guard)

    def _single(self, ctx: ExtractionContext, codec: str, guard: _RatioGuard) -> ExtractionResult:
        name = decompressed_name(ctx.name)
        packed = ctx.path.stat().st_size
        try:
            stream = _python_stream(ctx.path, codec)
            if stream is not None:
                with stream:
                    child = ctx.add_child(name, _GuardedStream(stream, guard), kind="member",
                                          compressed_size=packed)  # fmt: skip
            else:
                with _open_archive(ctx.path, ["raw"], [codec], ()) as arc:
                    entry = next(iter(arc))
                    child = ctx.add_child(name, _BlockReader(entry.get_blocks(), guard),
                                          kind="member", compressed_size=packed)  # fmt: skip
        except (OSError, EOFError, zlib.error, lzma.LZMAError, ArchiveError, StopIteration) as exc:
            raise ExtractionError(f"cannot decompress ({codec}): {exc}") from exc
        meta = {"member_count": 1, "total_size": child.size, "compression": codec}
        return ExtractionResult(title=None, metadata=meta)


class _GuardedStream:
    def __init__(self, stream: IO[bytes], guard: _RatioGuard) -> None:
        self.stream = stream
        self.guard = guard

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.guard.count(len(data))
        return data


def _format_name(arc: ArchiveRead) -> str | None:
    fmt = arc.format_name
    return fmt.decode("ascii", "replace") if isinstance(fmt, bytes) else fmt
