"""Exports of a search's results: one record per document (CSV, JSON lines), or a zip of the
originals with a `manifest.csv`.

Design
------
* The same search as the search page: the caller's scoped archive (search/service.py)
  runs the query, with its views, so an export holds exactly what the reader may find, a
  dataset read redacted through its masked twin (masked title, paths and snippet). There
  is no second query path: `Archive.every_hit` pages through `Archive.search`'s own code.
* Streamed: records are made a batch of hits at a time and the writers are generators of
  text or bytes, so the website sends them as they are made (a StreamingResponse) and the
  CLI writes them to a file; memory holds one batch whatever the number of results.
* The zip is written by the standard library's `zipfile` into a write-only sink: on a stream
  that cannot seek, zipfile writes each member's sizes and CRC after its data (a data
  descriptor), so a member is read from disk and sent in chunks and never held whole; what
  stays in memory is the central directory and the manifest (a few hundred bytes per
  member). What is compressed already (PDF, images, archives, Office's zips) is stored,
  the rest deflated (`compression_of`): measured, stored runs at the speed of reading and
  hashing the files, deflating PDFs and images took 5 to 7x as long for 7 % less. `stream-zip`
  or `zipstream-ng` would do the same streaming with one more dependency, and no more speed
  (the time goes to deflate, which is zlib's in both).
* The zip stops cleanly at a size limit (`max_bytes`, the originals' sizes added up): what
  did not fit is named in the manifest's `note` column, so the reader knows the export is
  partial and why. A document whose original is not there (moved since ingestion) is a
  manifest row with a note too. A reader of the redacted view never gets originals: the
  caller refuses a zip over a dataset read redacted before anything is sent.
* Member names are the documents' paths under their dataset's name; a path part `..` (a
  member of a zip in the dump) is written `_..`, so that unpacking the export never writes
  outside its folder.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any, BinaryIO

from trawl.access.policy import Access
from trawl.csv_cells import csv_cell
from trawl.errors import NotFound
from trawl.index.base import IndexHit, QueryError, SearchQuery
from trawl.search.originals import original_path
from trawl.search.service import Archive
from trawl.storage.catalog import FileRow

FORMATS = ("csv", "jsonl", "zip")
COLUMNS = ("id", "dataset", "title", "path", "paths", "type", "date", "size", "snippet",
           "url", "tags")
MANIFEST_COLUMNS = ("path", "sha256", "size", "note")
# How many documents one export holds at most (a CSV of every hit of `*` in a 10 GB dump
# is a few hundred MB; past this, narrow the search).
MAX_RECORDS = 1_000_000
# The zip's limit on the originals' bytes, unless the environment or the command says.
DEFAULT_MAX_ZIP_BYTES = 2 * 1024**3
CHUNK = 1024 * 1024
# Originals already compressed (PDF streams, images, archives, Office's own zips) are stored:
# deflating them gained 7 % at a fifth of the speed (benchmarks/exports_bench.py); the rest
# (text, mail, HTML, old Office files) is deflated.
STORED_FAMILIES = {"pdf", "image", "archive", "audio", "video"}
ZIPPED_TYPES = ("zip", "openxmlformats", "opendocument", "epub", "compressed", "jpeg", "png")
LEVEL = 6  # zlib's default: only text-like members are deflated, and they are small
COMPRESSION: int | None = None  # None: by type, as above (the benchmark forces one)


def max_zip_bytes() -> int:
    """The zip export's size limit: TRAWL_EXPORT_MAX_BYTES, else 2 GiB."""
    value = os.environ.get("TRAWL_EXPORT_MAX_BYTES", "")
    return int(value) if value.isdigit() else DEFAULT_MAX_ZIP_BYTES


def tags_of(archive: Archive, ids: list[str]) -> dict[str, list[str]]:
    """The tags the caller sees on each of these documents: the one place the `tags`
    column is filled from (none yet: tags and notes are #16's item 3)."""
    return {}


@dataclass
class Export:
    """One export's search, already checked (its first batch is read before any byte is
    sent, so a mistake in the query is the request's own error)."""

    archive: Archive
    query: SearchQuery
    total: int
    url_of: Callable[[IndexHit], str]
    most: int = MAX_RECORDS

    @property
    def count(self) -> int:
        return min(self.total, self.most)

    def hits(self) -> Iterator[IndexHit]:
        return self.archive.every_hit(self.query, self.most)

    def records(self) -> Iterator[dict[str, Any]]:
        """One dict per document, COLUMNS as keys, a batch of hits at a time."""
        batch: list[IndexHit] = []
        for hit in self.hits():
            batch.append(hit)
            if len(batch) == 200:
                yield from self._records(batch)
                batch = []
        yield from self._records(batch)

    def _records(self, hits: list[IndexHit]) -> Iterator[dict[str, Any]]:
        tags = tags_of(self.archive, [h.id for h in hits]) if hits else {}
        for hit in hits:
            view = self.archive.find(hit.id)
            yield {
                "id": hit.id, "dataset": hit.dataset, "title": hit.title or None,
                "path": hit.path, "paths": view.paths, "type": hit.family or None,
                "date": hit.date.isoformat() if hit.date else None, "size": hit.size,
                "snippet": " ".join(hit.snippet.text.split()), "url": self.url_of(hit),
                "tags": tags.get(hit.id, []),
            }


def start(archive: Archive, query: SearchQuery, url_of: Callable[[IndexHit], str],
          fmt: str, most: int = MAX_RECORDS) -> Export:
    """The export of `query` as `archive`'s caller sees it, or QueryError (rows, an unknown
    format) / PermissionError (originals of a dataset read redacted)."""
    if fmt not in FORMATS:
        raise QueryError(f"the export format is one of {', '.join(FORMATS)}, not {fmt!r}")
    if query.record == "rows":
        raise QueryError("an export holds documents; rows of tables are exported from "
                         "their table's page")
    query = replace(query, collapse=False, offset=0, limit=1, facets=())
    if fmt == "zip" and redacted_datasets(archive, query):
        raise PermissionError(
            "the originals of a public dataset are not exported, only its redacted text "
            "(CSV or JSON lines); for a zip, search only datasets you read in full: "
            + ", ".join(redacted_datasets(archive, query)) + " is read redacted")
    try:
        total = archive.search(query).total
    except NotFound as exc:  # a dataset filter naming no dataset: a mistake in the query
        raise QueryError(str(exc)) from None
    return Export(archive, query, total, url_of, most)


def redacted_datasets(archive: Archive, query: SearchQuery) -> list[str]:
    """The datasets of the search that its caller reads redacted."""
    names = query.datasets or [ds.name for ds in archive.datasets()]
    return sorted(n for n in names if archive.access(n) == Access.REDACTED)


# -- writers -----------------------------------------------------------------------------------
def csv_rows(export: Export) -> Iterator[list[Any]]:
    """The header, then one row per document (a list of paths as lines of one cell)."""
    yield list(COLUMNS)
    for record in export.records():
        yield [_cell(record[c]) for c in COLUMNS]


def _cell(value: Any) -> Any:
    return "\n".join(value) if isinstance(value, list) else value


def jsonl_lines(export: Export) -> Iterator[str]:
    for record in export.records():
        yield json.dumps(record, ensure_ascii=False) + "\n"


class _Sink(io.RawIOBase):
    """A write-only stream that keeps what was written until it is taken: zipfile writes
    into it, the generator sends what it holds after each chunk."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._chunks)
        self._chunks.clear()
        return out


@dataclass
class ZipSummary:
    """What a zip export held, known once it is written (the CLI prints it)."""

    members: int = 0
    bytes: int = 0
    left_out: int = 0


def zip_chunks(export: Export, max_bytes: int, summary: ZipSummary | None = None
               ) -> Iterator[bytes]:
    """The zip of the originals of every hit, with `manifest.csv` last, as bytes to send."""
    summary = summary if summary is not None else ZipSummary()
    sink = _Sink()
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(MANIFEST_COLUMNS)
    names: set[str] = set()
    full = False
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED,
                         compresslevel=LEVEL) as zf:
        for hit in export.hits():
            view = export.archive.find(hit.id)
            name = member_name(hit.dataset, view.path, names)
            size = view.content.size
            full = full or summary.bytes + size > max_bytes
            source = None if full else _opened(original_path(export.archive, view))
            if source is None:
                summary.left_out += 1
                _manifest_row(writer, [name, view.content.sha256 or "", size,
                                       _left_out(full, max_bytes)])
                continue
            info = _member_info(name, view.files, view.content.family, view.content.mime)
            with source:
                digest = yield from _member(zf, sink, info, source)
            summary.members += 1
            summary.bytes += size
            _manifest_row(writer, [name, digest, size, ""])
            yield sink.take()
        zf.writestr("manifest.csv", manifest.getvalue().encode("utf-8"))
    yield sink.take()


def _opened(path: os.PathLike[str] | None) -> BinaryIO | None:
    """The original, open before its member is begun: one that went since the check is
    left out with a note, not a broken zip."""
    try:
        return open(path, "rb") if path is not None else None  # noqa: SIM115 (closed by caller)
    except OSError:
        return None


def _left_out(full: bool, max_bytes: int) -> str:
    if full:
        return f"left out: the export stops at its limit of {max_bytes} bytes"
    return "the original is not available (moved, changed or deleted since it was ingested)"


def _member_info(name: str, files: list[FileRow], family: str | None, mime: str | None
                 ) -> zipfile.ZipInfo:
    """The member's header: its name, the file's modification time as ingested (zip times
    start in 1980), and stored or deflated by its type."""
    mtime = next((f.mtime for f in files if f.mtime), None) or time.time()
    info = zipfile.ZipInfo(name, date_time=time.gmtime(max(mtime, 315532800))[:6])
    info.compress_type = compression_of(family, mime)
    # What ZipFile.open sets from the archive's level when given a name (renamed in 3.13).
    setattr(info, "compress_level" if hasattr(info, "compress_level") else "_compresslevel",
            LEVEL)
    return info


def compression_of(family: str | None, mime: str | None) -> int:
    """ZIP_STORED for what is compressed already, else ZIP_DEFLATED."""
    if COMPRESSION is not None:
        return COMPRESSION
    packed = family in STORED_FAMILIES or any(t in (mime or "") for t in ZIPPED_TYPES)
    return zipfile.ZIP_STORED if packed else zipfile.ZIP_DEFLATED


def _member(zf: zipfile.ZipFile, sink: _Sink, name: zipfile.ZipInfo, source: BinaryIO
            ) -> Iterator[bytes]:
    """Copy one original into the zip a chunk at a time; its SHA-256 as read (the generator's
    return value)."""
    digest = hashlib.sha256()
    with zf.open(name, "w", force_zip64=True) as dest:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            dest.write(chunk)
            out = sink.take()
            if out:
                yield out
    return digest.hexdigest()


def _manifest_row(writer: Any, row: list[Any]) -> None:
    writer.writerow([csv_cell(value) for value in row])


def member_name(dataset: str, path: str, taken: set[str]) -> str:
    """`dataset/path` with no part that climbs out of the folder it is unpacked into, and
    made unique (two documents may show one masked path)."""
    parts = [("_" + p if p in ("..", ".") else p) for p in path.split("/") if p]
    name = "/".join([dataset.replace("/", "_"), *parts]) or dataset
    unique, n = name, 1
    while unique in taken:
        n += 1
        stem, dot, ext = name.rpartition(".")
        unique = f"{stem}-{n}.{ext}" if dot and "/" not in ext else f"{name}-{n}"
    taken.add(unique)
    return unique
