"""Extracted-text fidelity: Trawl's text against Apache Tika's, file by file.

For every file on disk that both extracted, each text becomes a set of words (lower case,
letters only, 2+ letters). The score is the recall of Tika's words in Trawl's text:
|Tika ∩ Trawl| / |Tika|, Trawl's titles included (Trawl keeps and indexes a title apart from
the text; Tika writes it into its text). For a container (zip, e-mail, PST...) Trawl's
text is the file's own text plus that of every member and attachment below it, since Tika
writes embedded documents inline. Files where Tika found fewer than MIN_WORDS words are not
scored (images without OCR, empty files), but are counted. The reverse recall (Trawl's words
found in Tika's text) is reported too: a low value means Trawl extracted text Tika did not
(or noise).
"""

from __future__ import annotations

import gzip
import re
import sqlite3
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MIN_WORDS = 5
WORST = 15
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass
class TrawlFile:
    path: str
    status: str
    error: str | None
    text: str


def words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _blob_text(data_dir: Path, key: str) -> str:
    blob = data_dir / "blobs" / key[:2] / key[2:4] / key
    return gzip.decompress(blob.read_bytes()).decode("utf-8", "replace")


def _descendants(fid: int, children: dict[int, list[int]]) -> list[int]:
    out, stack = [], [fid]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children.get(current, []))
    return out


def trawl_files(data_dir: Path) -> list[TrawlFile]:
    """Every file on disk, with its own text and its members' and attachments'."""
    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT f.id, f.parent_id, f.path, f.status, f.error, c.text_key, "
                          "c.title FROM files f LEFT JOIN contents c ON c.sha256 = f.sha256"
                          ).fetchall()
    finally:
        db.close()
    children: dict[int, list[int]] = defaultdict(list)
    keys, titles = {}, {}
    for fid, parent, _path, _status, _error, key, title in rows:
        keys[fid], titles[fid] = key, title
        if parent is not None:
            children[parent].append(fid)
    out = []
    for fid, parent, path, status, error, _key, _title in rows:
        if parent is None:
            family = _descendants(fid, children)
            texts = [t for i in family if (t := titles[i])]
            texts += [_blob_text(data_dir, k) for i in family if (k := keys[i])]
            out.append(TrawlFile(path, status, error, "\n".join(texts)))
    return out


def score(tika_words: set[str], trawl_words: set[str]) -> dict[str, Any]:
    common = len(tika_words & trawl_words)
    return {"tika_words": len(tika_words), "trawl_words": len(trawl_words),
            "recall": round(common / len(tika_words), 4) if tika_words else None,
            "reverse": round(common / len(trawl_words), 4) if trawl_words else None,
            "common": common}


def compare(data_dir: Path, tika_out: Path) -> dict[str, Any]:
    scored: list[dict[str, Any]] = []
    counts = defaultdict(int)
    for f in trawl_files(data_dir):
        tika_file = tika_out / f"{f.path}.txt"
        if not tika_file.exists():
            counts["no_tika_output"] += 1
            continue
        tw = words(tika_file.read_text("utf-8", "replace"))
        mine = words(f.text)
        if len(tw) < MIN_WORDS:
            counts["tika_too_few_words"] += 1
            counts["of_which_trawl_has_words"] += len(mine) >= MIN_WORDS
            continue
        scored.append({"path": f.path, "status": f.status, "error": f.error,
                       **score(tw, mine)})
    return summarize(scored, dict(counts))


def _ext(path: str) -> str:
    name = path.rsplit("/", 1)[-1].lower()
    return (name.rsplit(".", 1)[-1] if "." in name else "") or "(none)"


def _reason(s: dict[str, Any]) -> str:
    return s["status"] + (f": {s['error'].split(';')[0][:70]}" if s.get("error") else "")


def by_extension(scored: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for s in scored:
        groups[_ext(s["path"])].append(s["recall"])
    return {ext: {"files": len(r), "recall_mean": round(statistics.fmean(r), 3),
                  "below_0_5": sum(x < 0.5 for x in r)}
            for ext, r in sorted(groups.items(), key=lambda kv: -len(kv[1]))}


def summarize(scored: list[dict[str, Any]], counts: dict[str, int]) -> dict[str, Any]:
    recalls = [s["recall"] for s in scored]
    reverse = [s["reverse"] or 0.0 for s in scored]
    total_tika = sum(s["tika_words"] for s in scored) or 1
    empty = [s for s in scored if s["trawl_words"] == 0]
    partial = sorted((s for s in scored if s["trawl_words"] > 0),
                     key=lambda s: (s["recall"], -s["tika_words"]))
    return {
        "files_scored": len(scored), **counts,
        "recall_mean": round(statistics.fmean(recalls), 4) if recalls else None,
        "recall_median": round(statistics.median(recalls), 4) if recalls else None,
        "recall_micro": round(sum(s["common"] for s in scored) / total_tika, 4),
        "recall_mean_where_trawl_has_text": round(
            statistics.fmean(s["recall"] for s in partial), 4) if partial else None,
        "reverse_mean": round(statistics.fmean(reverse), 4) if reverse else None,
        "files_recall_below_0_5": sum(r < 0.5 for r in recalls),
        "files_recall_below_0_9": sum(r < 0.9 for r in recalls),
        "files_trawl_empty": len(empty),
        "trawl_empty_by_reason": dict(Counter(_reason(s) for s in empty).most_common()),
        "trawl_empty": [s["path"] for s in sorted(empty, key=lambda s: -s["tika_words"])],
        "by_extension": by_extension(scored),
        "worst": partial[:WORST],
    }
