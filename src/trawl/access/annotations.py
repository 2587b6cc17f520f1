"""Who sees and changes which tags and notes (storage/annotations.py keeps them).

Rules, in full:

* Tags and notes are a reader's own work: only a signed-in account may write them, and only
  on a document or row of a dataset it reads **in full**. An anonymous reader, and any reader
  of a dataset it reads redacted (a public dataset's masked view), can neither write nor see
  any: a note quotes the unmasked text, and a tag names what it is about ("informant"), so
  neither may reach a reader of the masked view. This is the simplest rule that is safe.
* A reader sees their own tags and notes and those shared with a group they are in, and only
  in the datasets they read in full: a tag can never reveal a document the reader cannot
  read, since every listing, count, facet and `tag:` search asks the store with these
  datasets and this visibility (`Visible`) as values.
* Only its author changes or removes a tag or a note; sharing is with one group the author
  is in (or none: private). Admins are readers like the others here: they read every
  dataset, not every journalist's private notes.
* The unscoped archive (the data folder's owner at the terminal, scope None) sees every
  tag and note and writes as `cli:<os user>`.

Tags are free words, normalised so that one idea is one tag: trimmed, lower case, runs of
spaces as one `-`, at most MAX_TAG characters, no control characters, no `"`, brackets,
commas, `/`, `?` or `#` (so that `tag:NAME` needs no quoting in a query, and a tag is one
segment of a URL's path).
"""

from __future__ import annotations

import re
import unicodedata

from trawl.access.policy import Access, ReadScope
from trawl.errors import BadRequest
from trawl.storage.annotations import Visible

MAX_TAG = 64
MAX_NOTE = 20_000
_SPACES = re.compile(r"\s+")
_REFUSED = set('"()[]{},/?#')
EVERYONE = Visible(everyone=True)


def normalise_tag(value: str) -> str:
    """The tag as stored and searched: "  Threat Assessment " -> "threat-assessment"."""
    tag = _SPACES.sub("-", unicodedata.normalize("NFC", value or "").strip().lower())
    if not tag:
        raise BadRequest("a tag cannot be empty")
    if len(tag) > MAX_TAG:
        raise BadRequest(f"a tag has at most {MAX_TAG} characters")
    if any(c in _REFUSED or unicodedata.category(c).startswith("C") for c in tag):
        raise BadRequest('a tag cannot hold quotes, brackets, commas, /, ?, # or control '
                         'characters')
    return tag


def note_text(value: str) -> str:
    text = (value or "").strip()
    if not text:
        raise BadRequest("a note cannot be empty")
    if len(text) > MAX_NOTE:
        raise BadRequest(f"a note has at most {MAX_NOTE:,} characters")
    return text


def visible(scope: ReadScope | None) -> Visible:
    """Whose tags and notes this reader sees (in the datasets of `datasets`)."""
    if scope is None:
        return EVERYONE
    reader = scope.reader
    if reader.anonymous:
        return Visible()  # sees nothing: the SQL matches no row
    return Visible(author=reader.name, groups=reader.groups)


def datasets(scope: ReadScope | None, names: list[str]) -> list[str]:
    """Of `names`, the datasets whose tags and notes this reader may see: those read in
    full (a redacted reader sees none)."""
    if scope is None:
        return list(names)
    if scope.reader.anonymous:
        return []
    return [name for name in names if scope.access(name) is Access.FULL]


def may_annotate(scope: ReadScope | None, dataset: str) -> bool:
    return bool(datasets(scope, [dataset]))


def author(scope: ReadScope | None, owner: str) -> str:
    """Who writes: the account, or `owner` (cli:<os user>) for the unscoped archive."""
    if scope is None:
        return owner
    if scope.reader.name is None:
        raise BadRequest("sign in to tag documents or write notes")
    return scope.reader.name


def shared_with(scope: ReadScope | None, group: str | None) -> str | None:
    """The group a tag or note is shared with, as the accounts store names it: one the
    author is in (the owner at the terminal may name any; None: private)."""
    group = (group or "").strip()
    if not group:
        return None
    if scope is None:
        return group
    for name in scope.reader.groups:
        if name.lower() == group.lower():  # group names are unique without case
            return name
    raise BadRequest(f"you are not in a group named {group[:100]!r}: share with one of yours")


def check_writable(scope: ReadScope | None, dataset: str) -> None:
    if not may_annotate(scope, dataset):
        raise BadRequest("tags and notes are for signed-in readers of datasets they read "
                         "in full")
