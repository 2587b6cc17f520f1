"""Which entities a reader of a dataset may see: the one decision, for every way in.

A caller who may not read a dataset sees none of its entities: not in lists, facets, counts,
co-occurrences or cross-references (the callers ask only for the datasets of their
`ReadScope`, as for documents). A caller who reads a public dataset through its redacted view
sees only what redaction would leave readable:

* never a kind that is personal data: e-mail addresses, phone numbers, IP addresses, social
  accounts and people (redaction masks the first three in text, and names in personal table
  columns; a list of a dataset's people or accounts would publish exactly what redaction hides,
  gathered in one place);
* of the other kinds (organisations, places, URLs, domains), only an entity whose value the
  dataset's redactor leaves as it is (an admin's term or pattern masks it, or a URL that holds
  an address); and of its spellings, only those the redactor leaves as they are.

Counts of a visible entity are those of the full dataset (documents and sources that mention
it); they tell nothing the redacted documents do not show, since its value is readable there.
"""

from __future__ import annotations

from collections.abc import Iterable

from trawl.access.policy import Access
from trawl.access.redaction import Redactor

PERSONAL_KINDS = frozenset({"email", "phone", "ip", "handle", "person"})


def visible_kinds(access: Access, kinds: Iterable[str]) -> tuple[str, ...]:
    """The kinds, of `kinds`, that a caller with `access` to a dataset may see."""
    if access is Access.FULL:
        return tuple(kinds)
    if access is Access.REDACTED:
        return tuple(k for k in kinds if k not in PERSONAL_KINDS)
    return ()


def entity_visible(access: Access, kind: str, value: str, redactor: Redactor | None) -> bool:
    """Whether an entity of `kind` and display `value` exists for a caller with `access`.
    `redactor` is the dataset's (needed for redacted access only)."""
    if access is Access.FULL:
        return True
    if access is not Access.REDACTED or kind in PERSONAL_KINDS:
        return False
    return redactor is not None and unchanged(redactor, value)


def visible_spellings(access: Access, spellings: Iterable[str],
                      redactor: Redactor | None) -> list[str]:
    if access is Access.FULL:
        return list(spellings)
    if access is not Access.REDACTED or redactor is None:
        return []
    return [s for s in spellings if unchanged(redactor, s)]


def unchanged(redactor: Redactor, text: str) -> bool:
    return not redactor.spans(text)
