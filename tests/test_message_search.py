"""Searching messages by who sent and received them (#14 item 4): `from:`, `to:`, `cc:`,
`participant:` (any of them), an address field given `@domain` (that exact domain), and the
facets on senders and recipient domains; on generated .eml files through a real ingestion,
and on the Enron maildir of the shared corpus against its raw headers.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from ingest_helpers import cli_json, ingest, search
from mail_helpers import addresses, enron_messages
from shared_corpus import corpus_path

from trawl.access.redaction import Redactor
from trawl.derive.redacted_view import redact_document
from trawl.index.base import IndexDocument

MESSAGES = {  # name: (From, To, Cc, Bcc)
    "a.eml": ("Alice Smith <Alice@Example.ORG>", "bob@police.gov", "carol@fusion.net", ""),
    "b.eml": ("bob@police.gov", "Alice <alice@example.org>", "", "dave@fusion.net"),
    "c.eml": ("carol@fusion.net", "bob@police.gov, eve@police.gov", "", ""),
}


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("messages")
    dump = root / "dump"
    dump.mkdir()
    for name, (sender, to, cc, bcc) in MESSAGES.items():
        headers = [f"From: {sender}", f"To: {to}", f"Subject: Plan {name}",
                   "Date: Mon, 2 May 2001 10:00:00 +0000"]
        headers += [f"Cc: {cc}"] * bool(cc) + [f"Bcc: {bcc}"] * bool(bcc)
        (dump / name).write_text("\n".join(headers) + "\n\nThe protest plan.\n")
    (dump / "note.txt").write_text("A protest plan for bob@police.gov, not a message.\n")
    data = root / "data"
    ingest(dump, data, ocr=False, entities=False)
    return data


def _found(data: Path, query: str) -> set[str]:
    return {hit.path for hit in search(data, query).hits}


@pytest.mark.parametrize(("query", "expected"), [
    ("from:alice@example.org", {"a.eml"}),
    ('from:"Alice Smith"', {"a.eml"}),
    ("to:bob@police.gov", {"a.eml", "c.eml"}),
    ("to:carol@fusion.net", set()),              # in Cc, not To
    ("cc:carol@fusion.net", {"a.eml"}),
    ("bcc:dave@fusion.net", {"b.eml"}),          # Bcc is searched as cc:
    ("participant:carol@fusion.net", {"a.eml", "c.eml"}),
    ("participant:bob@police.gov", {"a.eml", "b.eml", "c.eml"}),
    ("from:@police.gov", {"b.eml"}),
    ("to:@FUSION.net", {"a.eml", "b.eml"}),      # To, Cc or Bcc; case folded
    ("participant:@example.org", {"a.eml", "b.eml"}),
    ('participant:"@police.gov" AND NOT from:@police.gov', {"a.eml", "c.eml"}),
    ("protest NOT participant:@fusion.net", {"note.txt"}),
])
def test_address_fields(mail: Path, query: str, expected: set[str]) -> None:
    assert _found(mail, query) == expected


def test_sender_and_domain_facets_count_messages(mail: Path) -> None:
    result = search(mail, "protest", facets=("sender", "recipient_domain",
                                             "participant_domain"))
    assert result.total == 4
    assert dict(result.facets["sender"]) == {
        "alice@example.org": 1, "bob@police.gov": 1, "carol@fusion.net": 1}
    assert dict(result.facets["recipient_domain"]) == {
        "police.gov": 2, "fusion.net": 2, "example.org": 1}
    assert dict(result.facets["participant_domain"]) == {
        "police.gov": 3, "fusion.net": 3, "example.org": 2}
    # A facet value is a filter: the documents it counts.
    filtered = search(mail, "protest", filters={"recipient_domain": ["fusion.net"]})
    assert {h.path for h in filtered.hits} == {"a.eml", "b.eml"}


def test_the_cli_filters_by_sender(mail: Path) -> None:
    found = cli_json("search", "protest", "--sender", "carol@fusion.net", data_dir=mail)
    assert [h["path"] for h in found["hits"]] == ["c.eml"]


def test_the_redacted_view_keeps_domains_not_addresses() -> None:
    doc = IndexDocument(id="x", dataset="d", path="a.eml", paths=["a.eml"], sources=["a"],
                        family="email", mime="message/rfc822", status="indexed",
                        sender="Jane <jane@example.org>", sender_addresses=["jane@example.org"],
                        recipient_domains=["police.gov"],
                        domains=["example.org", "police.gov"])
    twin = redact_document(doc, Redactor())
    assert twin.sender_addresses == [] and "jane@example.org" not in twin.sender
    assert twin.recipient_domains == ["police.gov"]
    assert twin.domains == ["example.org", "police.gov"]


@pytest.fixture(scope="module")
def enron(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("enron")
    shutil.copytree(corpus_path("enron-sample", "maildir"), root / "dump" / "enron")
    ingest(root / "dump", root / "data", ocr=False, entities=False)
    return root / "data"


def _raw_senders() -> Counter[str]:
    """Sender address -> distinct messages, from the raw maildir by the standard parser."""
    return Counter(found[0] for message in enron_messages()
                   if (found := addresses(message, "From")))


def test_enron_senders_match_the_raw_headers(enron: Path) -> None:
    expected = {a: n for a, n in _raw_senders().items() if a.isascii()}
    result = search(enron, "", facets=("sender",), facet_size=1000, limit=1)
    found = {a: n for a, n in result.facets["sender"] if a.isascii()}
    assert found == expected and len(found) > 20
    top, count = max(expected.items(), key=lambda item: item[1])
    assert search(enron, f"from:{top}", limit=1).total == count
