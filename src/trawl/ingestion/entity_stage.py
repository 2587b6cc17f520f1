"""The entity stage: e-mails, phones, URLs, domains, IPs, accounts, people, organisations
and places of every document and table row of a dataset, recorded in the catalog
(storage/entities.py).

Runs at the end of `trawl ingest`, after extraction, tables and OCR (so that it reads each
document's final text), and as `trawl entities extract` (the same code) after an ingest with
``--no-entities``, or `trawl ocr`, which runs it too once pages were read.

* In the worker pool, as OCR is. The pattern pass alone would be cheap enough for the
  coordinator (about a million words a second on one core; BENCHMARKS.md, Entities), but
  reading the texts back from the blob store and the rows from tables.sqlite is not free,
  the coordinator is the one writer of everything, and the named-entity model costs a
  hundred times more per word: in the pool, the stage scales with the cores (each worker
  loads the model once, when its first English or French document comes). Workers return
  mentions (small); the coordinator writes them. A run with little to read (`_little`: a
  re-run after a few files changed, a small folder) reads it in the coordinator with the
  same code, since starting the workers would take longer.
* Tasks are batches: of documents (`BATCH_DOCUMENTS`, or `BATCH_CHARS` of text: most are
  small, and a round trip costs more than reading one), of `ROWS_PER_TASK` rows of tables
  (a big table in blocks of that many, small ones together). A batch whose worker died or
  ran out of time is tried again one document or block at a time, so that one bad document
  costs only itself.
* Resumable and incremental: a document is pending until its record says which recogniser
  read which text (a document whose text OCR changed is read again); a table is pending
  until all its blocks are in. A document's mentions and its record are written in one
  transaction, so a killed run redoes only what it had not committed (a table being read
  starts again). A document that no path holds any more (its file changed: a new content)
  and a table dropped from tables.sqlite lose their mentions at the next run.
* A document whose content was loaded as tables (a CSV file, a workbook) is read through its
  rows, not its text as well: the same cell would count twice.
* The counts of each entity (documents, rows, sources) are made again at the end, when
  something was read or a path of the dataset changed since they were last made.
* Search entries carry the ids of the entities they mention (facets, filters), and they were
  written before the stage read them: a document whose set of entities changed is marked
  unindexed in the same transaction as its mentions, and a table whose rows' entities
  changed (or whose reading was interrupted) is marked unindexed in tables.sqlite before its
  record says it was read; the ingester then indexes those entries again
  (`Ingester._index_entities`), and so does any later run after a crash. Entries whose
  entities did not change are left alone: a re-run after a few files changed rewrites
  only theirs.

A public dataset's entities are recorded like any other's: what a reader may see of them is
decided when they are read, as for documents.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from trawl.derive.entities.extract import document_fields
from trawl.derive.entities.model import RECOGNISER_VERSION
from trawl.derive.entities.ner import model_versions
from trawl.derive.entities.phones import check_region
from trawl.ingestion.entity_tasks import (
    BlockResult,
    DocumentItem,
    DocumentResult,
    EntityReader,
    EntityResult,
    EntityTask,
    RowBlock,
)
from trawl.ingestion.pool import WorkerPool
from trawl.ingestion.progress import Checkpoints, Counters, Progress
from trawl.ingestion.worker import TaskResult, WorkerConfig
from trawl.storage.catalog import Catalog, Dataset
from trawl.storage.datadir import DataDir
from trawl.storage.entities import EntityStore
from trawl.storage.tables import TableInfo, TableStore

log = logging.getLogger(__name__)

COMMIT_EVERY_S = 2.0
COUNTED_SETTING = "entities_counted_at"  # when the entities' counts were last made
# Or after this many documents or blocks: small documents go by thousands a second, and a
# killed run should lose seconds of work, not the run.
COMMIT_EVERY_ITEMS = 250
ROWS_PER_TASK = 5000
# Documents per task: most are small, and a round trip to a worker costs more than reading
# one; a batch stops at this many documents or characters of text.
BATCH_DOCUMENTS = 32
BATCH_CHARS = 300_000            # about 10 s of the model's work
# Little enough to read in the coordinator (`_little`).
IN_PROCESS_DOCUMENTS = 200
IN_PROCESS_ROWS = 20_000
IN_PROCESS_CHARS = 200_000      # the model reads ~6,000 words (40 kB) a second


@dataclass
class EntitySummary:
    documents: int = 0          # documents read in this run
    tables: int = 0             # tables read to the end
    rows: int = 0               # rows read
    mentions: int = 0
    failed: int = 0             # documents or blocks of rows that could not be read
    forgotten: int = 0          # documents and tables gone since the last run
    changed: int = 0            # documents and tables whose entities changed (index them)
    reindexed_documents: int = 0  # index entries written again with their entities
    reindexed_rows: int = 0
    index_seconds: float = 0.0  # what writing them cost
    entities: int = 0           # of the dataset, after the run
    words: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0    # the workers'

    @property
    def words_per_s(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0


def phone_region(catalog: Catalog, dataset: Dataset, option: str | None) -> str:
    """The dataset's phone region: `option` when given (checked, and stored for later runs),
    else the one stored, else US."""
    store = EntityStore(catalog)
    if option is not None:
        store.set_phone_region(dataset.id, check_region(option))
    return store.phone_region(dataset.id)


def recogniser_id(region: str) -> str:
    """What a record says read it: the recognisers' version, the models' and the phone
    region."""
    return f"patterns-{RECOGNISER_VERSION}+{model_versions()}:{region}"


class EntityStage:
    def __init__(self, data: DataDir, catalog: Catalog, dataset: Dataset, config: WorkerConfig,
                 region: str, workers: int, memory_limit: int | None, timeout_s: float,
                 live_progress: bool | None = None, quiet: bool = False) -> None:
        self.data = data
        self.catalog = catalog
        self.dataset = dataset
        self.config = config
        self.region = region
        self.recogniser = recogniser_id(region)
        self.workers = workers
        self.memory_limit = memory_limit
        self.timeout_s = timeout_s
        self.live_progress = live_progress
        self.quiet = quiet
        self.store = EntityStore(catalog)
        self.counters = Counters()
        self.summary = EntitySummary()
        self._tasks: dict[int, EntityTask] = {}     # out: number -> task
        self._retry: deque[EntityTask] = deque()   # documents of a failed batch, one by one
        self._number = 0
        self._blocks_left: dict[int, int] = {}      # table id -> blocks still out
        self._table_errors: dict[int, str] = {}
        # table id -> (its entities before this run read it, whether a run was cut short
        # while reading it): its index entries are written again when they changed.
        self._table_before: dict[int, tuple[str, bool]] = {}

    def run(self) -> EntitySummary:
        started, started_at = time.monotonic(), time.time()
        tables = self._tables()
        self.summary.forgotten = self.store.forget_gone(self.dataset.id, tables)
        with_rows = {info.document_id for info in tables.values() if info.document_id}
        documents = self.store.pending_documents(self.dataset.id, self.recogniser)
        pending_tables = [tables[t] for t in self.store.pending_tables(
            self.dataset.id, self.recogniser, tables)]
        blocks = sum(_blocks(info) for info in pending_tables)
        if documents or blocks:
            self.counters.total = len(documents) + blocks
            tasks = self._all_tasks(documents, with_rows, pending_tables)
            with Progress(f"entities {self.dataset.name}", self.live_progress, self.quiet,
                          unit="items") as progress:
                if _little(documents, pending_tables):
                    self._here(tasks)
                else:
                    self._pooled(tasks, progress)
                progress.update(self.counters, force=True)
            self.catalog.commit()
        self.summary.entities = self._counted(started_at, bool(
            documents or pending_tables or self.summary.forgotten))
        self.catalog.commit()
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _counted(self, started_at: float, read: bool) -> int:
        """The entities' counts, made again when this run read something, or when a path of
        the dataset changed since they were last made (a copy of a known bulletin found in
        another folder is a new source of its entities, with nothing new to read)."""
        since = float(self.catalog.dataset_settings(self.dataset.id).get(COUNTED_SETTING, 0))
        if read or self.catalog.has_files_updated_since(self.dataset.id, "", since):
            count = self.store.refresh(self.dataset.id)
            self.catalog.set_dataset_setting(self.dataset.id, COUNTED_SETTING,
                                             repr(started_at))
            return count
        return self.store.count(self.dataset.id)

    def _tables(self) -> dict[int, TableInfo]:
        """The dataset's tables with rows, by id (none if no table was ever loaded)."""
        store = TableStore.open_readonly(self.data.tables_path)
        if store is None:
            return {}
        try:
            return {info.id: info for info in store.tables_with_rows(self.dataset.name)}
        finally:
            store.close()

    def _here(self, tasks: Iterator[EntityTask]) -> None:
        """Little to read: read it in this process (see `_little`)."""
        reader = EntityReader(self.data.blob_dir)
        try:
            for task in tasks:
                self._take(reader.read(self._numbered(task)))
        finally:
            reader.close()

    def _pooled(self, tasks: Iterator[EntityTask], progress: Progress) -> None:
        pool = WorkerPool(self.workers, self.config, self.timeout_s, self.memory_limit)
        try:
            self._loop(pool, tasks, progress)
        finally:
            pool.close()

    def _numbered(self, task: EntityTask) -> EntityTask:
        self._number += 1
        task.file_id = self._number
        self._tasks[task.file_id] = task
        return task

    def _all_tasks(self, documents: list[tuple[str, str, int]], with_rows: set[str],
                   tables: list[TableInfo]) -> Iterator[EntityTask]:
        """The tasks, made as they are taken: documents in batches (those read through their
        rows, or with nothing to read, are recorded at once), then the tables' blocks."""
        batch: list[DocumentItem] = []
        for document_id, sha256, chars in documents:
            content = self.catalog.content(sha256)
            if content is None:
                continue
            fields = document_fields(content.title, content.metadata)
            if document_id in with_rows or not (content.text_key or fields):
                # Nothing to read (no text: an image not OCR'd), or read through its rows.
                self._record_document(document_id, content.text_key, DocumentResult(
                    document_id))
                self.counters.done += 1
                continue
            batch.append(DocumentItem(document_id, content.text_key,
                                      content.page_count is not None, fields, chars,
                                      content.language))
            if len(batch) >= BATCH_DOCUMENTS or sum(d.chars for d in batch) >= BATCH_CHARS:
                yield EntityTask(0, self.region, documents=batch)
                batch = []
        if batch:
            yield EntityTask(0, self.region, documents=batch)
        blocks: list[RowBlock] = []
        for info in tables:
            self._table_before[info.id] = (self._table_entities(info.id),
                                           self.store.table_being_read(info.id))
            self.store.start_table(self.dataset.id, info.id, info.path, info.name)
            self._blocks_left[info.id] = _blocks(info)
            for after in range(0, info.row_count, ROWS_PER_TASK):
                blocks.append(RowBlock(info.id, after, min(after + ROWS_PER_TASK,
                                                           info.row_count)))
                if sum(b.last_row - b.after_row for b in blocks) >= ROWS_PER_TASK:
                    yield self._rows_task(blocks)
                    blocks = []
        if blocks:
            yield self._rows_task(blocks)

    def _rows_task(self, blocks: list[RowBlock]) -> EntityTask:
        return EntityTask(0, self.region, blocks=blocks,
                          tables_path=str(self.data.tables_path))

    def _loop(self, pool: WorkerPool, tasks: Iterator[EntityTask], progress: Progress) -> None:
        drained = False  # `tasks` has given its last one (retries may still come)
        checkpoints = Checkpoints(COMMIT_EVERY_S, COMMIT_EVERY_ITEMS)
        while True:
            while pool.idle():
                task = None
                if self._retry:
                    task = self._retry.popleft()
                elif not drained:
                    task = next(tasks, None)
                    drained = task is None
                if task is None:
                    break
                pool.submit(self._numbered(task))  # type: ignore[arg-type]
            if drained and not self._retry and pool.busy() == 0:
                break
            for result in pool.collect(wait_s=0.2 if pool.busy() else 0):
                self._take(result)
            if checkpoints.due(self.counters.done):
                self.catalog.commit()
                progress.update(self.counters)

    def _take(self, result: EntityResult | TaskResult) -> None:
        task = self._tasks.pop(result.file_id, None)
        if task is None:
            return
        if isinstance(result, TaskResult):  # the worker was killed (time limit) or crashed
            result = self._failed(task, result.error or "the worker failed")
            if result is None:
                return
        self.summary.words += result.words
        self.summary.cpu_seconds += result.cpu_seconds
        for block in result.blocks:
            self._count(block.error, f"rows of table {block.block.table_id}")
            self._record_rows(block)
        texts = {item.document_id: item.text_key for item in task.documents}
        for done in result.documents:
            self._count(done.error, done.document_id)
            self._record_document(done.document_id, texts[done.document_id], done)

    def _failed(self, task: EntityTask, error: str) -> EntityResult | None:
        """A task whose worker died: a batch is tried again part by part (which one was
        it?), a single document or block is recorded as failed."""
        parts = len(task.documents) + len(task.blocks)
        if parts > 1:
            self._retry.extend(EntityTask(0, self.region, documents=[item])
                               for item in task.documents)
            self._retry.extend(self._rows_task([block]) for block in task.blocks)
            return None
        return EntityResult(task.file_id, documents=[
            DocumentResult(item.document_id, error=error) for item in task.documents],
            blocks=[BlockResult(block, error=error) for block in task.blocks])

    def _count(self, error: str | None, what: str) -> None:
        self.counters.done += 1
        if error:
            self.counters.failed += 1
            self.summary.failed += 1
            log.warning("entities of %s not read: %s", what, error)

    def _record_document(self, document_id: str, text_key: str | None,
                         result: DocumentResult) -> None:
        before = self.store.document_entity_ids(document_id)
        self.store.replace_document_mentions(self.dataset.id, document_id, self.recogniser,
                                             text_key, result.mentions, result.error)
        if self.store.document_entity_ids(document_id) != before:
            self.catalog.mark_unindexed([document_id])  # same transaction as the mentions
            self.summary.changed += 1
        self.summary.documents += 1
        self.summary.mentions += len(result.mentions)

    def _record_rows(self, result: BlockResult) -> None:
        table_id = result.block.table_id
        self.store.add_row_mentions(self.dataset.id, table_id, result.mentions)
        self.summary.mentions += len(result.mentions)
        self.summary.rows += result.rows
        if result.error:
            self._table_errors[table_id] = result.error
        self._blocks_left[table_id] -= 1
        if self._blocks_left[table_id] == 0:
            del self._blocks_left[table_id]
            self._index_again_if_changed(table_id)
            self.store.finish_table(table_id, self.recogniser,
                                    self._table_errors.pop(table_id, None))
            self.summary.tables += 1

    def _table_entities(self, table_id: int) -> str:
        """A digest of the (row, kind, entity) of a table's mentions, read in row order."""
        digest = hashlib.blake2b(digest_size=16)
        for triple in self.store.table_entity_ids(table_id):
            digest.update(repr(triple).encode())
        return digest.hexdigest()

    def _index_again_if_changed(self, table_id: int) -> None:
        """Mark the table's rows for indexing again if their entities changed. Committed in
        tables.sqlite before the catalog's record of the table (the next catalog commit):
        after a crash in between, the table is being read still, so marked again then."""
        before, interrupted = self._table_before.pop(table_id, ("", True))
        if not interrupted and self._table_entities(table_id) == before:
            return
        store = TableStore(self.data.tables_path)
        try:
            store.begin()
            store.mark_indexed(table_id, False)
            store.commit()
        finally:
            store.close()
        self.summary.changed += 1


def _little(documents: list[tuple[str, str, int]], tables: list[TableInfo]) -> bool:
    """Whether the work is small enough to do in the coordinator: starting the workers takes
    0.5-1 s, more than reading a megabyte or two (a few ms at a million words a second). A
    re-run after a few files changed, a small folder."""
    return (len(documents) <= IN_PROCESS_DOCUMENTS
            and sum(info.row_count for info in tables) <= IN_PROCESS_ROWS
            and sum(chars for _id, _sha, chars in documents) <= IN_PROCESS_CHARS)


def _blocks(info: TableInfo) -> int:
    return -(-info.row_count // ROWS_PER_TASK)
