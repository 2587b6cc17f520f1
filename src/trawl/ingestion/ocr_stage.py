"""The OCR stage: reads the pages that extraction listed for OCR, and puts their text in place.

Why it is shaped this way
-------------------------
* A stage of its own, after extraction: typed text is searchable at once and scans follow;
  `trawl ingest --no-ocr` stops before it and `trawl ocr` runs it later, with the same code,
  so both ways give the same text. Extraction records what needs reading on the content
  (`metadata["ocr"] = "pending"`, `pages_needing_ocr`), so the catalog is the queue.
* The unit of work is a page, sent to the same worker pool as extraction (pool.py): one
  Tesseract per core (the workers set OMP_THREAD_LIMIT=1), the pages of a long scan spread
  over every core, and each page has its own time limit (Tesseract's, and the pool's kill).
* Resumable: a content's OCR is recorded once all its pages are read. A run that is stopped
  leaves it pending; the next run asks again for each page, and the pages read before come
  back from the cache (keyed by the page image's hash, ocr.py), so no page is read twice.
* Only the coordinator writes the catalog (as in pipeline.py): workers return page texts
  (small), the coordinator merges them into the content's text and saves it.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from trawl.errors import UNKNOWN
from trawl.ingestion.ocr import OcrSettings, replaces_text_layer
from trawl.ingestion.ocr_pages import OcrPageResult, OcrTask
from trawl.ingestion.pool import WorkerPool
from trawl.ingestion.progress import Counters, Progress
from trawl.ingestion.worker import TaskResult, WorkerConfig
from trawl.language import guess_language
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Content, Dataset

log = logging.getLogger(__name__)

COMMIT_EVERY_S = 2.0
INDEX_EVERY_S = 15.0
# Beyond Tesseract's own limit, time to render the page and to wait for another worker that
# reads the same image (ocr.OcrCache.claim): the pool kills a worker only past both.
RENDER_ALLOWANCE_S = 60.0


@dataclass
class OcrSummary:
    documents: int = 0          # contents whose OCR was completed
    pages: int = 0              # pages handled (read, skipped or failed)
    pages_read: int = 0
    pages_cached: int = 0       # of which the cache had the result
    pages_failed: int = 0
    pages_skipped: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0    # the workers' (Tesseract included) and the coordinator's

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


@dataclass
class _Open:
    """A content whose pages are being read."""

    content: Content
    source: str
    kind: str
    remaining: set[int]
    results: dict[int, OcrPageResult] = field(default_factory=dict)


class OcrStage:
    def __init__(self, catalog: Catalog, blobs: BlobStore, dataset: Dataset,
                 config: WorkerConfig, workers: int, memory_limit: int | None,
                 on_saved: Callable[[str], None], flush: Callable[[], None],
                 live_progress: bool | None = None, quiet: bool = False) -> None:
        self.catalog = catalog
        self.blobs = blobs
        self.dataset = dataset
        self.config = config
        self.settings: OcrSettings = config.ocr
        self.workers = workers
        self.memory_limit = memory_limit
        self.on_saved = on_saved      # a content's text changed: its documents are re-indexed
        self.flush = flush            # index what was saved so far
        self.live_progress = live_progress
        self.quiet = quiet
        self.counters = Counters()
        self.summary = OcrSummary()
        self._tasks: dict[int, tuple[str, int]] = {}
        self._open: dict[str, _Open] = {}

    def run(self) -> OcrSummary:
        started, cpu = time.monotonic(), time.process_time()
        pending = self.catalog.contents_needing_ocr(self.dataset.id)
        if not pending:
            return self.summary
        self.counters.total = sum(pages for _, pages in pending)
        label = f"ocr {self.dataset.name}"
        pool = WorkerPool(self.workers, self.config,
                          self.settings.page_timeout_s + RENDER_ALLOWANCE_S, self.memory_limit)
        try:
            with Progress(label, self.live_progress, self.quiet, unit="pages") as progress:
                self._loop(pool, iter(pending), progress)
                progress.update(self.counters, force=True)
        finally:
            pool.close()
            self.catalog.commit()
        self.summary.seconds = time.monotonic() - started
        self.summary.cpu_seconds += time.process_time() - cpu
        return self.summary

    def _loop(self, pool: WorkerPool, pending: Iterator[tuple[str, int]],
              progress: Progress) -> None:
        jobs: deque[OcrTask] = deque()
        exhausted = False
        last_commit = last_index = time.monotonic()
        next_id = 1
        while True:
            while pool.idle() and not (exhausted and not jobs):
                if not jobs:
                    item = next(pending, None)
                    if item is None:
                        exhausted = True
                    else:
                        jobs.extend(self._start(item[0]))
                    continue
                task = jobs.popleft()
                task.file_id, next_id = next_id, next_id + 1
                self._tasks[task.file_id] = (task.sha256, task.page)
                pool.submit(task)
            if exhausted and not jobs and pool.busy() == 0:
                break
            for result in pool.collect(wait_s=0.2 if pool.busy() else 0):
                self._take(result)
            now = time.monotonic()
            if now - last_commit > COMMIT_EVERY_S:
                self.catalog.commit()
                last_commit = now
                progress.update(self.counters)
            if now - last_index > INDEX_EVERY_S:
                self.flush()
                last_index = time.monotonic()

    def _start(self, sha: str) -> list[OcrTask]:
        """The page tasks of one content (none when it cannot be read now)."""
        content = self.catalog.content(sha)
        pages = [int(p) for p in (content.metadata.get("pages_needing_ocr") or [])] \
            if content else []
        if content is None or not pages:
            if content is not None:  # nothing to read after all: done
                self._save(content, {})
            return []
        source = self._source(content)
        if source is None:
            # The original moved or is gone (it is read in place): it stays pending for a
            # run that can read it; its pages count as failed in this one.
            log.warning("OCR: no readable copy of %s; left for a later run", sha[:12])
            self.counters.done += len(pages)
            self.counters.failed += len(pages)
            self.summary.pages += len(pages)
            self.summary.pages_failed += len(pages)
            return []
        kind = "pdf" if content.family == "pdf" else "image"
        self._open[sha] = _Open(content, source, kind, set(pages))
        return [OcrTask(0, sha, source, kind, page) for page in pages]

    def _source(self, content: Content) -> str | None:
        """Where the bytes are: a file of the dataset still as it was, or a blob."""
        for row in self.catalog.files_of_content(self.dataset.id, content.sha256):
            if row.parent_id is None and self.dataset.root:
                path = Path(self.dataset.root) / row.path
                try:
                    if path.is_file() and path.stat().st_size == content.size:
                        return str(path)
                except OSError:
                    continue
        if self.blobs.exists(content.sha256):
            return str(self.blobs.path(content.sha256))
        return None

    def _take(self, result: OcrPageResult | TaskResult) -> None:
        sha, page = self._tasks.pop(result.file_id, ("", 0))
        state = self._open.get(sha)
        if state is None:
            return
        if isinstance(result, TaskResult):  # the worker was killed (time limit) or crashed
            result = OcrPageResult(result.file_id, sha, page,
                                   error=result.error or "the OCR worker failed",
                                   code=result.code or "crash")
        state.results[page] = result
        state.remaining.discard(page)
        self._count(result)
        if not state.remaining:
            del self._open[sha]
            later = next((r.error for r in state.results.values() if r.retry_later), None)
            if later:  # this run cannot read it (a password, Tesseract): left pending
                log.warning("OCR of %s left for a later run: %s", sha[:12], later)
            else:
                self._save(state.content, state.results)

    def _count(self, result: OcrPageResult) -> None:
        self.counters.done += 1
        self.summary.pages += 1
        self.summary.cpu_seconds += result.cpu_seconds
        if result.error:
            self.counters.failed += 1
            self.summary.pages_failed += 1
        elif result.skipped:
            self.counters.skipped += 1
            self.summary.pages_skipped += 1
        else:
            self.summary.pages_read += 1
            if result.result is not None and result.result.cached:
                self.summary.pages_cached += 1

    def _save(self, content: Content, results: dict[int, OcrPageResult]) -> None:
        old = self.blobs.get_text(content.text_key) if content.text_key else ""
        text = apply_ocr(content, old, results, self.settings.languages,
                         self.config.limits.max_text_chars)
        content.text_key = self.blobs.put_text(text) if text.strip() else None
        content.text_chars = len(text)
        content.language = guess_language(text) if text.strip() else None
        self.catalog.save_content(content, self.catalog.content_children(content.sha256))
        self.catalog.reset_indexed(content.sha256)
        self.summary.documents += 1
        self.on_saved(content.sha256)


def apply_ocr(content: Content, text: str, results: dict[int, OcrPageResult], languages: str,
              max_chars: int) -> str:
    """Put the pages read into the content's text and record them in its metadata; returns
    the new text. Paged contents (PDF, multi-page TIFF) get each page's text in its place;
    an image's text is the text read."""
    meta = content.metadata
    reasons = meta.get("ocr_reasons") or {}
    read: dict[str, float | None] = {}
    empty, cached, errors, codes = [], [], {}, {}
    skipped = dict(meta.get("ocr_skipped") or {})
    rotation, skew = {}, {}
    seconds = 0.0
    paged = content.page_count is not None
    pages = text.split("\n\f") if paged and text else [""] * (content.page_count or 0)
    if paged:
        pages += [""] * ((content.page_count or 0) - len(pages))
    whole = text
    for number, page in sorted(results.items()):
        key = str(number)
        if page.error:
            errors[key], codes[key] = page.error, page.code or UNKNOWN
            continue
        if page.skipped or page.result is None:
            skipped[key] = page.skipped or "not read"
            continue
        found = page.result
        if found.cached:
            cached.append(number)
        else:
            seconds += found.seconds
        if found.rotation:
            rotation[key] = found.rotation
        if found.skew:
            skew[key] = found.skew
        if not found.text.strip():
            empty.append(number)
            continue
        read[key] = found.confidence
        if paged and 1 <= number <= len(pages):
            before = pages[number - 1]
            keep = before.strip() and not replaces_text_layer(reasons.get(key, ""))
            pages[number - 1] = f"{found.text}\n{before}" if keep else found.text
        elif not paged:
            whole = f"{found.text}\n{whole}" if whole.strip() else found.text
    meta.update({"ocr": "done", "ocr_languages": languages, "ocr_pages": read})
    for name, value in (("ocr_empty_pages", empty), ("ocr_cached_pages", cached),
                        ("ocr_errors", errors), ("ocr_error_codes", codes),
                        ("ocr_skipped", skipped),
                        ("ocr_rotation", rotation), ("ocr_skew", skew)):
        if value:
            meta[name] = value
        else:
            meta.pop(name, None)
    meta["ocr_seconds"] = round(seconds, 2)
    new_text = "\n\f".join(pages) if paged else whole
    return new_text[:max_chars]
