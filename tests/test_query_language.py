"""The query language as a tree (index/query_language.py): what each construct a reader
types parses to, and what is refused (hostile inputs included), without any engine."""

from __future__ import annotations

import pytest

from trawl.index.base import QueryError
from trawl.index.query_language import (
    MAX_DEPTH,
    MAX_LEAVES,
    MAX_QUERY_CHARS,
    And,
    Fuzzy,
    MatchAll,
    Not,
    Or,
    Phrase,
    Prefix,
    Term,
    has_phrase,
    leaves,
    parse,
)
from trawl.index.query_syntax import NEGATION_ONLY


@pytest.mark.parametrize("text, tree", [
    ("police", Term("police")),
    ("police report", And((Term("police"), Term("report")))),
    ("police AND report", And((Term("police"), Term("report")))),
    ("police && report", And((Term("police"), Term("report")))),
    ("police OR report", Or((Term("police"), Term("report")))),
    # AND binds tighter than OR; brackets group.
    ("a OR b c", Or((Term("a"), And((Term("b"), Term("c")))))),
    ("(a OR b) c", And((Or((Term("a"), Term("b"))), Term("c")))),
    ("a AND NOT b", And((Term("a"), Not(Term("b"))))),
    ("a -b", And((Term("a"), Not(Term("b"))))),
    ("+a -b", And((Term("a"), Not(Term("b"))))),
    ("high-speed", Term("high-speed")),     # a hyphen inside a word is no operator
    ("* NOT police", And((MatchAll(), Not(Term("police"))))),
    ('"bomb threat"', Phrase("bomb threat")),
    ('"bomb threat"~3', Phrase("bomb threat", slop=3)),
    ('title:"bomb threat"', Phrase("bomb threat", "title")),
    ("title:(protest OR march)", Or((Term("protest", "title"), Term("march", "title")))),
    ("protes*", Prefix("protes")),
    ("Genèv*", Prefix("genev")),              # folded as the exact fields are
    ("path:ncric*", Prefix("ncric", "path")),
    ("a*", Term("a")),                        # too short to be a prefix
    ("polise~", Fuzzy("polise", 1)),
    ("polise~2", Fuzzy("polise", 2)),
    ("polise~9", Fuzzy("polise", 2)),         # at most 2 edits
    ("police^2", Term("police", boost=2.0)),
    # Public field names are mapped to the index's, exact-valued fields kept exact.
    ("type:pdf", Term("pdf", "family")),
    ("subject:budget", Term("budget", "title")),
    ("from:jane", Term("jane", "sender")),
    ("year:2019", Term("2019", "year")),
    ("entity_email:12", Term("12", "entity_email")),
    ("source:NCRIC", Term("NCRIC", "source")),
    ('type:"pdf"', Term("pdf", "family")),
    ("from:@Police.GOV", Term("police.gov", "sender_domain")),
    ("to:@fusion.net", Term("fusion.net", "recipient_domain")),
    ("participant:@fusion.net", Term("fusion.net", "participant_domain")),
    ("participant:jane@x.org", Or((Term("jane@x.org", "sender"),
                                   Term("jane@x.org", "recipients"),
                                   Term("jane@x.org", "cc")))),
    ('participant:"Jane Doe"', Or((Phrase("Jane Doe", "sender"),
                                   Phrase("Jane Doe", "recipients"),
                                   Phrase("Jane Doe", "cc")))),
    ("a OR NOT b", Or((Term("a"), Not(Term("b"))))),   # Lucene's: the a's, no b among them
])
def test_parse_trees(text: str, tree) -> None:
    assert parse(text) == tree


def test_empty_and_everything_are_no_tree() -> None:
    assert parse("") is None
    assert parse("   ") is None
    assert parse("*") is None


@pytest.mark.parametrize("text", ["NOT police", "-police", "NOT", "(NOT police)",
                                  "NOT a AND NOT b", "-a -b", "NOT NOT", "(-a) b OR (-c)"])
def test_only_excluding_is_refused(text: str) -> None:
    with pytest.raises(QueryError) as refused:
        parse(text)
    assert str(refused.value) == NEGATION_ONLY


@pytest.mark.parametrize("text, says", [
    ('"unbalanced', "closing quote"),
    ('police "bomb', "closing quote"),
    ("(police report", "closing one"),
    ("police report)", "without its opening one"),
    (")(", "without its opening one"),
    ("()", "empty brackets"),
    ("police AND", "operator without words"),
    ("OR police", "OR without words"),
    ('title:""', "empty phrase"),
    ("nosuchfield:x", "unknown field 'nosuchfield'"),
    ("Body:x", "unknown field 'body'"),
    ("_source:x", "unknown field '_source'"),       # the engine's own fields are not Trawl's
    ("x" * (MAX_QUERY_CHARS + 1), "longer than"),
    ("(" * (MAX_DEPTH + 2) + "a" + ")" * (MAX_DEPTH + 2), "deep"),
    (" ".join(f"w{i}" for i in range(MAX_LEAVES + 1)), "more than"),
])
def test_hostile_inputs_are_refused_with_a_reason(text: str, says: str) -> None:
    with pytest.raises(QueryError) as refused:
        parse(text)
    assert says in str(refused.value)


def test_engine_syntax_is_only_words() -> None:
    """What another engine's parser would run (regular expressions, ranges, scripts) is
    words here: nothing typed is ever an engine's query text."""
    tree = parse("/.*/ [a TO z] {1 TO 2} _exists_")
    assert all(isinstance(leaf, Term) and leaf.field is None for leaf in leaves(tree))
    assert [leaf.word for leaf in leaves(tree)] == ["/.*/", "[a", "TO", "z]", "{1", "TO",
                                                    "2}", "_exists_"]


def test_url_in_quotes_is_a_phrase_and_a_bare_one_an_unknown_field() -> None:
    assert parse('"http://example.org/a"') == Phrase("http://example.org/a")
    with pytest.raises(QueryError, match="unknown field 'http'"):
        parse("http://example.org/a")


def test_has_phrase_and_leaves() -> None:
    tree = parse('budget OR ("bomb threat" -drill)')
    assert has_phrase(tree)
    assert not has_phrase(parse("budget OR drill"))
    assert [type(leaf).__name__ for leaf in leaves(tree)] == ["Term", "Phrase", "Term"]


def test_unicode_and_control_characters_do_not_break_the_parser() -> None:
    assert parse("Réunion à Genève") == And((Term("Réunion"), Term("à"), Term("Genève")))
    assert parse("a\u0000b") == Term("a\u0000b")
    assert parse("\t police \n") == Term("police")
