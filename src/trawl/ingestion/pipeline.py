"""The ingestion coordinator: walk, dispatch to workers, record, expand containers, index.

Why it is shaped this way
-------------------------
* One coordinator process owns every write (catalog and index); workers only read files and
  write content-addressed blobs, which are safe to write concurrently. So there is no locking
  beyond SQLite's own, and the design maps onto a cluster (a queue instead of pipes, PostgreSQL
  instead of SQLite) without changing what a step means.
* The catalog is the queue: a path is `pending` until its result is recorded. A re-run, after
  a crash or a kill -9, simply continues with what is still pending; a container's members are
  recorded together with its own result, so none is lost or duplicated.
* The index is derived: a document is marked indexed only after the index has committed it,
  and adding a document replaces any copy with the same id. A crash between the two commits
  leads to re-indexing, never to a duplicate.
* Identical content is extracted once: a path whose hash is already known takes the known
  result (and the known members, for a container) without being extracted again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from trawl.derive.documents import index_contents
from trawl.derive.rows import index_unindexed
from trawl.errors import UNKNOWN
from trawl.index.tantivy_backend import TantivyIndex
from trawl.ingestion.entity_stage import EntityStage, EntitySummary, phone_region
from trawl.ingestion.extractors.base import Limits
from trawl.ingestion.neardup_stage import NearDupStage, NearDupSummary, threshold_of
from trawl.ingestion.ocr import DEFAULT_LANGUAGES, OcrSettings, OcrUnavailable, check_languages
from trawl.ingestion.ocr_stage import OcrStage, OcrSummary
from trawl.ingestion.pool import WorkerPool
from trawl.ingestion.progress import Counters, Progress
from trawl.ingestion.tables.sync import sync_tables
from trawl.ingestion.thread_stage import ThreadStage, ThreadSummary
from trawl.ingestion.walk import walk
from trawl.ingestion.worker import Task, TaskResult, WorkerConfig
from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Content, Dataset, FileRow
from trawl.storage.datadir import DataDir
from trawl.storage.tables import TableStore

log = logging.getLogger(__name__)

COMMIT_EVERY_S = 2.0
INDEX_EVERY_S = 15.0
INDEX_BATCH = 2000
WALK_BATCH = 2000


@dataclass
class IngestOptions:
    workers: int = 2
    timeout_s: float = 900.0
    memory_limit: int | None = 3 * 1024**3
    max_depth: int = 25
    passwords: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    live_progress: bool | None = None
    quiet: bool = False
    # OCR (ocr_stage.py). None: what the dataset was last given (stored in the catalog), else
    # on with English and French. Given, it is stored for the runs that follow.
    ocr: bool | None = None
    ocr_languages: str | None = None
    ocr_timeout_s: float = 120.0          # one page
    # Entities (entity_stage.py): off for this run with `--no-entities`; the phone region,
    # when given, is stored for the dataset's later runs (else US).
    entities: bool = True
    phone_region: str | None = None
    # E-mail threads (thread_stage.py): off for this run with `--no-threads`.
    threads: bool = True
    # Near-duplicates (neardup_stage.py): off for this run with `--no-neardup`; the
    # threshold, when given, is stored for the dataset's later runs (else 0.8).
    neardup: bool = True
    neardup_threshold: float | None = None


@dataclass
class IngestSummary:
    dataset: str
    counts: dict[str, int]
    seconds: float
    files_processed: int
    bytes_processed: int
    ocr: OcrSummary | None = None         # when the OCR stage ran
    entities: EntitySummary | None = None  # when the entity stage ran
    threads: ThreadSummary | None = None  # when the thread stage ran
    neardup: NearDupSummary | None = None  # when the near-duplicate stage ran
    retried: int | None = None            # `trawl retry`: failures put back in the queue
    # `trawl retry`: the failures left as they were (not retryable), (code, paths)
    not_retried: list[tuple[str, int]] = field(default_factory=list)


class Ingester:
    def __init__(self, data: DataDir, dataset_name: str, options: IngestOptions | None = None):
        self.data = data
        self.options = options or IngestOptions()
        self.catalog = Catalog(data.catalog_path)
        self.blobs = BlobStore(data.blob_dir)
        self.dataset_name = dataset_name
        self.counters = Counters()
        self._to_index: set[str] = set()   # content hashes whose document must be (re)indexed
        self._index: TantivyIndex | None = None
        self._indexed_so_far = 0            # documents indexed by this run (for summaries)

    # -- public -------------------------------------------------------------------------------
    def ingest(self, root: Path | None) -> IngestSummary:
        """Walk `root` (None: only finish what is pending) and process everything pending."""
        started = time.monotonic()
        dataset = self.catalog.ensure_dataset(
            self.dataset_name, str(Path(root).resolve()) if root else None)
        if dataset.root is None:
            raise ValueError(f"dataset {self.dataset_name!r} has no root folder: give a PATH")
        ocr = self._ocr_settings(dataset)
        region = phone_region(self.catalog, dataset, self.options.phone_region)
        threshold = threshold_of(self.catalog, dataset, self.options.neardup_threshold)
        self._index = TantivyIndex(self.data.index_dir, writable=True)
        ocr_summary = entity_summary = thread_summary = neardup_summary = None
        try:
            with Progress(f"ingest {dataset.name}", self.options.live_progress,
                          self.options.quiet) as progress:
                if root is not None:
                    self._walk(dataset, Path(root))
                self._process_pending(dataset, progress)
                sync_tables(self.data, self.catalog, self._index, dataset)  # CSV/sheet rows
                self._index_pending(dataset, force=True)
                self._index_unindexed(dataset)
                progress.update(self.counters, force=True)
            if self.options.threads:  # headers only: before OCR, so threads come first
                thread_summary = self._threads(dataset)
            if ocr.enabled:  # after extraction: typed text is searchable before scans are read
                ocr_summary = self._ocr(dataset, ocr)
            if self.options.entities:  # the texts are final (OCR'd), the rows loaded
                entity_summary = self._entities(dataset, region)
            if self.options.neardup:  # last: on the final texts too
                neardup_summary = self._neardup(dataset, threshold)
        finally:
            self._index.close()
            self.catalog.commit()
        return IngestSummary(dataset.name, self.catalog.counts_by_status(dataset.id),
                             time.monotonic() - started, self.counters.done,
                             self.counters.bytes_done, ocr_summary, entities=entity_summary,
                             threads=thread_summary, neardup=neardup_summary)

    def run_ocr(self) -> IngestSummary:
        """`trawl ocr`: read the pages left for OCR (by `--no-ocr`, or an interrupted run),
        whatever the dataset's OCR setting."""
        started = time.monotonic()
        dataset = self._dataset()
        settings = self._ocr_settings(dataset, required=True)
        region = phone_region(self.catalog, dataset, self.options.phone_region)
        threshold = threshold_of(self.catalog, dataset, self.options.neardup_threshold)
        self._index = TantivyIndex(self.data.index_dir, writable=True)
        entity_summary = neardup_summary = None
        try:
            summary = self._ocr(dataset, settings)
            if self.options.entities:  # the texts OCR changed are read again
                entity_summary = self._entities(dataset, region)
            if self.options.neardup:  # a scan OCR'd now finds its PDF
                neardup_summary = self._neardup(dataset, threshold)
        finally:
            self._index.close()
            self.catalog.commit()
        return IngestSummary(dataset.name, self.catalog.counts_by_status(dataset.id),
                             time.monotonic() - started, 0, 0, summary,
                             entities=entity_summary, neardup=neardup_summary)

    def run_entities(self) -> IngestSummary:
        """`trawl entities extract`: the entity stage alone, as `trawl ingest` runs it."""
        started = time.monotonic()
        dataset = self._dataset()
        region = phone_region(self.catalog, dataset, self.options.phone_region)
        self._index = TantivyIndex(self.data.index_dir, writable=True)
        try:
            summary = self._entities(dataset, region)
        finally:
            self._index.close()
            self.catalog.commit()
        return IngestSummary(dataset.name, self.catalog.counts_by_status(dataset.id),
                             time.monotonic() - started, 0, 0, entities=summary)

    def run_threads(self) -> IngestSummary:
        """`trawl threads build`: the thread stage alone, as `trawl ingest` runs it."""
        started = time.monotonic()
        dataset = self._dataset()
        summary = self._threads(dataset)
        return IngestSummary(dataset.name, self.catalog.counts_by_status(dataset.id),
                             time.monotonic() - started, 0, 0, threads=summary)

    def _threads(self, dataset: Dataset) -> ThreadSummary:
        # The tables are read for their bulk mail (EmailBuilder rows), when any were loaded.
        tables = TableStore.open_readonly(self.data.tables_path)
        try:
            return ThreadStage(self.catalog, dataset, live_progress=self.options.live_progress,
                               quiet=self.options.quiet, tables=tables, blobs=self.blobs).run()
        finally:
            if tables is not None:
                tables.close()

    def run_neardup(self) -> IngestSummary:
        """`trawl neardup`: the near-duplicate stage alone, as `trawl ingest` runs it."""
        started = time.monotonic()
        dataset = self._dataset()
        threshold = threshold_of(self.catalog, dataset, self.options.neardup_threshold)
        self._index = TantivyIndex(self.data.index_dir, writable=True)
        try:
            summary = self._neardup(dataset, threshold)
        finally:
            self._index.close()
            self.catalog.commit()
        return IngestSummary(dataset.name, self.catalog.counts_by_status(dataset.id),
                             time.monotonic() - started, 0, 0, neardup=summary)

    def _dataset(self) -> Dataset:
        dataset = self.catalog.dataset(self.dataset_name)
        if dataset is None:
            raise ValueError(f"no dataset named {self.dataset_name!r}")
        return dataset

    def retry_failed(self, retryable_only: bool = True) -> IngestSummary:
        """Process the failed files again: those whose failure a retry may cure (a time or
        memory limit, a crash, ...), or every one (`retryable_only=False`)."""
        dataset = self.catalog.dataset(self.dataset_name)
        if dataset is None:
            raise ValueError(f"no dataset named {self.dataset_name!r}")
        retried = self.catalog.reset_failed(dataset.id, retryable_only=retryable_only)
        left = self.catalog.errors_by_code(dataset.id, "failed")
        summary = self.ingest(None)
        summary.retried, summary.not_retried = retried, left
        return summary

    def close(self) -> None:
        self.catalog.close()

    # -- OCR ----------------------------------------------------------------------------------
    def _ocr_settings(self, dataset: Dataset, required: bool = False) -> OcrSettings:
        """The dataset's OCR settings, updated with this run's options (and stored)."""
        opts = self.options
        if opts.ocr_languages is not None:  # checked before anything runs: a typo stops here
            languages = check_languages(opts.ocr_languages)
            self.catalog.set_dataset_setting(dataset.id, "ocr_languages", languages)
        if opts.ocr is not None:
            self.catalog.set_dataset_setting(dataset.id, "ocr", "on" if opts.ocr else "off")
        self.catalog.commit()
        stored = self.catalog.dataset_settings(dataset.id)
        settings = OcrSettings(enabled=stored.get("ocr", "on") == "on",
                               languages=stored.get("ocr_languages", DEFAULT_LANGUAGES),
                               page_timeout_s=opts.ocr_timeout_s)
        if settings.enabled or required:
            try:
                check_languages(settings.languages)
            except OcrUnavailable as exc:
                if required:
                    raise
                # Extraction still runs; the pages stay pending for `trawl ocr`.
                log.warning("OCR is skipped in this run: %s", exc)
                settings.enabled = False
        return settings

    def _ocr(self, dataset: Dataset, settings: OcrSettings) -> OcrSummary:
        config = WorkerConfig(self.data.blob_dir, self.data.tmp_dir, self.data.catalog_path,
                              self.options.limits, self.options.passwords, ocr=settings)
        stage = OcrStage(self.catalog, self.blobs, dataset, config, self.options.workers,
                         self.options.memory_limit, on_saved=self._to_index.add,
                         flush=lambda: self._index_pending(dataset),
                         live_progress=self.options.live_progress, quiet=self.options.quiet)
        summary = stage.run()
        self._index_pending(dataset, force=True)
        self._index_unindexed(dataset)
        return summary

    def _entities(self, dataset: Dataset, region: str) -> EntitySummary:
        config = WorkerConfig(self.data.blob_dir, self.data.tmp_dir, self.data.catalog_path,
                              self.options.limits, self.options.passwords)
        summary = EntityStage(self.data, self.catalog, dataset, config, region,
                              self.options.workers, self.options.memory_limit,
                              self.options.timeout_s, live_progress=self.options.live_progress,
                              quiet=self.options.quiet).run()
        self._index_entities(dataset, summary)
        return summary

    def _neardup(self, dataset: Dataset, threshold: float) -> NearDupSummary:
        summary = NearDupStage(self.catalog, self.blobs, dataset, threshold,
                               live_progress=self.options.live_progress,
                               quiet=self.options.quiet).run()
        before = self._indexed_so_far
        self._index_unindexed(dataset)  # the entries whose cluster changed (collapsing)
        summary.reindexed = self._indexed_so_far - before
        return summary

    def _index_entities(self, dataset: Dataset, summary: EntitySummary) -> None:
        """The index entries whose entities the stage changed, written again with them
        (entity_stage.py marked them unindexed): documents, then tables' rows."""
        started = time.monotonic()
        before = self._indexed_so_far
        self._index_unindexed(dataset)
        summary.reindexed_documents = self._indexed_so_far - before
        if self.data.tables_path.exists():  # tables were loaded once
            store = TableStore(self.data.tables_path)
            try:
                assert self._index is not None
                summary.reindexed_rows = index_unindexed(store, self._index, dataset.name,
                                                         catalog=self.catalog)
            finally:
                store.close()
        summary.index_seconds = time.monotonic() - started

    # -- walking ------------------------------------------------------------------------------
    def _walk(self, dataset: Dataset, root: Path) -> None:
        for n, entry in enumerate(walk(root), start=1):
            if entry.problem:
                self.catalog.record_walk_problem(dataset.id, entry.path, entry.kind,
                                                 entry.status, entry.problem,
                                                 entry.code or UNKNOWN)
            else:
                changed, previous_sha = self.catalog.upsert_disk_file(
                    dataset.id, entry.path, entry.size, entry.mtime)
                if changed:
                    self._forget_members_of(dataset.id, entry.path)
                if previous_sha:  # its document loses this path: index it again
                    self._to_index.add(previous_sha)
            if n % WALK_BATCH == 0:
                self.catalog.commit()
        self.catalog.commit()

    def _forget_members_of(self, dataset_id: int, path: str) -> None:
        """A changed container's old members go; its new ones come when it is processed."""
        row = self.catalog.file_by_path(dataset_id, path)
        if row is not None:
            self.catalog.forget_members(row.id)

    # -- processing ---------------------------------------------------------------------------
    def _process_pending(self, dataset: Dataset, progress: Progress) -> None:
        config = WorkerConfig(self.data.blob_dir, self.data.tmp_dir, self.data.catalog_path,
                              self.options.limits, self.options.passwords)
        self.counters.total = self.catalog.counts_by_status(dataset.id)["pending"]
        pool = WorkerPool(self.options.workers, config, self.options.timeout_s,
                          self.options.memory_limit)
        last_commit = last_index = time.monotonic()
        try:
            queue: list[FileRow] = []
            cursor = 0
            while True:
                if not queue:
                    queue = self.catalog.pending_files(dataset.id, after_id=cursor)
                    if queue:
                        cursor = queue[-1].id
                    elif pool.busy() == 0:
                        self.catalog.commit()
                        if not self.catalog.pending_files(dataset.id, limit=1):
                            break
                        cursor = 0  # rows added behind the cursor (rare): sweep again
                        continue
                while queue and pool.idle():
                    row = queue.pop(0)
                    if not self._resolve_known(dataset, row):
                        pool.submit(self._task_for(dataset, row))
                for result in pool.collect(wait_s=0.2 if pool.busy() else 0):
                    self._record(dataset, result)
                now = time.monotonic()
                if now - last_commit > COMMIT_EVERY_S:
                    self.catalog.commit()
                    last_commit = now
                    progress.update(self.counters)
                if now - last_index > INDEX_EVERY_S or len(self._to_index) >= INDEX_BATCH:
                    self._index_pending(dataset)
                    last_index = time.monotonic()
        finally:
            pool.close()
            self.catalog.commit()

    def _task_for(self, dataset: Dataset, row: FileRow) -> Task:
        if row.parent_id is None:
            source = Path(dataset.root or ".") / row.path
        else:
            assert row.sha256 is not None
            source = self.blobs.path(row.sha256)
        return Task(row.id, str(source), row.path.rsplit("/", 1)[-1], row.sha256)

    def _resolve_known(self, dataset: Dataset, row: FileRow) -> bool:
        """A member whose content is already known needs no worker."""
        if row.depth > self.options.max_depth:
            self.catalog.finish_file(row.id, "skipped",
                                     f"nested deeper than {self.options.max_depth} levels",
                                     code="limit")
            self._count("skipped", row.size)
            return True
        if row.sha256 is None:
            return False
        content = self.catalog.content(row.sha256)
        if content is None:
            return False
        if row.parent_id is not None and self._inside_itself(row):
            self.catalog.finish_file(row.id, "skipped", "an archive that contains itself "
                                     "(a quine): not unpacked again", code="limit")
            self._count("skipped", row.size)
            return True
        self._finish(dataset, row, content)
        return True

    def _inside_itself(self, row: FileRow) -> bool:
        """Whether a container holds a copy of itself, at any depth (droste.zip, quine.gz)."""
        parent_id = row.parent_id
        while parent_id is not None:
            parent = self.catalog.file(parent_id)
            if parent is None:
                return False
            if parent.sha256 == row.sha256:
                return True
            parent_id = parent.parent_id
        return False

    def _record(self, dataset: Dataset, result: TaskResult) -> None:
        row = self.catalog.file(result.file_id)
        if row is None:  # forgotten meanwhile (its container changed on disk)
            return
        row.size = result.size if result.size is not None else row.size
        if result.content is not None and self.catalog.content(result.sha256 or "") is None:
            self.catalog.save_content(result.content, result.children)
        elif result.content is None and not result.known:
            if result.sha256 is None:  # not even readable: a failure of the path alone
                self.catalog.finish_file(row.id, "failed", result.error, None, result.size,
                                         code=result.code or UNKNOWN)
                self._count("failed", result.size)
                return
            # A hang or a crash belongs to the content: copies must not be tried again.
            self.catalog.save_content(Content(result.sha256, result.size or 0, None, "other",
                                              "failed", result.error,
                                              extracted_at=time.time(),
                                              error_code=result.code or UNKNOWN), [])
        content = self.catalog.content(result.sha256 or "")
        assert content is not None
        self._finish(dataset, row, content, counted=False)
        self._count(content.file_status, row.size)

    def _finish(self, dataset: Dataset, row: FileRow, content: Content,
                counted: bool = True) -> None:
        self.catalog.finish_file(row.id, content.file_status, content.error, content.sha256,
                                 row.size if row.size is not None else content.size,
                                 code=_code_of(content))
        self.catalog.ensure_document(dataset, content.sha256)
        self._to_index.add(content.sha256)
        if counted:
            self._count(content.file_status, 0)
        if not row.expanded:
            children = self.catalog.content_children(content.sha256)
            if children:
                added = self.catalog.add_child_files(row, children)
                self.counters.total += sum(added.values())
                for status in ("failed", "skipped"):  # not extracted: final at once
                    for _ in range(added.get(status, 0)):
                        self._count(status, 0)

    def _count(self, status: str, size: int | None) -> None:
        self.counters.done += 1
        self.counters.bytes_done += size or 0
        if status == "failed":
            self.counters.failed += 1
        elif status == "skipped":
            self.counters.skipped += 1

    # -- indexing -----------------------------------------------------------------------------
    def _index_pending(self, dataset: Dataset, force: bool = False) -> None:
        if not self._to_index and not force:
            return
        assert self._index is not None
        self._indexed_so_far += index_contents(self.catalog, self.blobs, self._index, dataset,
                                               self._to_index)
        self._to_index.clear()

    def _index_unindexed(self, dataset: Dataset) -> None:
        """Documents left unindexed by an earlier, interrupted run."""
        while batch := self.catalog.unindexed_documents(dataset.id, limit=INDEX_BATCH):
            self._to_index.update(sha for _, sha in batch)
            self._index_pending(dataset, force=True)


def _code_of(content: Content) -> str | None:
    """The code a path takes from its content: none when it was extracted; unknown for a
    failure recorded before codes existed (a content made by an older Trawl)."""
    if content.status == "done":
        return None
    return content.error_code or UNKNOWN
