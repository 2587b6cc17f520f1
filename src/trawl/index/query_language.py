"""Trawl's query language as a tree, for any engine: what a reader types, parsed here and
compiled by each backend to its own query objects, never handed to an engine as text.

The embedded backend lets Tantivy's parser read the text (after query_syntax.py's rewrites);
an engine whose parser reads other things (OpenSearch's `query_string` runs regular
expressions, scripts of ranges, `_exists_` and every field of the index) must not see what a
reader typed. So the language is defined once here, as the README says it:

    words            Term (every word required: conjunction by default)
    "a phrase"~N     Phrase (N: slop)
    a AND b, a b     And          a OR b      Or
    NOT a, -a        Not (inside an And or an Or: excluded there)     +a: required
    (a OR b)         a group; `title:(a OR b)` gives the field to each word inside
    field:value      the word, phrase, prefix or group in one field (FIELD_ALIASES, mapped
                     to index fields; the index's own exact fields, `entity_email:12` as
                     search/entity_filters.py writes them, too)
    word*            Prefix (at least MIN_PREFIX_CHARS letters)
    word~N           Fuzzy (N = 1 by default, at most 2)
    word^2           a boost of what precedes
    *                MatchAll (`* NOT x`: everything but x)
    participant:X    (from:X OR to:X OR cc:X);  from:@domain: that exact domain (lower case)

Precedence: NOT binds tightest, then AND (written or implied), then OR. A group (the whole
query included) that only excludes is refused with query_syntax.NEGATION_ONLY, as the
Tantivy backend refuses it; so are unbalanced quotes and brackets, unknown field names, and
queries too long or too deep to be a reader's (each limit says so in its message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trawl.index.base import ENTITY_KINDS, FIELD_ALIASES, QueryError
from trawl.index.query_syntax import NEGATION_ONLY
from trawl.index.query_syntax import _fold as fold

MAX_QUERY_CHARS = 2000     # as the Tantivy backend
MAX_DEPTH = 24             # nested groups
MAX_LEAVES = 64            # words, phrases, prefixes: an engine's clause limit (1024) is
                           # this times the fields a word is searched in, and then some
MIN_PREFIX_CHARS = 2       # `a*` would match half the dictionary
MAX_FUZZY = 2

# Exact-valued index fields (one term each, case kept) and their address-domain aliases.
KEYWORD_FIELDS = frozenset({"family", "mime", "source", "dataset", "language", "status",
                            "year", "id", "ocr", "table", "sender_domain", "sender_address",
                            "recipient_domain", "participant_domain",
                            *(f"entity_{kind}" for kind in ENTITY_KINDS)})
TEXT_FIELDS = frozenset({"title", "text", "path", "sender", "recipients", "cc", "meta"})
DOMAIN_FIELDS = {"from": "sender_domain", "to": "recipient_domain", "cc": "recipient_domain",
                 "bcc": "recipient_domain", "participant": "participant_domain"}
PARTICIPANT_FIELDS = ("sender", "recipients", "cc")


# -- the tree -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Term:
    word: str
    field: str | None = None     # an index field; None: the default fields
    boost: float = 1.0


@dataclass(frozen=True)
class Phrase:
    words: str
    field: str | None = None
    slop: int = 0
    boost: float = 1.0


@dataclass(frozen=True)
class Prefix:
    word: str                    # folded (lower case, no accents), as the exact fields hold it
    field: str | None = None
    boost: float = 1.0


@dataclass(frozen=True)
class Fuzzy:
    word: str                    # folded
    distance: int = 1
    field: str | None = None
    boost: float = 1.0


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]
    boost: float = 1.0


Node = Term | Phrase | Prefix | Fuzzy | MatchAll | Not | And | Or
Leaf = Term | Phrase | Prefix | Fuzzy


def leaves(node: Node) -> list[Leaf]:
    """The words, phrases, prefixes and fuzzy words of a tree, excluded ones too."""
    if isinstance(node, Not):
        return leaves(node.child)
    if isinstance(node, And | Or):
        return [leaf for child in node.children for leaf in leaves(child)]
    return [] if isinstance(node, MatchAll) else [node]


def has_phrase(node: Node) -> bool:
    return any(isinstance(leaf, Phrase) for leaf in leaves(node))


# -- reading --------------------------------------------------------------------------------
@dataclass
class _Token:
    kind: str          # word | phrase | ( | ) | and | or | not | + | - | all
    text: str = ""
    field: str | None = None     # a `field:` written before it
    suffix: str = ""             # "*", "~", "~2", "^2"... (words and phrases)


_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):(?=[^\s:])")
_SUFFIX = re.compile(r"(?:~(\d*)|\^(\d+(?:\.\d+)?))+$")
_SPECIAL = set('()"')


def parse(text: str) -> Node | None:
    """The tree of a query as typed; None for an empty query or `*` alone (everything)."""
    text = (text or "").strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    if not text or text == "*":
        return None
    tokens = _tokens(text)
    if all(token.kind in ("not", "-", "+") for token in tokens):
        raise QueryError(NEGATION_ONLY)  # `NOT` alone, `- -`: nothing to find
    parser = _Parser(tokens)
    node = parser.expression(depth=0, field=None)
    if parser.position < len(tokens):
        raise _syntax("a closing bracket without its opening one")
    if len(leaves(node)) > MAX_LEAVES:
        raise QueryError(f"the query has more than {MAX_LEAVES} words, phrases and prefixes")
    _refuse_negation_only(node)
    return node


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    pending_field: str | None = None
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if pending_field is None:
            match = _FIELD.match(text, i)
            if match:
                pending_field = match.group(1)
                i = match.end()
                continue
        if c in "()":
            out.append(_Token(c, field=pending_field))
            pending_field = None
            i += 1
            continue
        if c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _syntax("a quote without its closing quote")
            j = end + 1
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            out.append(_Token("phrase", text[i + 1:end], pending_field, text[end + 1:j]))
            pending_field = None
            i = j
            continue
        if pending_field is None and c in "+-" and i + 1 < n and \
                not text[i + 1].isspace() and (i == 0 or text[i - 1].isspace() or
                                               text[i - 1] == "("):
            out.append(_Token(c))
            i += 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
            j += 1
        word = text[i:j]
        i = j
        if pending_field is None and word in ("AND", "OR", "NOT", "&&", "||"):
            out.append(_Token({"&&": "and", "||": "or"}.get(word, word.lower())))
            continue
        if pending_field is None and word == "*":
            out.append(_Token("all"))
            continue
        out.append(_token_of_word(word, pending_field))
        pending_field = None
    if pending_field is not None:
        raise _syntax(f"nothing after {pending_field}:")
    return out


def _token_of_word(word: str, field_name: str | None) -> _Token:
    suffix = ""
    match = _SUFFIX.search(word)
    if match and match.start() > 0:
        word, suffix = word[:match.start()], match.group(0)
    elif word.endswith("*") and len(word) > 1:
        word, suffix = word.rstrip("*"), "*"
    return _Token("word", word, field_name, suffix)


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.position = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self, depth: int, field: str | None) -> Node:
        """OR of ANDs."""
        if depth > MAX_DEPTH:
            raise QueryError(f"the query nests brackets more than {MAX_DEPTH} deep")
        either = [self.conjunction(depth, field)]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            either.append(self.conjunction(depth, field))
        return either[0] if len(either) == 1 else Or(tuple(either))

    def conjunction(self, depth: int, field: str | None) -> Node:
        both = [self.unary(depth, field)]
        while (token := self.peek()) is not None and token.kind not in ("or", ")"):
            if token.kind == "and":
                self.take()
            both.append(self.unary(depth, field))
        return both[0] if len(both) == 1 else And(tuple(both))

    def unary(self, depth: int, field: str | None) -> Node:
        token = self.peek()
        if token is None:
            raise _syntax("an operator without words after it")
        if token.kind in ("not", "-"):
            self.take()
            return Not(self.unary(depth, field))
        if token.kind == "+":
            self.take()
            return self.unary(depth, field)
        return self.primary(depth, field)

    def primary(self, depth: int, field: str | None) -> Node:
        token = self.take()
        if token.kind == "(":
            inner_field = _index_field(token.field) if token.field else field
            if (nxt := self.peek()) is not None and nxt.kind == ")":
                raise _syntax("empty brackets")
            node = self.expression(depth + 1, inner_field)
            if (close := self.peek()) is None or close.kind != ")":
                raise _syntax("a bracket without its closing one")
            self.take()
            if isinstance(node, Not):  # `(NOT x)`: a group that only excludes
                raise QueryError(NEGATION_ONLY)
            return node
        if token.kind == "all":
            return MatchAll()
        if token.kind in ("word", "phrase"):
            return _leaf(token, field)
        if token.kind == ")":
            raise _syntax("a closing bracket without its opening one")
        raise _syntax(f"{token.kind.upper()} without words on both sides")


def _leaf(token: _Token, group_field: str | None) -> Node:
    written = token.field.lower() if token.field else None
    boost = _boost(token.suffix)
    if token.kind == "phrase":
        return _phrase(token, written, group_field, boost)
    word = token.text
    if not word:
        raise _syntax("a field name without a value")
    if written in ("participant", "from", "to", "cc", "bcc") and word.startswith("@") and \
            len(word) > 1 and not token.suffix:
        return Term(word[1:].lower(), DOMAIN_FIELDS[written])
    if written == "participant":
        return Or(tuple(_word_node(word, name, token.suffix, boost)
                        for name in PARTICIPANT_FIELDS))
    return _word_node(word, _index_field(written) if written else group_field, token.suffix,
                      boost)


def _phrase(token: _Token, written: str | None, group_field: str | None,
            boost: float) -> Node:
    words = token.text.strip()
    slop_match = re.match(r"~(\d*)", token.suffix)
    slop = int(slop_match.group(1) or 0) if slop_match else 0
    if written in ("participant", "from", "to", "cc", "bcc") and words.startswith("@") \
            and len(words) > 1:
        return Term(words[1:].lower(), DOMAIN_FIELDS[written])
    if not words:
        raise _syntax("an empty phrase")
    if written == "participant":
        return Or(tuple(Phrase(words, name, slop, boost) for name in PARTICIPANT_FIELDS))
    name = _index_field(written) if written else group_field
    if name in KEYWORD_FIELDS:
        return Term(words, name, boost)
    return Phrase(words, name, slop, boost)


def _word_node(word: str, field_name: str | None, suffix: str, boost: float) -> Node:
    if field_name in KEYWORD_FIELDS:
        return Term(word, field_name, boost)
    if suffix == "*":
        folded = fold(word)
        if len(folded) >= MIN_PREFIX_CHARS:
            return Prefix(folded, field_name, boost)
        return Term(word, field_name, boost)
    fuzzy = re.match(r"~(\d*)", suffix)
    if fuzzy:
        distance = min(int(fuzzy.group(1) or 1), MAX_FUZZY)
        return Fuzzy(fold(word), distance, field_name, boost)
    return Term(word, field_name, boost)


def _boost(suffix: str) -> float:
    match = re.search(r"\^(\d+(?:\.\d+)?)", suffix)
    return float(match.group(1)) if match else 1.0


def _index_field(written: str) -> str:
    name = written.lower()
    if name in FIELD_ALIASES:
        return FIELD_ALIASES[name]
    if name in KEYWORD_FIELDS or name in TEXT_FIELDS:
        return name
    raise QueryError(f"unknown field {written[:40]!r} in the query (fields are "
                     + ", ".join(sorted(FIELD_ALIASES))
                     + '); put text that contains ":" in quotes')


def _refuse_negation_only(node: Node) -> None:
    """Every group must name something to find: a NOT alone finds nothing."""
    if isinstance(node, Not):
        raise QueryError(NEGATION_ONLY)
    if isinstance(node, And | Or):
        positive = [c for c in node.children if not isinstance(c, Not)]
        if not positive:
            raise QueryError(NEGATION_ONLY)
        for child in node.children:
            _refuse_negation_only(child.child if isinstance(child, Not) else child)


def _syntax(detail: str) -> QueryError:
    return QueryError(f"syntax error in the query ({detail}); check quotes and brackets, "
                      "or put words with special characters in quotes")
