"""A deterministic, seeded generator of a BlueLeaks-shaped synthetic corpus.

Usage::

    python -m benchmarks.corpus --size 50MB --seed 1 OUT [--sites N] [--mix-shared-corpus PATH]

or :func:`generate` from Python. The output tree looks like the 2020 dump (see
``shared/blueleaks-layout.md``): one folder per portal (``ncric``, ``jric``, ... then invented
names, every twelfth under ``usao/``), each with 206-244 ``<Table>.csv`` files of one shared
CMS schema (most header-only) and a ``files/`` folder of attachments that table cells point at
with Windows paths (``files\\SARs\\2019\\IMG_1234.JPG``). An empty ``lost+found`` folder and,
with 8+ sites, one portal folder without tables complete the picture.

Design
------
* **Deterministic.** Every site has its own ``random.Random`` seeded from the run seed and the
  site path; shared bulletins are rebuilt from their own key. No clock, no global RNG, fixed
  zip timestamps, seeded MIME boundaries and PDF IDs. Same seed + size gives byte-identical
  files (with the same Python/Pillow/zlib/libjpeg builds), and file mtimes follow the
  documents' dates.
* **Streaming.** Rows go straight to open CSV writers and each attachment is written as soon
  as it is made; memory is bounded (small reservoirs of e-mails, documents and paragraphs).
* **Sized by budget.** Sites get Zipf-like shares of ``size_bytes``; a site runs activities
  (documents, e-mails, SARs, requests, incidents, registrations, logins, events...) until the
  running byte count reaches its cumulative target. Output lands within a few files' size of
  the request, never below the skeleton (tables of every site).
* **Light dependencies.** PDFs (text and scanned), DOCX, XLSX, EML, HTML and ZIP are written
  by hand with the stdlib; only raster images use Pillow (a dependency of python-pptx).
* **Fictitious data.** Names are invented, phones are 555-01xx, e-mails at example.org/com,
  plates FAKE123-style, IPs from the RFC 5737 documentation ranges.
* **Duplicates.** ~30% of documents are shared bulletins: exact byte copies across sites, or
  near-duplicates (re-dated, re-headed, one paragraph rewritten).
* **Needles.** In the first 20 sites, one made-up word per format (text PDF, scanned PDF, DOCX,
  XLSX, HTML, EML, JPEG, PNG, ZIP member, CSV cell) is planted once and listed in the
  manifest, for end-to-end search and OCR checks.

The manifest (counts by type, bytes, tables, rows, needles, timing) is returned, printed by
the CLI, and written *next to* the output folder as ``<OUT>.manifest.json`` so that ingesting
``OUT`` never sees it. With ``--mix-shared-corpus`` the real files of a corpus folder are
copied under ``OUT/shared-corpus/`` and counted in the size.
"""

from __future__ import annotations

import random
import re
import shutil
import time
from pathlib import Path

from . import names
from .manifest import Manifest
from .site import Run, Site

__all__ = ["Manifest", "default_sites", "generate", "manifest_path", "parse_size"]

_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "kib": 2**10, "m": 10**6, "mb": 10**6,
          "mib": 2**20, "g": 10**9, "gb": 10**9, "gib": 2**30, "t": 10**12, "tb": 10**12,
          "tib": 2**40}
KNOWN_WEIGHTS = {"miacx": 3.0, "ncric": 2.0, "jric": 1.6, "dediac": 1.5}


def parse_size(text: str) -> int:
    """'50MB' -> 50_000_000 (SI units; KiB/MiB/GiB are binary)."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"bad size: {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def default_sites(size_bytes: int) -> int:
    """2 sites for a few MB, ~9 at 50 MB, ~36 at 1 GB, ~210 at 50 GB, at most 250."""
    return max(2, min(250, int(1.6 * (size_bytes / 1e6) ** 0.45)))


def manifest_path(out: Path) -> Path:
    return out.parent / f"{out.name}.manifest.json"


def _budgets(rng: random.Random, sites: list[names.SiteInfo], total: int) -> list[int]:
    weights = [KNOWN_WEIGHTS.get(s.name, rng.lognormvariate(0, 0.8)) for s in sites]
    weights = [w * (0.15 if not s.csv else 1.0) for w, s in zip(weights, sites, strict=True)]
    scale = total / sum(weights)
    return [int(w * scale) for w in weights]


def _copy_shared(src: Path, dest: Path, m: Manifest) -> None:
    for path in sorted(src.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        m.count("shared-corpus", target.stat().st_size)
        m.shared_corpus_files += 1


def generate(out: Path, size_bytes: int, seed: int = 1, sites: int | None = None,
             mix_corpus: Path | None = None) -> Manifest:
    """Writes a corpus of about ``size_bytes`` into ``out`` (created; must be empty)."""
    start, cpu = time.perf_counter(), time.process_time()
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"output folder is not empty: {out}")
    out.mkdir(parents=True, exist_ok=True)
    m = Manifest(seed=seed, size_requested=size_bytes)
    if mix_corpus is not None:
        _copy_shared(Path(mix_corpus), out / "shared-corpus", m)
    remaining = max(0, size_bytes - m.bytes)
    count = sites or default_sites(remaining)
    infos = names.site_list(random.Random(f"{seed}:sites"), count)
    budgets = _budgets(random.Random(f"{seed}:budgets"), infos, remaining)
    run = Run(out=out, seed=seed, manifest=m, shared_pool=max(4, 3 * count))
    (out / "lost+found").mkdir(exist_ok=True)
    target = m.bytes
    for index, (info, budget) in enumerate(zip(infos, budgets, strict=True)):
        target += budget
        Site(run, info, index, target).build()
        m.sites.append(info.path)
    m.entities = run.truth.to_dict()
    m.elapsed_s = round(time.perf_counter() - start, 3)
    m.cpu_s = round(time.process_time() - cpu, 3)
    m.write(manifest_path(out))
    return m
