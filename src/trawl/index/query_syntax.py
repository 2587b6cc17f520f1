"""Prefix (`protes*`) and fuzzy (`polise~`, `polise~2`) words, which users expect from any
Lucene-like engine, rewritten into what Tantivy's query parser does support.

Tantivy's parser reads `word*` as nothing useful and `word~1` as a phrase slop, so before
parsing, outside quotes:
* `[field:]word*` becomes a regular expression on the exact (unstemmed) fields,
  `(title:/word.*/ OR text:/word.*/ ...)`;
* `[field:]word~N` (N = 1 by default, at most 2) becomes the indexed words within N edits of
  it, found in the term dictionary among words with the same first letter (as most engines
  do, for speed), the most frequent first: `(police OR polite)`.
* `a AND NOT b` becomes `a AND -b`: Tantivy reads `NOT b` after `AND` as a clause of its own
  that only excludes, which matches nothing, so `a AND NOT b` found nothing at all where
  every Lucene-like engine finds the a's without b.

After parsing, a query that only excludes (`NOT x`, `-x`, or the word `NOT` alone) is refused
(`refuse_negation_only`): it names nothing to find, and Tantivy answered it with every other
document. `query_problems` says the parser's other warnings for a reader: the web shows them
(the API refuses the query with the first), the CLI prints them on stderr.
"""

from __future__ import annotations

import re
import unicodedata

import tantivy

from trawl.index.base import FIELD_ALIASES, QueryError

PREFIX_FIELDS = ("title", "text", "path", "sender", "recipients", "cc")
FUZZY_FIELDS = ("text", "title")
MAX_EXPANSIONS = 50
MAX_CANDIDATES = 50_000
MIN_PREFIX_CHARS = 2   # `a*` would match half the dictionary

_ONLY_NOT = re.compile(r"\s*(?:NOT\s*)+")  # the operator, upper case as the parser reads it
NEGATION_ONLY = ("the query only excludes (NOT or -), so it names nothing to find: add the "
                 "words to find, as in `courthouse NOT police`, or write `* NOT police` for "
                 "everything but police")
_TOKEN = re.compile(r'"[^"]*"|(?<![\w:])(?:(\w+):)?(\w+)(\*|~(\d)?)(?=[\s()]|$)')


# `participant:X`, and an address field given a domain (`from:@police.gov`), outside quotes;
# the value is a word or a "quoted phrase".
_ADDRESS_TERM = re.compile(
    r'"[^"]*"|(?<![\w.])(participant|from|to|cc|bcc):("[^"]*"|[^\s()"]+)', re.IGNORECASE)
# The exact domain field of each address field: To, Cc and Bcc share one.
DOMAIN_FIELDS = {"from": "sender_domain", "to": "recipient_domain", "cc": "recipient_domain",
                 "bcc": "recipient_domain", "participant": "participant_domain"}


def expand_addresses(text: str) -> str:
    """`participant:X` -> `(from:X OR to:X OR cc:X)`; `from:@Police.GOV` ->
    `sender_domain:police.gov` (lower-cased, as the index keeps domains). Run before the
    public field names are mapped."""
    def replace(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if name is None:
            return match.group(0)
        name = name.lower()
        bare = value.strip('"').strip()
        if bare.startswith("@") and len(bare) > 1:
            return f"{DOMAIN_FIELDS[name]}:{bare[1:].lower()}"
        if name == "participant":
            return f"(from:{value} OR to:{value} OR cc:{value})"
        return match.group(0)
    return _ADDRESS_TERM.sub(replace, text)


_AND_NOT = re.compile(r'"[^"]*"|\bAND\s+NOT\s+')


def rewrite(text: str, searcher: tantivy.Searcher) -> str:
    text = _AND_NOT.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "AND -", text)

    def replace(match: re.Match[str]) -> str:
        if match.group(0).startswith('"'):
            return match.group(0)  # a phrase (and its ~slop) is the parser's business
        field, word, operator, distance = match.groups()
        term = _fold(word)
        if operator == "*":
            return _prefix(field, term) if len(term) >= MIN_PREFIX_CHARS else match.group(0)
        return _fuzzy(searcher, field, term, min(int(distance or 1), 2))
    return _TOKEN.sub(replace, text)


def _prefix(field: str | None, term: str) -> str:
    fields = [field] if field else list(PREFIX_FIELDS)
    return "(" + " OR ".join(f"{f}:/{re.escape(term)}.*/" for f in fields) + ")"


def _fuzzy(searcher: tantivy.Searcher, field: str | None, term: str, distance: int) -> str:
    found: dict[str, int] = {}
    for name in [field] if field else FUZZY_FIELDS:
        try:
            candidates = searcher.terms_with_prefix(name, term[:1], limit=MAX_CANDIDATES)
        except ValueError:  # not a text field: leave the word as typed
            continue
        for candidate, count in candidates:
            if abs(len(candidate) - len(term)) <= distance and \
                    _within(candidate, term, distance):
                found[candidate] = found.get(candidate, 0) + count
    words = sorted(found, key=lambda w: -found[w])[:MAX_EXPANSIONS] or [term]
    prefix = f"{field}:" if field else ""
    return "(" + " OR ".join(prefix + w for w in words) + ")"


def _within(a: str, b: str, limit: int) -> bool:
    """Levenshtein distance of a and b is at most `limit` (one row at a time, early exit)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit


def _fold(word: str) -> str:
    """As the index's analyser does: lower case, accents removed."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def refuse_negation_only(text: str, warnings: list[str]) -> None:
    """QueryError for a query (as typed) that only excludes, given the parser's warnings on
    it: Tantivy says "Only excluding terms given" of `NOT x`, `-x` and `(NOT x)`."""
    if _ONLY_NOT.fullmatch(text) or any("Only excluding terms" in w for w in warnings):
        raise QueryError(NEGATION_ONLY)


def query_problems(warnings: list[str]) -> list[str]:
    """The parser's complaints about a query, said for a reader: one syntax error, however
    many ways the parser found to say it (`AND OR (` gets three)."""
    out = []
    syntax = [w for w in warnings if w.startswith("Syntax Error")]
    if len(syntax) > 1:
        details = [w.split(":", 1)[1].strip() for w in syntax]
        warnings = [w for w in warnings if not w.startswith("Syntax Error")]
        warnings.insert(0, "Syntax Error: " + "; ".join(dict.fromkeys(details)))
    for warning in warnings:
        unknown = re.search(r"Field does not exist: '([^']*)'", warning)
        if unknown:
            out.append(f"unknown field {unknown.group(1)[:40]!r} in the query (fields are "
                       + ", ".join(sorted(FIELD_ALIASES))
                       + '); put text that contains ":" in quotes')
        elif warning.startswith("Syntax Error"):
            detail = warning.split(":", 1)[1].strip()
            out.append(f"syntax error in the query ({detail}); check quotes and brackets, "
                       "or put words with special characters in quotes")
        else:
            out.append(f"part of the query is not valid: {warning}")
    return out
