"""What one worker process does with one file: hash, detect, extract, store the text.

Runs in a child process (see pool.py) so that a crash, a hang or a memory blow-up in a parser
or an external tool costs one file, not the run. The result is a small picklable record; the
extracted text goes straight into the blob store so large texts never cross the pipe.
"""

from __future__ import annotations

import hashlib
import shutil
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from trawl.ingestion.detect import detect_mime
from trawl.ingestion.entity_tasks import EntityReader, EntityResult, EntityTask
from trawl.ingestion.extractors.base import (
    EncryptedError,
    ExtractionContext,
    ExtractionError,
    ExtractionResult,
    Limits,
    RetryableError,
    Unsupported,
    distinct_member_names,
)
from trawl.ingestion.extractors.registry import Registry
from trawl.ingestion.ocr import OcrEngine, OcrSettings, OcrUnavailable
from trawl.ingestion.ocr_pages import OcrPageResult, OcrTask, PageReader
from trawl.ingestion.tables.stage import stage_tables
from trawl.language import guess_language
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, ChildEntry, Content

HASH_CHUNK = 4 * 1024 * 1024
DATE_KEYS = ("date", "created", "modified", "sent")


@dataclass
class Task:
    file_id: int
    source: str                   # the bytes to read: an original on disk, or a blob
    name: str                     # the file's own name (an extension hint only)
    sha256: str | None = None     # known for members and attachments


@dataclass
class TaskResult:
    file_id: int
    sha256: str | None = None
    size: int | None = None
    content: Content | None = None       # None: could not even be read (see error)
    children: list[ChildEntry] = field(default_factory=list)
    error: str | None = None
    code: str | None = None              # with `error`: its trawl.errors code
    known: bool = False                  # the content was already in the catalog
    seconds: float = 0.0


@dataclass
class WorkerConfig:
    blob_dir: Path
    tmp_dir: Path
    catalog_path: Path
    limits: Limits = field(default_factory=Limits)
    passwords: tuple[str, ...] = ()
    ocr: OcrSettings = field(default_factory=OcrSettings)  # the dataset's (ocr_stage.py)


class Worker:
    """Holds what is costly to set up once per process (the extractor registry)."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.registry = Registry()
        self.blobs = BlobStore(config.blob_dir)
        self._catalog: Catalog | None = None
        self._pages: PageReader | None = None
        self._entities: EntityReader | None = None

    def _known(self, sha256: str) -> bool:
        """Whether this content was already extracted (by an earlier file or run)."""
        if self._catalog is None:
            self._catalog = Catalog(self.config.catalog_path, readonly=True)
        return self._catalog.content(sha256) is not None

    def process(self, task: Task | OcrTask | EntityTask
                ) -> TaskResult | OcrPageResult | EntityResult:
        if isinstance(task, OcrTask):  # one page to OCR (ocr_stage.py)
            return self._ocr(task)
        if isinstance(task, EntityTask):  # a document's or rows' entities (entity_stage.py)
            if self._entities is None:
                self._entities = EntityReader(self.config.blob_dir)
            return self._entities.read(task)
        started = time.monotonic()
        result = TaskResult(task.file_id, task.sha256)
        try:
            if result.sha256 is None:
                result.sha256, result.size = hash_file(Path(task.source))
            else:
                result.size = Path(task.source).stat().st_size
        except OSError as exc:
            result.error, result.code = f"cannot read: {exc.strerror or exc}", "io"
            return result
        if self._known(result.sha256):
            result.known = True
            return result
        result.content, result.children = self._extract(task, result.sha256, result.size)
        result.seconds = time.monotonic() - started
        return result

    def _ocr(self, task: OcrTask) -> OcrPageResult:
        if self._pages is None:
            try:
                engine = OcrEngine(self.config.blob_dir, self.config.ocr, self.config.tmp_dir)
            except OcrUnavailable as exc:
                return OcrPageResult(task.file_id, task.sha256, task.page, error=str(exc),
                                     code="tool", retry_later=True)
            self._pages = PageReader(engine, self.config.passwords)
        return self._pages.read(task)

    def _extract(self, task: Task, sha: str, size: int) -> tuple[Content, list[ChildEntry]]:
        mime = detect_mime(Path(task.source), task.name)
        extractor = self.registry.for_mime(mime)
        content = Content(sha256=sha, size=size, mime=mime, status="done",
                          family=extractor.family if extractor else _family_of(mime),
                          extractor=extractor.__name__ if extractor else None,
                          extracted_at=time.time())
        if size == 0:
            return _skip(content, "empty file", "empty"), []
        if extractor is None:
            return _skip(content, f"unsupported file type: {mime}", "unsupported"), []
        work_dir = self.config.tmp_dir / f"task-{task.file_id}"
        work_dir.mkdir(parents=True, exist_ok=True)
        ctx = ExtractionContext(Path(task.source), mime, task.name, self.config.blob_dir,
                                work_dir, self.config.limits, self.config.passwords)
        try:
            extracted = extractor().extract(ctx)
        except Unsupported as exc:
            return _skip(content, str(exc) or "unsupported", exc.code), []
        except EncryptedError as exc:
            content.metadata["encrypted"] = True
            return _fail(content, f"encrypted: {exc}", exc.code), []
        except ExtractionError as exc:  # corrupt, a limit, a tool's time limit: it says which
            return _fail(content, f"{type(exc).__name__}: {exc}", exc.code), []
        except RetryableError as exc:
            return _fail(content, f"retryable: {exc}", exc.code), []
        except MemoryError:
            return _fail(content, "out of memory (the per-file memory limit was reached)",
                         "memory"), []
        except Exception as exc:  # a bug in a parser must cost one file, not the run
            # A parser that trips over a file trips over it again: the file is what it cannot
            # read, so it is "corrupt" (not retried by `retry --failed`), not a crash.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            return _fail(content, f"extractor error: {type(exc).__name__}: {exc} "
                                  f"({Path(where.filename).name}:{where.lineno})",
                         "corrupt"), []
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
            if content.error:
                content.error = _without_source(content.error, task)
        children = extracted.children or ctx.children
        if ctx.unlisted:
            extracted.warnings.append(f"{ctx.unlisted} more children were not extracted and "
                                      "are not listed")
        # What was found but not extracted is a path too: skipped or failed, saying why.
        entries = [
            *(ChildEntry(c.name, c.kind, c.sha256, c.size, c.mtime) for c in children),
            *(ChildEntry(n.name, n.kind, None, 0, n.mtime, n.status, n.reason[:2000], n.code)
              for n in ctx.not_extracted),
        ]
        names, renamed = distinct_member_names([e.name for e in entries])
        for entry, name in zip(entries, names, strict=True):
            entry.name = name
        extracted.warnings.extend(renamed[:100])
        if len(renamed) > 100:
            extracted.warnings.append(f"{len(renamed) - 100} more members renamed")
        self._fill(content, extracted)
        stage_tables(Path(task.source), content, task.name, self.config.tmp_dir,  # CSV/sheets
                     extracted.sheets)
        return content, entries

    def _fill(self, content: Content, extracted: ExtractionResult) -> None:
        text = extracted.full_text()
        limit = self.config.limits.max_text_chars
        if len(text) > limit:
            text = text[:limit]
            extracted.warnings.append(f"text truncated at {limit} characters")
        content.family = extracted.family or content.family
        content.title = (extracted.title or "").strip()[:1000] or None
        content.metadata = dict(extracted.metadata)
        if extracted.warnings:
            content.metadata["warnings"] = extracted.warnings
        content.page_count = len(extracted.pages) if extracted.pages is not None else None
        content.text_chars = len(text)
        if text.strip():
            content.text_key = self.blobs.put_text(text)
            content.language = guess_language(text)
        content.doc_date = _document_date(content.metadata)


def hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _skip(content: Content, reason: str, code: str) -> Content:
    content.status, content.error, content.error_code = "skipped", reason, code
    return content


def _fail(content: Content, error: str, code: str) -> Content:
    content.status, content.error, content.error_code = "failed", error[:2000], code
    return content


def _without_source(error: str, task: Task) -> str:
    """Library messages quote the file they read: a blob's path says nothing to a reader."""
    return error.replace(task.source, task.name)


def _family_of(mime: str) -> str:
    major, _, minor = mime.partition("/")
    if major in ("image", "audio", "video"):
        return major
    if "zip" in minor or "compressed" in minor or "archive" in minor:
        return "archive"
    return "other"


def _document_date(metadata: dict) -> str | None:
    for key in DATE_KEYS:
        value = metadata.get(key)
        if isinstance(value, str) and len(value) >= 10 and value[:4].isdigit():
            return value
    return None
