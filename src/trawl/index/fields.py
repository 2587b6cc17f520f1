"""The index's own vocabulary, shared by both backends (tantivy_backend.py and
opensearch_backend.py keep the same entries under the same field names, so that they give
the same answers): the field behind each facet, how a redacted twin is named, what a query
of plain words is, and the error of an index made by another schema."""

from __future__ import annotations

import re

from trawl.errors import TrawlError
from trawl.index.base import ENTITY_KINDS


def entity_field(kind: str) -> str:
    """The index field of one kind of entity's ids (`entity_email`), which a query names to
    filter by an entity: `entity_email:12` (search/service.py writes these)."""
    return f"entity_{kind}"


# A message's exact addresses and domains (IndexDocument.sender_addresses, ...), by facet.
MESSAGE_FIELDS = {"sender": "sender_address", "recipient_domain": "recipient_domain",
                  "participant_domain": "participant_domain"}
# Index fields behind each public facet name.
FACET_FIELDS = {"dataset": "dataset", "source": "source", "type": "family", "year": "year",
                "language": "language", "status": "status", "mime": "mime", "ocr": "ocr",
                "table": "table", "table_id": "table_id", "cluster": "cluster",
                **MESSAGE_FIELDS,
                **{kind: entity_field(kind) for kind in ENTITY_KINDS}}
NO_YEAR = 0  # the year facet's key for what has no date (datetime has no year 0)
SNIPPET_CHARS = 240
# A redacted twin is stored under its document's id plus this, so that adding or deleting one
# view never touches the other; hits give the document's id back without it.
REDACTED_SUFFIX = "~redacted"

_OPERATORS = re.compile(r'["*~:()\[\]^+\-]|\b(AND|OR|NOT)\b')


def is_plain_words(text: str) -> bool:
    """No operator, quote, field or wildcard: words that ranking.py ranks as such."""
    return not _OPERATORS.search(text)


class IndexOutdated(TrawlError):
    """The index was built by another version of Trawl's schema: run `trawl reindex`."""
