"""The one decision of which entities a reader sees (access/entities.py)."""

from __future__ import annotations

from trawl.access.entities import entity_visible, visible_kinds, visible_spellings
from trawl.access.policy import Access
from trawl.access.redaction import RedactionRules, Redactor

KINDS = ("email", "phone", "url", "domain", "ip", "handle", "person", "org", "place")


def test_full_readers_see_every_kind_and_none_sees_nothing():
    assert visible_kinds(Access.FULL, KINDS) == KINDS
    assert visible_kinds(Access.NONE, KINDS) == ()
    assert not entity_visible(Access.NONE, "org", "FBI", Redactor())


def test_redacted_readers_never_see_personal_kinds():
    assert visible_kinds(Access.REDACTED, KINDS) == ("url", "domain", "org", "place")
    for kind in ("email", "phone", "ip", "handle", "person"):
        assert not entity_visible(Access.REDACTED, kind, "plain words", Redactor())
    assert entity_visible(Access.REDACTED, "org", "Houston Police Department", Redactor())


def test_redacted_readers_see_only_values_the_redactor_leaves_alone():
    redactor = Redactor(RedactionRules(terms=["Operation Nightjar"]))
    assert not entity_visible(Access.REDACTED, "org", "Operation Nightjar", redactor)
    assert not entity_visible(Access.REDACTED, "url", "example.org/?to=jane.doe@example.org",
                              redactor)
    assert visible_spellings(Access.REDACTED, ["FBI", "operation nightjar", "F.B.I."],
                             redactor) == ["FBI", "F.B.I."]
    assert visible_spellings(Access.FULL, ["a", "b"], None) == ["a", "b"]
