"""What a recogniser finds: a mention of an entity, by kind and normalised key.

A *key* is the entity's identity within a dataset (the same key in any spelling is one
entity): an e-mail address lower-cased, a phone number in E.164, a URL without its scheme,
"www." or fragment, a domain lower-cased, an IP address in its compressed form, a social
account as ``platform:name``. The *text* is the mention as written, and `start`/`end` are
its character offsets in the text it was found in.
"""

from __future__ import annotations

from dataclasses import dataclass

from trawl.storage.entities import KINDS

__all__ = ["KINDS", "RECOGNISER_VERSION", "Found"]

# Part of every document's and table's "done" record: a change of the recognisers (new
# kinds, better patterns) makes every document pending again, and so does a change of the
# dataset's phone region (the record holds it too). 2: people, organisations and places
# (named-entity models, name columns of tables).
RECOGNISER_VERSION = 2


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    key: str
    text: str       # as written
    start: int      # character offsets in the text searched
    end: int
