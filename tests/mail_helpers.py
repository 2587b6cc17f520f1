"""The Enron maildir of the shared corpus read with the standard library's parser, each
content once: what the tests of correspondents and of message search check Trawl against."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

from shared_corpus import corpus_path


def enron_messages() -> Iterator[Message]:
    """Each distinct message file of the maildir (duplicates by content read once)."""
    seen: set[bytes] = set()
    for path in sorted(Path(corpus_path("enron-sample", "maildir")).rglob("*")):
        if not path.is_file() or (digest := hashlib.sha256(path.read_bytes()).digest()) in seen:
            continue
        seen.add(digest)
        yield message_from_bytes(path.read_bytes(), policy=policy.compat32)


def addresses(message: Message, *fields: str) -> list[str]:
    """The lower-cased addresses of these header fields, in order."""
    return [a.lower() for field in fields
            for _n, a in getaddresses(message.get_all(field, [])) if "@" in a]
