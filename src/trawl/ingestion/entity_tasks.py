"""What a worker process does with one entity task: a batch of documents, or of blocks of
tables' rows.

The task and its result are small picklable records: the texts are read from the blob store
and the rows from tables.sqlite by the worker itself, so only the mentions cross the pipe.
Documents and small tables go in batches (most are small: one round trip each would cost
more than reading them). The recogniser is built once per process and phone region (its
patterns compiled once, its phone parses cached), the table store opened once (read-only),
the named-entity models once per language, when a document in that language first comes
(derive/entities/ner.py): a worker that reads only tables or other languages never loads
one. Only documents are read by the model: a table's names come from its name columns.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from trawl.derive.entities.extract import (
    Unit,
    document_mentions,
    document_units,
    named_mentions,
    person_columns,
    readable_columns,
    row_mentions,
)
from trawl.derive.entities.ner import LANGUAGES, NamedRecogniser
from trawl.derive.entities.patterns import Recogniser
from trawl.storage.blobs import BlobStore
from trawl.storage.entities import NewMention
from trawl.storage.table_queries import cells_between
from trawl.storage.tables import TableStore

OUT_OF_MEMORY = "out of memory (the per-file memory limit was reached)"


@dataclass
class DocumentItem:
    document_id: str
    text_key: str | None
    paged: bool
    fields: dict[str, str] = field(default_factory=dict)
    chars: int = 0
    language: str | None = None   # the content's (catalog): which model reads its names


@dataclass
class RowBlock:
    """The rows of a table numbered after `after_row` up to `last_row`."""

    table_id: int
    after_row: int
    last_row: int


@dataclass
class EntityTask:
    file_id: int                  # a task number, unique in the run (the pool's bookkeeping)
    region: str                   # the dataset's phone region
    documents: list[DocumentItem] = field(default_factory=list)
    blocks: list[RowBlock] = field(default_factory=list)
    tables_path: str | None = None  # where the blocks' tables are


@dataclass
class DocumentResult:
    document_id: str
    mentions: list[NewMention] = field(default_factory=list)
    error: str | None = None


@dataclass
class BlockResult:
    block: RowBlock
    mentions: list[NewMention] = field(default_factory=list)
    rows: int = 0                 # how many were read
    error: str | None = None


@dataclass
class EntityResult:
    file_id: int
    documents: list[DocumentResult] = field(default_factory=list)
    blocks: list[BlockResult] = field(default_factory=list)
    words: int = 0                # of the texts or cells read (for words/s)
    cpu_seconds: float = 0.0


class EntityReader:
    def __init__(self, blob_dir: Path) -> None:
        self.blobs = BlobStore(blob_dir)
        self._recognisers: dict[str, Recogniser] = {}
        self._named: NamedRecogniser | None = None   # the models, loaded when first needed
        self._tables: tuple[str, TableStore] | None = None

    def read(self, task: EntityTask) -> EntityResult:
        started = time.process_time()
        out = EntityResult(task.file_id)
        recogniser = self._recogniser(task.region)
        for block in task.blocks:
            assert task.tables_path is not None
            out.blocks.append(self._block(task.tables_path, block, recogniser, out))
        read = [self._document(item, recogniser, out) for item in task.documents]
        self._names(task.documents, read)
        out.documents = [result for result, _units in read]
        out.cpu_seconds = round(time.process_time() - started, 3)
        return out

    def _document(self, item: DocumentItem, recogniser: Recogniser, out: EntityResult
                  ) -> tuple[DocumentResult, list[Unit]]:
        """A document's mentions by pattern, and its parts for the model."""
        result = DocumentResult(item.document_id)
        units: list[Unit] = []
        try:
            text = self.blobs.get_text(item.text_key) if item.text_key else ""
            out.words += len(text.split())
            units = document_units(text, item.paged, item.fields)
            result.mentions = document_mentions(recogniser, text, item.paged, item.fields)
        except MemoryError:
            result.error = OUT_OF_MEMORY
        except Exception as exc:  # a broken blob costs that document, not the batch
            result.error = f"{type(exc).__name__}: {exc}"[:500]
        return result, units

    def _names(self, items: list[DocumentItem], read: list[tuple[DocumentResult, list[Unit]]]
               ) -> None:
        """Add the names of the documents read in English or French, one call of the model
        per language (its batches span documents); the model is loaded on first need."""
        for language in LANGUAGES:
            mine = [at for at, item in enumerate(items) if item.language == language
                    and read[at][0].error is None and read[at][1]]
            if mine:
                self._names_of(language, [read[at] for at in mine])

    def _names_of(self, language: str, read: list[tuple[DocumentResult, list[Unit]]]) -> None:
        """The names of these documents; when the model fails on the batch, each document
        again alone, so that only the one it fails on records the error (its mentions by
        pattern kept)."""
        error = None
        try:
            if self._named is None:
                self._named = NamedRecogniser()
            found = named_mentions(self._named, language, [units for _result, units in read])
        except MemoryError:
            error = OUT_OF_MEMORY
        except Exception as exc:  # a model that fails costs the document it failed on
            error = f"{type(exc).__name__}: {exc}"[:500]
        if error is None:
            for (result, _units), mentions in zip(read, found, strict=True):
                result.mentions += mentions
        elif len(read) > 1:  # out of the handler: what the failed batch held is freed
            for one in read:
                self._names_of(language, [one])
        else:
            read[0][0].error = error

    def _recogniser(self, region: str) -> Recogniser:
        if region not in self._recognisers:
            self._recognisers[region] = Recogniser(region)
        return self._recognisers[region]

    def _block(self, tables_path: str, block: RowBlock, recogniser: Recogniser,
               out: EntityResult) -> BlockResult:
        result = BlockResult(block)
        try:
            store = self._store(tables_path)
            info = store.table(block.table_id)
            if info is None:
                result.error = "the table is gone (its file changed)"
                return result
            columns = readable_columns(info.columns)
            rows = cells_between(store, info, [sql for sql, _kind in columns], block.after_row,
                                 block.last_row)
            result.mentions, words = row_mentions(recogniser, columns, rows,
                                                  person_columns(info.columns, columns))
            result.rows = len(rows)
            out.words += words
        except MemoryError:
            result.error = OUT_OF_MEMORY
        except Exception as exc:  # a broken table costs that block, not the batch
            result.error = f"{type(exc).__name__}: {exc}"[:500]
        return result

    def close(self) -> None:
        if self._tables is not None:
            self._tables[1].close()
            self._tables = None

    def _store(self, path: str) -> TableStore:
        if self._tables is None or self._tables[0] != path:
            if self._tables is not None:
                self._tables[1].close()
            self._tables = (path, TableStore(Path(path), readonly=True))
        return self._tables[1]
