"""Corpora for a run: generated once per (size, seed) under benchmarks/out/corpora/ and kept.

A folder without its manifest next to it is an interrupted generation: it is removed and
made again. The manifest's needles (one made-up word planted once per format) give the
rare-term query.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.corpus import generate, manifest_path

UNITS = ((10**12, "TB"), (10**9, "GB"), (10**6, "MB"), (10**3, "KB"))


def size_label(n: int) -> str:
    for unit, name in UNITS:
        if n >= unit:
            value = n / unit
            return f"{value:.0f}{name}" if value == int(value) or value >= 10 \
                else f"{value:.1f}{name}"
    return f"{n}B"


@dataclass
class Corpus:
    path: Path
    label: str
    manifest: dict[str, Any] | None

    @property
    def needles(self) -> list[dict[str, str]]:
        return list((self.manifest or {}).get("needles", []))

    def summary(self) -> dict[str, Any]:
        m = self.manifest or {}
        keys = ("seed", "size_requested", "bytes", "files", "files_by_type", "bytes_by_type",
                "attachments", "exact_copies", "near_duplicates", "elapsed_s")
        return {"path": str(self.path), "label": self.label,
                **{k: m[k] for k in keys if k in m}, "sites": len(m.get("sites", []))}


def read_manifest(path: Path) -> dict[str, Any] | None:
    mpath = manifest_path(path)
    return json.loads(mpath.read_text()) if mpath.exists() else None


def existing(path: Path) -> Corpus:
    if not path.is_dir():
        raise FileNotFoundError(f"no corpus folder {path}")
    return Corpus(path.resolve(), path.name, read_manifest(path))


def generated(cache: Path, size: int, seed: int, sites: int | None = None) -> Corpus:
    """The corpus of `size` bytes and `seed`, generated now unless already in `cache`."""
    label = size_label(size)
    path = cache / f"{label}-seed{seed}" if sites is None else \
        cache / f"{label}-seed{seed}-sites{sites}"
    if path.exists() and not manifest_path(path).exists():
        shutil.rmtree(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        generate(path, size, seed, sites)
    return Corpus(path.resolve(), label, read_manifest(path))
