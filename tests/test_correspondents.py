"""Correspondents (#14 item 4): who wrote to whom, on the real mail of the shared corpus.

The Enron maildir sample and Tika's complex mbox are put in a dump (copied, as
test_threads.py does) and ingested; the edges `trawl correspondents` prints are checked
against the same edges counted here from the raw Enron files with the standard library's
e-mail parser (From -> each To/Cc/Bcc address, one count per distinct message), then the
domain grouping, the date and source filters, the sorts and the limit.
"""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
from ingest_helpers import cli_json, ingest, trawl_cli
from mail_helpers import addresses, enron_messages
from shared_corpus import corpus_path


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corresp") / "dump"
    shutil.copytree(corpus_path("enron-sample", "maildir"), root / "enron")
    (root / "tika").mkdir()
    shutil.copy(corpus_path("tika", "mail", "complex.mbox"), root / "tika")
    data = root.parent / "data"
    ingest(root, data, ocr=False, entities=False)
    return data


def _enron_edges() -> Counter[tuple[str, str]]:
    """(sender, recipient) -> messages, from the raw maildir (each content once)."""
    edges: Counter[tuple[str, str]] = Counter()
    for message in enron_messages():
        senders = addresses(message, "From")
        if senders:
            recipients = set(addresses(message, "To", "Cc", "Bcc"))
            edges.update((senders[0], r) for r in recipients - {senders[0]})
    return edges


def _edges(data: Path, *args: str) -> dict:
    return cli_json("correspondents", "--dataset", "test", *args, data_dir=data)


def test_edges_are_who_wrote_to_whom(mail: Path) -> None:
    expected = _enron_edges()
    found = _edges(mail, "--source", "enron", "--limit", "1000")
    assert found["by"] == "address" and found["total"] == len(found["edges"])
    got = Counter({(e["from"], e["to"]): e["messages"] for e in found["edges"]})
    # Two addresses hold stray 8-bit bytes, which the extractor and this parser decode
    # differently: compared by count only.
    assert sum(not (f + t).isascii() for f, t in got) == sum(
        not (f + t).isascii() for f, t in expected) == 2
    assert {k: n for k, n in got.items() if "".join(k).isascii()} == {
        k: n for k, n in expected.items() if "".join(k).isascii()}
    assert len(got) > 600
    top = found["edges"][0]
    assert (top["from"], top["to"], top["messages"]) == (
        "vince.kaminski@enron.com", "vkaminski@aol.com", 3)
    assert top["first"] < top["last"]


def test_domains_count_each_message_once(mail: Path) -> None:
    by_domain = _edges(mail, "--by", "domain", "--limit", "1000")
    assert by_domain["by"] == "domain"
    edges = {(e["from"], e["to"]): e["messages"] for e in by_domain["edges"]}
    assert all("@" not in f + t for f, t in edges)
    addresses = _edges(mail, "--limit", "1000")["edges"]
    aol = [e for e in addresses
           if e["from"].endswith("@enron.com") and e["to"].endswith("@aol.com")]
    # Each of these messages went to one aol.com address, so the sums agree.
    assert edges[("enron.com", "aol.com")] == sum(e["messages"] for e in aol)
    # Several enron.com recipients of one message count once.
    internal = sum(e["messages"] for e in addresses
                   if e["from"].endswith("@enron.com") and e["to"].endswith("@enron.com"))
    assert 0 < edges[("enron.com", "enron.com")] < internal


def test_filters_sorts_and_limit(mail: Path) -> None:
    tika = _edges(mail, "--source", "tika")["edges"]
    assert {(e["from"], e["to"]) for e in tika} == {
        ("jothipn@yahoo-inc.com", "core-user@hadoop.apache.org"),
        ("jianmin_woo@yahoo.com", "core-user@hadoop.apache.org")}
    assert _edges(mail, "--source", "tika", "--to", "2008-12-31")["edges"] == []
    day = _edges(mail, "--from", "2009-06-01", "--to", "2009-06-01")["edges"]
    assert {e["from"] for e in day} == {"jothipn@yahoo-inc.com", "jianmin_woo@yahoo.com"}
    in_2001 = _edges(mail, "--from", "2001", "--to", "2001-12-31", "--limit", "1000")["edges"]
    assert in_2001 and all("2001-01-01" <= e["first"] <= e["last"] < "2002" for e in in_2001)
    latest = _edges(mail, "--sort", "last", "--limit", "5")
    assert [e["last"] for e in latest["edges"]] == sorted(
        (e["last"] for e in latest["edges"]), reverse=True)
    assert len(latest["edges"]) == 5 and latest["total"] > 5
    by_from = _edges(mail, "--sort", "from", "--limit", "50")["edges"]
    assert [e["from"] for e in by_from] == sorted(e["from"] for e in by_from)


def test_bad_dates_are_refused(mail: Path) -> None:
    refused = trawl_cli("correspondents", "--dataset", "test", "--from", "June 2001",
                        data_dir=mail, check=False)
    assert refused.returncode != 0 and "YYYY" in refused.stderr
    text = trawl_cli("correspondents", "--dataset", "test", "--limit", "3", data_dir=mail)
    assert "vince.kaminski@enron.com -> vkaminski@aol.com" in text.stdout
