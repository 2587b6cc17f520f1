"""Readers of the three classic test collections in the shared corpus.

Each reader returns a `Collection`: documents (id -> title, body), queries (id -> text) and
judgements (query id -> doc id -> grade, 0 or less meaning not relevant). The quirks of each
file format are handled here, once, so that the rest of the harness sees one shape:

* Vaswani/NPL (Terrier's TREC conversion): `<DOC><DOCNO>` blocks, `<top><num><title>`
  topics, a 4-column qrels file. No titles.
* CISI: `.I/.T/.A/.W/.X` blocks; `.X` holds cross-references, not text, and is skipped.
  112 queries of which 76 have judgements; `.B` in queries is a bibliographic source.
* Cranfield: `.I/.T/.A/.B/.W` blocks with CRLF line endings; the qrels number queries by
  their position in cran.qry (1..225), not by their `.I` id (which skips numbers); grades
  are Cleverdon's 1 (complete answer) .. 4 (minimum interest), -1 not relevant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Collection:
    name: str
    docs: dict[str, tuple[str, str]]                 # doc id -> (title, body)
    queries: dict[str, str]                          # query id -> text as published
    qrels: dict[str, dict[str, int]]                 # query id -> doc id -> gain (>0 relevant)
    notes: list[str] = field(default_factory=list)

    def judged_queries(self) -> dict[str, str]:
        """The queries that have at least one relevant document: the ones evaluated."""
        return {q: t for q, t in self.queries.items()
                if any(g > 0 for g in self.qrels.get(q, {}).values())}


COLLECTIONS = ("vaswani", "cisi", "cranfield")


def load(name: str, corpus: Path) -> Collection:
    readers = {"vaswani": vaswani, "cisi": cisi, "cranfield": cranfield}
    if name not in readers:
        raise ValueError(f"unknown collection {name!r} (known: {', '.join(COLLECTIONS)})")
    return readers[name](corpus)


# -- Vaswani / NPL ----------------------------------------------------------------------------
_DOC = re.compile(r"<DOC>\s*<DOCNO>\s*(\S+?)\s*</DOCNO>(.*?)</DOC>", re.S)
_TOPIC = re.compile(r"<num>\s*(\S+?)\s*</num>\s*<title>(.*?)</title>", re.S)


def vaswani(corpus: Path) -> Collection:
    root = corpus / "ir-vaswani-npl"
    text = (root / "corpus" / "doc-text.trec").read_text(encoding="utf-8")
    docs = {m.group(1): ("", _squash(m.group(2))) for m in _DOC.finditer(text)}
    topics = (root / "query-text.trec").read_text(encoding="utf-8")
    queries = {m.group(1): _squash(m.group(2)) for m in _TOPIC.finditer(topics)}
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "qrels").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 4:
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return Collection("vaswani", docs, queries, qrels)


# -- SMART-style files (CISI, Cranfield) ------------------------------------------------------
def _smart_records(path: Path) -> list[dict[str, str]]:
    """`.I n` starts a record; `.X` (one letter) starts a field that runs to the next one."""
    # newline=None turns CRLF (Cranfield) into plain newlines.
    with path.open(encoding="utf-8", errors="replace", newline=None) as fh:
        lines = fh.read().split("\n")
    records: list[dict[str, list[str]]] = []
    tag = ""
    for line in lines:
        head = re.match(r"^\.([A-Z])(?:\s+(.*))?$", line.rstrip())
        if head:
            tag = head.group(1)
            if tag == "I":
                records.append({})
            records[-1].setdefault(tag, []).extend([head.group(2)] if head.group(2) else [])
        elif records:
            records[-1].setdefault(tag, []).append(line)
    return [{k: "\n".join(v).strip() for k, v in r.items()} for r in records]


def cisi(corpus: Path) -> Collection:
    root = corpus / "ir-cisi"
    docs = {r["I"]: (_squash(r.get("T", "")), r.get("W", "").strip())
            for r in _smart_records(root / "CISI.ALL")}
    queries = {r["I"]: _squash(r.get("W", "") or r.get("T", ""))
               for r in _smart_records(root / "CISI.QRY")}
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "CISI.REL").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2:
            qrels.setdefault(parts[0], {})[parts[1]] = 1
    return Collection("cisi", docs, queries, qrels,
                      notes=[f"{len(queries)} queries, {len(qrels)} judged"])


# Cleverdon's codes: 1 is the best; as a gain for nDCG the order is turned around.
_CRAN_GAIN = {1: 4, 2: 3, 3: 2, 4: 1}


def cranfield(corpus: Path) -> Collection:
    root = corpus / "ir-cranfield"
    docs = {}
    for r in _smart_records(root / "cran.all.1400"):
        title = _squash(r.get("T", ""))
        body = r.get("W", "").strip()
        # The body starts with the title again (Cranfield's convention): keep it once.
        if title and _squash(body).startswith(title):
            body = body[len(body) - len(body.lstrip()):]
            body = _drop_prefix_words(body, title)
        docs[r["I"]] = (title, body)
    query_records = _smart_records(root / "cran.qry")
    # Judgements use the position of the query (1..225), not its .I id.
    queries = {str(pos): _squash(r.get("W", "")) for pos, r in enumerate(query_records, 1)}
    qrels: dict[str, dict[str, int]] = {}
    for line in (root / "cranqrel").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            qrels.setdefault(parts[0], {})[parts[1]] = _CRAN_GAIN.get(int(parts[2]), 0)
    empty = sorted(d for d, (t, b) in docs.items() if not b.strip())
    return Collection("cranfield", docs, queries, qrels,
                      notes=[f"documents with an empty body: {', '.join(empty) or 'none'}"])


def _squash(text: str) -> str:
    return " ".join(text.split())


def _drop_prefix_words(body: str, title: str) -> str:
    """`body` without its first len(title.split()) words (whitespace-insensitive)."""
    words = len(title.split())
    parts = body.split(None, words)
    return parts[words] if len(parts) > words else ""
