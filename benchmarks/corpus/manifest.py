"""The manifest: what a generation produced (counts by type, bytes, sites, tables, needles)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

VERSION = 4  # 2: the ground truth of entities (truth.py); 3: with people and organisations;
# 4: the paths of each shared bulletin (shared_docs)


@dataclass
class Manifest:
    seed: int
    size_requested: int
    version: int = VERSION
    bytes: int = 0
    sites: list[str] = field(default_factory=list)
    tables: int = 0
    tables_with_rows: int = 0
    rows: int = 0
    files_by_type: Counter[str] = field(default_factory=Counter)
    bytes_by_type: Counter[str] = field(default_factory=Counter)
    attachments: int = 0
    exact_copies: int = 0
    near_duplicates: int = 0
    shared_corpus_files: int = 0
    needles: list[dict[str, str]] = field(default_factory=list)
    # {kind: {value: [site, ...]}}: every e-mail, phone, IP, URL, domain, person and
    # organisation written where it can be read (truth.py)
    entities: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # {bulletin: [{"path", "variant", "format"}, ...]}: every file of each bulletin shared
    # across sites (docs.shared_doc): exact copies (one variant) and re-dated, re-headed
    # variants; the ground truth of near-duplicates
    shared_docs: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    elapsed_s: float = 0.0
    cpu_s: float = 0.0

    def count(self, kind: str, size: int) -> None:
        self.files_by_type[kind] += 1
        self.bytes_by_type[kind] += size
        self.bytes += size

    @property
    def files(self) -> int:
        return sum(self.files_by_type.values())

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["files"] = self.files
        d["files_by_type"] = dict(sorted(self.files_by_type.items()))
        d["bytes_by_type"] = dict(sorted(self.bytes_by_type.items()))
        d["mb_per_s"] = round(self.bytes / 1e6 / self.elapsed_s, 1) if self.elapsed_s else None
        d["mb_per_cpu_s"] = round(self.bytes / 1e6 / self.cpu_s, 1) if self.cpu_s else None
        return d

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
