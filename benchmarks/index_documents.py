"""Generated index entries (IndexDocument) for the index backends' conformance tests and
benchmarks: bulletins (some paged, some read by OCR), messages with senders, recipients
and an e-mail entity, word files, French notes; seeded, so the same every run; unique
dates (every 17th undated) so that an order by date is defined.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from trawl.index.base import IndexDocument

ENGLISH = ("protest bulletin officer suspect vehicle courthouse fusion intelligence threat "
           "drill homeland security report meeting agency patrol warrant robbery narcotics "
           "evidence witness training exercise alert border shipment firearm").split()
FRENCH = ("manifestation policières réunion Genève sécurité rapport enquête témoin "
          "frontière véhicule élections présidentielles").split()
FILLER = "the of and to in for on with at by from is was were".split()
SOURCES = ("ncric", "jric", "lacleartraining")


def _sentence(rng: random.Random, words: tuple[str, ...] | list[str], n: int) -> str:
    out = []
    for _ in range(n):
        out.append(rng.choice(words) if rng.random() < 0.45 else rng.choice(FILLER))
    return " ".join(out).capitalize() + "."


def generated_documents(count: int = 160, seed: int = 18) -> list[IndexDocument]:
    """Realistic enough: bulletins (some paged, some read by OCR), messages with senders
    and recipients, French notes; unique dates (a few undated) so date order is defined."""
    rng = random.Random(seed)
    start = datetime(2012, 1, 1, tzinfo=UTC)
    docs = []
    for n in range(count):
        dataset = "blueleaks" if n % 5 else "other"
        source = SOURCES[n % len(SOURCES)]
        french = n % 7 == 3
        words = FRENCH if french else ENGLISH
        kind = n % 4
        date = None if n % 17 == 0 else start + timedelta(days=13 * n % 4000, seconds=n)
        doc = IndexDocument(
            id=f"d{n:04d}", dataset=dataset, path=f"{source}/files/doc{n}.pdf",
            paths=[f"{source}/files/doc{n}.pdf"], sources=[source], family="pdf",
            mime="application/pdf", status="indexed", date=date,
            language="fr" if french else "en", size=1000 + n,
            title=_sentence(rng, words, 4).rstrip("."))
        if kind == 0:      # a paged bulletin
            doc.pages = [_sentence(rng, words, 30) for _ in range(rng.randint(2, 5))]
            if n % 8 == 0:
                doc.ocr_pages = [1]
        elif kind == 1:    # a message
            sender = (f"{rng.choice(['jane', 'bob', 'ana'])}@"
                      f"{rng.choice(['police.gov', 'fusion.net'])}")
            recipient = f"desk@{rng.choice(['ncric.org', 'fusion.net', 'dhs.gov'])}"
            doc.family, doc.mime = "email", "message/rfc822"
            doc.path = doc.paths[0] = f"{source}/mail/msg{n}.eml"
            doc.sender, doc.recipients = f"Sender {n} <{sender}>", recipient
            doc.sender_addresses = [sender]
            doc.recipient_domains = [recipient.split("@")[1]]
            doc.domains = sorted({sender.split("@")[1], recipient.split("@")[1]})
            doc.text = _sentence(rng, words, 40)
            doc.entities = {"email": [1 + n % 3]}
        elif kind == 2:    # a word file
            doc.family, doc.mime = "word", "application/msword"
            doc.text = " ".join(_sentence(rng, words, 20) for _ in range(3))
        else:              # a one-page pdf
            doc.pages = [_sentence(rng, words, 50)]
        docs.append(doc)
    docs.append(IndexDocument(
        id="fixed-computing", dataset="blueleaks", path="ncric/files/computing.txt",
        paths=["ncric/files/computing.txt", "jric/copy/computing.txt"],
        sources=["ncric", "jric"], family="text", mime="text/plain", status="indexed",
        title="Computing budget", text="The computers were running the high-speed "
        "analysis of the narcotics shipment near the courthouse.", language="en",
        date=datetime(2011, 5, 5, tzinfo=UTC)))
    return docs
