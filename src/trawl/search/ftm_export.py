"""A dataset as FollowTheMoney entities (JSON lines), for Aleph and the FtM tools.

Built with the `followthemoney` package's own model, so that each line is what its model
makes and accepts (`ftm validate` re-parses them unchanged). The mapping follows Aleph's own
ingestors (ingest-file), read, not copied:

* a folder of the dump is a `Folder`; an archive or a mailbox a `Package`; an e-mail an
  `Email` (subject, from, to, cc, bcc, date, message id, the text; a `Person` per address
  of its headers, its emitters and recipients); a document with pages a
  `Pages` with one `Page` per page (its index and text); a CSV a `Table` (its columns and
  row count), a workbook a `Workbook` with a `Table` per sheet; an HTML page `HyperText`,
  plain text `PlainText`, an image `Image`, anything else a `Document`. Each has its
  parent (folder, archive, e-mail of an attachment), file name, size and type; a
  file that failed says so (processingStatus failure, processingError);
* what a document or a table's rows mention, as Aleph's analyser records it: e-mail
  addresses, phones and IP addresses as properties of the document (emailMentioned,
  phoneMentioned, ipMentioned); people, organisations and places as names on it
  (peopleMentioned, companiesMentioned, locationMentioned, namesMentioned) and as `Mention`
  entities (document, name, detectedSchema Person/Organization/Address) resolved to one
  `Person`, `Organization` or `Address` per entity of the dataset. URLs, domains and social
  accounts have no property in FtM: they are not exported.

FtM's contentHash is a SHA-1, the key of a file in Aleph's own archive; Trawl keeps SHA-256
(a different value, which FtM refuses as a checksum), so it is left out: Aleph hashes the
originals again when they are ingested there.

Ids are stable across runs and machines: a hash of the dataset's name and the file's path
(or the folder's, the sheet's, the entity's kind and key), never of a row id of the catalog.
Streamed: files come from one cursor in id order and each entity is written as soon as it
is made, so memory holds one file, whatever the dataset's size, and the sets of folders and
of e-mail addresses already written (far fewer than files). A record's mentions are bounded
to `MAX_MENTIONS` values, as Aleph bounds a document's tags. Text longer than FtM's limit for
one value is split into several values.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterator
from email.utils import getaddresses
from functools import lru_cache
from typing import Any

from followthemoney import model
from followthemoney.types import registry
from followthemoney.util import make_entity_id

from trawl.storage.blobs import BlobStore
from trawl.storage.catalog import Catalog, Content, Dataset, FileRow, document_id
from trawl.storage.entities import EntityStore
from trawl.storage.export_rows import dataset_files
from trawl.storage.tables import TableInfo, TableStore

Proxy = Any                                   # followthemoney's EntityProxy
MAX_MENTIONS = 10_000
TEXT_CHUNK = 60_000                           # under FtM's 65,000 characters for a text
_SCHEMA_OF_FAMILY = {"email": "Email", "archive": "Package", "mailbox": "Package",
                     "spreadsheet": "Workbook", "html": "HyperText", "text": "PlainText",
                     "image": "Image"}
_PROPERTY_OF_KIND = {"email": ("emailMentioned",), "phone": ("phoneMentioned",),
                     "ip": ("ipMentioned",), "person": ("peopleMentioned", "namesMentioned"),
                     "org": ("companiesMentioned", "namesMentioned"),
                     "place": ("locationMentioned",)}
_SCHEMA_OF_KIND = {"person": "Person", "org": "Organization", "place": "Address"}
_EMAIL = registry.email
_EMAIL_FIELDS = {"subject": "subject", "from": "from", "to": "to", "cc": "cc", "bcc": "bcc",
                 "message_id": "messageId", "in_reply_to": "inReplyTo"}


class FtmExport:
    """The entities of one dataset, in the order they are written."""

    def __init__(self, catalog: Catalog, blobs: BlobStore, tables: TableStore | None,
                 dataset: Dataset) -> None:
        self.catalog, self.blobs, self.tables, self.dataset = catalog, blobs, tables, dataset
        self.store = EntityStore(catalog)
        self._folders: set[str] = set()
        self._identities_written: set[str] = set()
        self._path_of = lru_cache(maxsize=4096)(self._path_of_id)

    def entities(self) -> Iterator[dict[str, Any]]:
        for file, content in dataset_files(self.catalog, self.dataset.id):
            if file.parent_id is None:
                yield from self._folders_above(file.path)
            for proxy in self._file(file, content):
                yield proxy.to_dict()
        yield from self._named_entities()

    # -- ids -------------------------------------------------------------------------------------
    def _id(self, *parts: Any) -> str:
        return str(make_entity_id("trawl", self.dataset.name, *parts))

    def file_id(self, path: str) -> str:
        return self._id("file", path)

    def _path_of_id(self, file_id: int) -> str | None:
        row = self.catalog.file(file_id)
        return row.path if row is not None else None

    # -- folders and files -----------------------------------------------------------------------
    def _folders_above(self, path: str) -> Iterator[dict[str, Any]]:
        """The folders of a disk file's path not written yet, outermost first."""
        parts = path.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            folder = "/".join(parts[:depth])
            if folder in self._folders:
                continue
            self._folders.add(folder)
            proxy = model.make_entity("Folder")
            proxy.id = self._id("folder", folder)
            proxy.add("fileName", parts[depth - 1])
            if depth > 1:
                proxy.add("parent", self._id("folder", "/".join(parts[:depth - 1])))
            yield proxy.to_dict()

    def _file(self, file: FileRow, content: Content | None) -> Iterator[Proxy]:
        tables = self._tables_of(file, content)
        proxy = model.make_entity(_schema(file, content, tables))
        proxy.id = self.file_id(file.path)
        _add(proxy, "fileName", posixpath.basename(file.path))
        if (parent := self._parent_id(file)) is not None:
            proxy.add("parent", parent)
        if file.size is not None:
            proxy.add("fileSize", file.size)
        if (extension := posixpath.splitext(file.path)[1].lstrip(".").lower()):
            _add(proxy, "extension", extension)
        if file.status == "failed" or (content is not None and content.status == "failed"):
            proxy.add("processingStatus", "failure")
            _add(proxy, "processingError", file.error or (content.error if content else None))
        elif file.status == "indexed":
            proxy.add("processingStatus", "success")
        children: list[Proxy] = []
        if content is not None:
            children = self._content(proxy, file, content, tables)
            doc_id = document_id(self.dataset.name, content.sha256)
            children += self._mentions(proxy, self.store.mentioned_in(document_id=doc_id))
        yield proxy
        yield from children

    def _parent_id(self, file: FileRow) -> str | None:
        if file.parent_id is not None:
            parent = self._path_of(file.parent_id)
            return self.file_id(parent) if parent is not None else None
        folder = posixpath.dirname(file.path)
        return self._id("folder", folder) if folder else None

    def _tables_of(self, file: FileRow, content: Content | None) -> list[TableInfo]:
        if self.tables is None or content is None:
            return []
        return [t for t in self.tables.tables_of_path(self.dataset.name, file.path)
                if t.sha256 == content.sha256]

    def _content(self, proxy: Proxy, file: FileRow, content: Content,
                 tables: list[TableInfo]) -> list[Proxy]:
        _add(proxy, "mimeType", content.mime)
        _add(proxy, "title", content.title)
        proxy.add("language", content.language, quiet=True)
        proxy.add("date", content.doc_date, quiet=True)
        identities: list[Proxy] = []
        if proxy.schema.is_a("Email"):
            for field, prop in _EMAIL_FIELDS.items():
                for value in _values(content.metadata.get(field)):
                    _add(proxy, prop, value)
            identities = self._identities(proxy, content.metadata)
        text = self.blobs.get_text(content.text_key) if content.text_key else ""
        if proxy.schema.is_a("Pages"):
            return self._pages(proxy, text)
        if proxy.schema.is_a("Table"):
            _table(proxy, tables[0])
            return self._table_mentions(proxy, tables[0])
        for chunk in _chunks(text):
            proxy.add("bodyText", chunk)
        if proxy.schema.is_a("Workbook"):
            return self._sheets(proxy, file, tables)
        return identities

    def _identities(self, mail: Proxy, metadata: dict[str, Any]) -> list[Proxy]:
        """Who sent and received an e-mail, as Aleph's e-mail ingestor says it: a Person per
        address (its name as the header gives it), the e-mail's emitters and recipients;
        each Person is written once in an export (the set of addresses written is kept)."""
        out = []
        for field, prop in (("from", "emitters"), ("sender", "emitters"), ("to", "recipients"),
                            ("cc", "recipients"), ("bcc", "recipients")):
            for name, address in getaddresses(_values(metadata.get(field))):
                address = address.strip().lower()
                if not _EMAIL.validate(address):
                    continue
                person_id = self._id("identity", address)
                mail.add(prop, person_id)
                mail.add("emailMentioned", address)
                if name.strip():
                    _add(mail, "namesMentioned", name.strip())
                if person_id in self._identities_written:
                    continue
                self._identities_written.add(person_id)
                person = model.make_entity("Person")
                person.id = person_id
                _add(person, "name", name.strip() or address)
                person.add("email", address)
                out.append(person)
        return out

    def _pages(self, proxy: Proxy, text: str) -> list[Proxy]:
        pages = []
        for number, page_text in enumerate(text.split("\n\f"), start=1):
            page = model.make_entity("Page")
            page.id = self._id("page", proxy.id, number)
            page.add("document", proxy.id)
            page.add("index", number)
            for chunk in _chunks(page_text):
                page.add("bodyText", chunk)
            pages.append(page)
        return pages

    def _sheets(self, proxy: Proxy, file: FileRow, tables: list[TableInfo]) -> list[Proxy]:
        out = []
        for info in tables:
            sheet = model.make_entity("Table")
            sheet.id = self._id("sheet", file.path, info.sheet_index)
            sheet.add("parent", proxy.id)
            _add(sheet, "title", info.sheet or info.name)
            _add(sheet, "fileName", info.sheet or info.name)
            _table(sheet, info)
            out += [sheet, *self._table_mentions(sheet, info)]
        return out

    def _table_mentions(self, proxy: Proxy, info: TableInfo) -> list[Proxy]:
        return self._mentions(proxy, self.store.mentioned_in(table_id=info.id))

    # -- mentions ------------------------------------------------------------------------------
    def _mentions(self, record: Proxy, found: list[tuple[int, str, str, str, str]]
                  ) -> list[Proxy]:
        """The record's mention properties, and a Mention per named entity it names."""
        named: dict[tuple[str, str], list[str]] = {}
        for _entity_id, kind, key, value, spelling in found[:MAX_MENTIONS]:
            for prop in _PROPERTY_OF_KIND.get(kind, ()):
                record.add(prop, key if kind in ("email", "phone", "ip") else value,
                           quiet=True)
            if kind in _SCHEMA_OF_KIND:
                named.setdefault((kind, key), [value]).append(spelling)
        out = []
        for (kind, key), names in named.items():
            mention = model.make_entity("Mention")
            mention.id = self._id("mention", record.id, kind, key)
            mention.add("document", record.id)
            mention.add("resolved", self._id("entity", kind, key))
            for name in dict.fromkeys(names):
                _add(mention, "name", name)
            mention.add("detectedSchema", _SCHEMA_OF_KIND[kind])
            out.append(mention)
        return out

    def _named_entities(self) -> Iterator[dict[str, Any]]:
        for _entity_id, kind, key, value in self.store.iter_entities(
                self.dataset.id, tuple(_SCHEMA_OF_KIND)):
            proxy = model.make_entity(_SCHEMA_OF_KIND[kind])
            proxy.id = self._id("entity", kind, key)
            _add(proxy, "full" if kind == "place" else "name", value)
            yield proxy.to_dict()


def _schema(file: FileRow, content: Content | None, tables: list[TableInfo]) -> str:
    if content is None:
        return "Document"
    if tables and all(t.sheet is None for t in tables):
        return "Table"           # a CSV or TSV file: one table, no sheets
    family = content.family or ""
    if family in _SCHEMA_OF_FAMILY:
        return _SCHEMA_OF_FAMILY[family]
    if content.page_count is not None:
        return "Pages"           # PDF, Word, presentations: text by page
    return "Document"


def _table(proxy: Proxy, info: TableInfo) -> None:
    proxy.add("columns", json.dumps([c.name for c in info.columns], ensure_ascii=False))
    proxy.add("rowCount", info.row_count)
    _add(proxy, "encoding", info.encoding)


def _values(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def _add(proxy: Proxy, prop: str, value: str | None) -> None:
    """A string property, cut to what FtM accepts for one value of its type."""
    if not value:
        return
    limit = proxy.schema.get(prop).type.max_length
    proxy.add(prop, value[:limit], quiet=True)


def _chunks(text: str) -> Iterator[str]:
    """`text` in pieces FtM accepts as one value each, cut at a space where there is one."""
    while text:
        if len(text) <= TEXT_CHUNK:
            yield text
            return
        cut = text.rfind(" ", TEXT_CHUNK // 2, TEXT_CHUNK) + 1 or TEXT_CHUNK
        yield text[:cut]
        text = text[cut:]
