"""E-mail threads (#14): threading rules, quoted spans, the thread stage on real mail.

Real mail of the shared corpus (copied into a temporary dump, as the entity tests do): the
PST of ingest-file (a question and its reply), its two Apple Mail messages (a reply a year
later, linked by References), its messages attached to messages, Tika's complex mbox (three
replies threaded by In-Reply-To/References), the Enron maildir (no threading headers: its
one reply found by the subject fallback). Generated messages where the order of arrival
matters (incremental runs) or where unrelated mail must stay apart.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ingest_helpers import cli_json, ingest, trawl_cli
from shared_corpus import corpus_path

from trawl.derive.quotes import quoted_spans, unquoted
from trawl.derive.threads import message_facts, normalise_subject
from trawl.ingestion.thread_stage import ThreadStage
from trawl.search.service import Archive
from trawl.search.threads import ThreadReader
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir
from trawl.storage.threads import ThreadStore


# -- rules ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("subject", "key", "reply"), [
    ("Re: Budget 2001", "budget 2001", True),
    ("RE : TR: Fwd: Budget  2001", "budget 2001", True),
    ("Réf. : Budget 2001", "budget 2001", True),
    ("AW: WG: Budget 2001", "budget 2001", True),
    ("Re[2]: Budget 2001", "budget 2001", True),
    ("[ncric-list] Re: Budget 2001", "budget 2001", True),
    ("Budget 2001", "budget 2001", False),
    ("Été à Paris", "ete a paris", False),
    ("Regarding the budget", "regarding the budget", False),
])
def test_subjects_are_normalised(subject: str, key: str, reply: bool) -> None:
    assert normalise_subject(subject) == (key, reply)


def test_facts_read_headers_and_addresses() -> None:
    facts = message_facts("d1", "s1", None, {
        "subject": "RE: Plan", "from": "Jane Doe <Jane@Example.ORG>",
        "to": ["bob@example.org", "Carol <carol@example.org>"], "cc": ["Just A Name"],
        "message_id": "abc@Example.ORG", "references": ["<root@x.org>"],
        "date": "2001-05-14T23:39:00Z"}, None, ["p1"])
    assert facts.participants == ["jane@example.org", "bob@example.org", "carol@example.org"]
    assert facts.message_id == "abc@example.org"
    assert facts.reply_to == "root@x.org" and facts.has_thread_headers and not facts.loose
    assert "<document>p1" in facts.keys and "<document>d1" in facts.keys


# -- quoted text ----------------------------------------------------------------------------------
QUOTES = [
    ("Thanks.\n\nOn Tue, 3 May 2001, Jane <j@x.org> wrote:\n> the plan\n> is ready\n",
     "On Tue, 3 May 2001, Jane <j@x.org> wrote:\n> the plan\n> is ready\n"),
    ("Ok\n\nLe 3 mai 2001 à 10:00, Jean Dupont\na écrit :\n> le plan\n",
     "Le 3 mai 2001 à 10:00, Jean Dupont\na écrit :\n> le plan\n"),
    ("See below\n-----Original Message-----\nFrom: Jane\nSent: Monday\nSubject: x\nold",
     "-----Original Message-----\nFrom: Jane\nSent: Monday\nSubject: x\nold"),
    ("Voir\n\nDe : Jean Dupont\nEnvoyé : lundi 3 mai 2001\nÀ : Marie\nObjet : TR: plan\n\nvieux",
     "De : Jean Dupont\nEnvoyé : lundi 3 mai 2001\nÀ : Marie\nObjet : TR: plan\n\nvieux"),
    ("Mike,\n\n\"Carson, Mike\" <Mike.Carson@enron.com> on 10/25/2001 04:04:08 PM\n\n"
     "To:   <m@yahoo.com>\ncc:\nSubject:  FW: Wagon Crash\n",
     "\"Carson, Mike\" <Mike.Carson@enron.com> on 10/25/2001 04:04:08 PM\n\n"
     "To:   <m@yahoo.com>\ncc:\nSubject:  FW: Wagon Crash\n"),
    ("fyi\n---------- Forwarded message ---------\nFrom: a\nthe text",
     "---------- Forwarded message ---------\nFrom: a\nthe text"),
]


@pytest.mark.parametrize(("text", "quoted"), QUOTES)
def test_quoted_spans_are_found(text: str, quoted: str) -> None:
    spans = quoted_spans(text)
    assert "".join(text[s:e] for s, e in spans) == quoted
    assert unquoted(text) == text[:len(text) - len(quoted)] if text.endswith(quoted) else True


def test_text_without_quotes_has_no_span() -> None:
    text = "From the start, we said: the plan > the budget.\nOn Monday we meet.\n"
    assert quoted_spans(text) == []


# -- the stage on real mail -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mail") / "dump"
    (root / "ingest-file").mkdir(parents=True)
    for name in ("testPST.pst", "plaintext.emlx", "richtext.emlx",
                 "email_attached_plaintext.eml", "email_attached_inline.eml",
                 "email_attached_alternative.eml", "email_multipart_mixed.eml"):
        shutil.copy(corpus_path("ingest-file", name), root / "ingest-file")
    (root / "tika").mkdir()
    shutil.copy(corpus_path("tika", "mail", "complex.mbox"), root / "tika")
    shutil.copytree(corpus_path("enron-sample", "maildir"), root / "enron")
    data = root.parent / "data"
    ingest(root, data, ocr=False, entities=False)
    return data


def _threads(data: Path) -> dict[frozenset[str], str]:
    """Each thread as the set of its messages' paths -> its subject."""
    catalog = Catalog(DataDir.open(data).catalog_path, readonly=True)
    try:
        store = ThreadStore(catalog)
        ds = catalog.dataset("test")
        assert ds is not None
        rows, _total = store.listing(ds.id, None, 0, 10_000)
        out = {}
        for row in rows:
            paths = set()
            for message in store.messages(row.id):
                found = catalog.document(message.document_id)
                assert found is not None
                paths |= {f.path for f in catalog.files_of_content(ds.id, found[1].sha256)}
            out[frozenset(paths)] = row.subject
        return out
    finally:
        catalog.close()


def _thread_of(threads: dict[frozenset[str], str], path: str) -> frozenset[str]:
    return next(paths for paths in threads if path in paths)


def test_known_threads_come_out_whole(mail: Path) -> None:
    threads = _threads(mail)
    pst = _thread_of(threads, "ingest-file/testPST.pst/Début du fichier de données Outlook/"
                              "00003-Feature-Generators.eml")
    assert any(p.endswith("00001-Re-Feature-Generators.eml") for p in pst) and len(pst) == 2
    emlx = _thread_of(threads, "ingest-file/plaintext.emlx")
    assert emlx == {"ingest-file/plaintext.emlx", "ingest-file/richtext.emlx"}
    mbox = _thread_of(threads, "tika/complex.mbox/message-00001.eml")
    assert len(mbox) == 3 and threads[mbox].startswith("Re: question about when shuffle")
    # Enron has no threading headers: "Re: Hello" joins "Hello" by its subject and people.
    assert _thread_of(threads, "enron/allen-p/_sent_mail/1001.") == {
        "enron/allen-p/_sent_mail/1001.", "enron/allen-p/_sent_mail/1002."}


def test_attached_messages_join_the_thread(mail: Path) -> None:
    threads = _threads(mail)
    # One message attached to two others: the three are one conversation.
    attached = _thread_of(threads, "ingest-file/email_attached_plaintext.eml")
    assert {"ingest-file/email_attached_inline.eml",
            "ingest-file/email_attached_plaintext.eml/Plaintext only.eml"} <= attached
    alternative = _thread_of(threads, "ingest-file/email_attached_alternative.eml")
    assert "ingest-file/email_attached_alternative.eml/Multipart mixed.eml" in alternative
    # A message that is a copy of an attached one's subject but stands alone stays alone.
    assert _thread_of(threads, "ingest-file/email_multipart_mixed.eml") == {
        "ingest-file/email_multipart_mixed.eml"}


def test_build_alone_gives_the_same_threads(mail: Path, tmp_path: Path) -> None:
    root = mail.parent / "dump"
    ingest(root, tmp_path / "data", ocr=False, entities=False, threads=False)
    assert _threads(tmp_path / "data") == {}
    trawl_cli("threads", "build", "--dataset", "test", "--quiet", data_dir=tmp_path / "data")
    assert _threads(tmp_path / "data") == _threads(mail)


def test_cli_lists_threads_and_prints_quoted_spans(mail: Path) -> None:
    listed = cli_json("threads", "--dataset", "test", "--participant", "KenigMa1122@gmail.com",
                      data_dir=mail)
    assert listed["total"] == 1
    (thread,) = listed["threads"]
    assert set(thread) >= {"id", "subject", "messages", "participants", "first", "last"}
    assert thread["messages"] == 2 and "kenigma1122@gmail.com" in thread["participants"]
    shown = cli_json("thread", thread["id"], data_dir=mail)
    first, reply = shown["messages"]
    assert first["date"] < reply["date"] and reply["parent"] == first["id"]
    (span,) = reply["quoted"]
    assert reply["text"][span["start"]:].startswith("On 02/25/2014 11:17 AM, Kenig Ma wrote:")
    assert first["quoted"] == []


# -- incremental, resumable, never merging strangers ----------------------------------------------
def _eml(folder: Path, name: str, subject: str, sender: str, to: str, date: str,
         message_id: str | None = None, reply_to: str | None = None) -> None:
    headers = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    if message_id:
        headers.append(f"Message-ID: <{message_id}>")
    if reply_to:
        headers += [f"In-Reply-To: <{reply_to}>", f"References: <{reply_to}>"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("\n".join(headers) + f"\n\nText of {name}.\n")


def test_new_messages_join_their_thread(tmp_path: Path) -> None:
    dump, data = tmp_path / "dump", tmp_path / "data"
    # The last reply comes first: alone, then the two before it join it (and each other).
    _eml(dump, "c.eml", "Re: Plan", "a@x.org", "b@x.org", "Tue, 3 May 2001 10:00:00 +0000",
         "c@x.org", "b@x.org")
    ingest(dump, data, ocr=False, entities=False)
    (only,) = _threads(data)
    _eml(dump, "a.eml", "Plan", "a@x.org", "b@x.org", "Mon, 2 May 2001 10:00:00 +0000",
         "a@x.org")
    _eml(dump, "b.eml", "Re: Plan", "b@x.org", "a@x.org", "Mon, 2 May 2001 12:00:00 +0000",
         "b@x.org", "a@x.org")
    ingest(dump, data, ocr=False, entities=False)
    assert set(_threads(data)) == {frozenset({"a.eml", "b.eml", "c.eml"})}
    # A message edited away takes its link with it: the thread is made again without it.
    (dump / "b.eml").write_text((dump / "b.eml").read_text().replace("a@x.org>", "zz@x.org>"))
    ingest(dump, data, ocr=False, entities=False)
    assert set(_threads(data)) == {frozenset({"a.eml"}), frozenset({"b.eml", "c.eml"})}


def test_the_fallback_never_merges_unrelated_mail(tmp_path: Path) -> None:
    dump = tmp_path / "dump"
    _eml(dump, "1.eml", "Meeting", "a@x.org", "b@x.org", "Mon, 2 May 2001 10:00:00 +0000")
    _eml(dump, "2.eml", "RE: Meeting", "b@x.org", "a@x.org", "Tue, 3 May 2001 10:00:00 +0000")
    # Strangers, the same subject: not one conversation.
    _eml(dump, "3.eml", "Re: Meeting", "c@y.org", "d@y.org", "Tue, 3 May 2001 11:00:00 +0000")
    # The same people, a year later.
    _eml(dump, "4.eml", "Re: Meeting", "b@x.org", "a@x.org", "Fri, 3 May 2002 10:00:00 +0000")
    # No reply prefix: a new message on the same subject (after the reply: it answers none).
    _eml(dump, "5.eml", "Meeting", "a@x.org", "b@x.org", "Wed, 4 May 2001 10:00:00 +0000")
    # With headers that name nothing known: its headers, not its subject, decide.
    _eml(dump, "6.eml", "Re: Meeting", "b@x.org", "a@x.org", "Wed, 4 May 2001 11:00:00 +0000",
         "6@x.org", "elsewhere@x.org")
    ingest(dump, tmp_path / "data", ocr=False, entities=False)
    assert set(_threads(tmp_path / "data")) == {
        frozenset({"1.eml", "2.eml"}), frozenset({"3.eml"}), frozenset({"4.eml"}),
        frozenset({"5.eml"}), frozenset({"6.eml"})}


class _Killed(Exception):
    pass


def test_a_killed_stage_resumes(mail: Path, tmp_path: Path, monkeypatch) -> None:
    root = mail.parent / "dump"
    data = tmp_path / "data"
    ingest(root, data, ocr=False, entities=False, threads=False)
    monkeypatch.setattr("trawl.ingestion.thread_stage.COMMIT_EVERY", 10)
    catalog = Catalog(DataDir.open(data).catalog_path)
    ds = catalog.dataset("test")
    assert ds is not None
    stage = ThreadStage(catalog, ds, quiet=True)
    original, seen = stage._thread, []

    def dies_after_some(pending) -> None:  # noqa: ANN001
        if len(seen) == 45:
            raise _Killed
        seen.append(pending.document_id)
        original(pending)

    stage._thread = dies_after_some  # type: ignore[method-assign]
    with pytest.raises(_Killed):
        stage.run()
    catalog.db.rollback()  # what a kill loses: the uncommitted messages
    store = ThreadStore(catalog)
    left = store.count_pending(ds.id)
    assert 0 < left < store.count_pending(ds.id) + 45
    # The threads the committed messages joined are marked, not summarised yet: the next
    # run summarises them with its own.
    assert store.dirty(ds.id) and store.count(ds.id) == 0
    summary = ThreadStage(catalog, ds, quiet=True).run()
    assert summary.messages + summary.not_messages == left
    assert not store.dirty(ds.id)
    catalog.close()
    assert _threads(data) == _threads(mail)


def test_reader_gives_messages_in_order(mail: Path) -> None:
    archive = Archive(DataDir.open(mail))
    try:
        reader = ThreadReader(archive)
        ds = archive.dataset("test")
        page = reader.listing(ds, "jothipn@yahoo-inc.com")
        (summary,) = page.threads
        detail = reader.thread(summary.id)
        dates = [m.as_json()["date"] for m in detail.messages]
        assert dates == sorted(dates) and len(dates) == 3
        assert reader.thread_of(detail.messages[0].view) == summary.id
    finally:
        archive.close()


# -- search without quotes ------------------------------------------------------------------------
def test_a_phrase_matches_the_message_that_first_wrote_it(mail: Path) -> None:
    from ingest_helpers import search

    phrase = '"trying to get my head around it"'
    everywhere = {h.path for h in search(mail, phrase).hits}
    assert len(everywhere) == 2
    (first,) = search(mail, phrase, no_quotes=True).hits
    assert first.path.endswith("00003-Feature-Generators.eml")
    words = search(mail, "PreviousMapFeatureGenerator remebers", no_quotes=True).hits
    assert [h.path[-30:] for h in words] == ["00001-Re-Feature-Generators.eml"[-30:]]
    # What is no message, or quotes nothing, is searched as always.
    assert {h.path for h in search(mail, "\"Check your email address for Ken\"",
                                   no_quotes=True).hits} == {
        h.path for h in search(mail, "\"Check your email address for Ken\"").hits} != set()
