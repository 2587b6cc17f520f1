"""Highlighting: the index's snippet ranges, and the query's words in a document's text.

Everything is escaped first and only then wrapped in <mark>, so no document text is ever
markup. Matching ignores case and accents (the index folds both), character by character so
that positions in the folded text are positions in the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from markupsafe import Markup, escape

from trawl.index.base import Snippet

MAX_TERMS = 30
MAX_MARKS = 5000
# Fields whose values are text a reader would want marked; other field filters are not.
_TEXT_FIELDS = {"text", "content", "title", "subject"}
_TOKEN = re.compile(r'"[^"]*"?|\(|\)|[^\s()"]+')
_WORD = re.compile(r"\w+")


def snippet_html(snippet: Snippet) -> Markup:
    """The snippet, escaped, with its highlight ranges in <mark>."""
    text = snippet.text
    out, last = [], 0
    for start, end in sorted(snippet.highlights):
        if start < last or end <= start or end > len(text):
            continue
        out += [escape(text[last:start]), Markup("<mark>"), escape(text[start:end]),
                Markup("</mark>")]
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    base = base.lower()
    return base if len(base) == 1 else ch.lower() if len(ch.lower()) == 1 else ch


def fold(text: str) -> str:
    """Lower case, accents removed, same length as `text` (one character for one)."""
    table = {ord(c): _fold_char(c) for c in set(text)}
    return text.translate(table)


def query_patterns(query: str) -> list[str]:
    """Regular expressions (over folded text) for the words and phrases a query looks for.

    Negated terms (NOT x, -x) and filters on other fields (type:pdf) are not marked; prefix*
    marks the words it starts; fuzzy~ marks the word itself.
    """
    patterns: list[str] = []
    negate = False
    for token in _TOKEN.findall(query or ""):
        if token in ("AND", "OR", "&&", "||", "(", ")"):
            continue
        if token in ("NOT", "!"):
            negate = True
            continue
        if token.startswith("-") or token.startswith("!"):
            negate, token = True, token[1:]
        elif token.startswith("+"):
            token = token[1:]
        field, sep, value = token.partition(":")
        if sep and not token.startswith('"'):
            if field.lower() not in _TEXT_FIELDS:
                negate = False
                continue
            token = value
        if negate:
            negate = False
            continue
        pattern = _pattern(token)
        if pattern and pattern not in patterns:
            patterns.append(pattern)
        if len(patterns) >= MAX_TERMS:
            break
    return sorted(patterns, key=len, reverse=True)


def _pattern(token: str) -> str | None:
    token = re.sub(r"\^[\d.]*$", "", token)        # boost
    token = re.sub(r"~\d*$", "", token)            # fuzzy or proximity
    prefix = token.endswith("*") and not token.startswith('"')
    words = _WORD.findall(fold(token.strip('"*')))
    if not words:
        return None
    body = r"\W+".join(re.escape(w) for w in words)
    if prefix:
        return rf"(?<!\w){body}\w*"
    if len(words) == 1 and len(words[0]) >= 4:
        # The index stems words ("crimes" finds "crime"): mark short endings too.
        return rf"(?<!\w){body}\w{{0,3}}(?!\w)"
    return rf"(?<!\w){body}(?!\w)"


def highlight_text(text: str, patterns: list[str], max_marks: int = MAX_MARKS) -> Markup:
    """`text`, escaped, with every match of `patterns` in <mark>."""
    if not patterns or not text:
        return escape(text)
    regex = re.compile("|".join(f"(?:{p})" for p in patterns))
    folded = fold(text)
    out, last, marks = [], 0, 0
    for match in regex.finditer(folded):
        start, end = match.span()
        if end == start:
            continue
        out += [escape(text[last:start]), Markup('<mark>'), escape(text[start:end]),
                Markup("</mark>")]
        last = end
        marks += 1
        if marks >= max_marks:
            break
    out.append(escape(text[last:]))
    return Markup("").join(out)
