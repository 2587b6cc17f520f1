"""A fixed-seed sample of the extractor fuzzing campaign (benchmarks/fuzz_extractors.py): mutated
PDF, Office, e-mail, image, archive and CSV files through a real ingestion; the run finishes and
every file and member is indexed, failed or skipped, each refusal with its failure code. The
published run (10,000 files of the shared corpus) is in BENCHMARKS.md, Reliability."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from benchmarks import fuzz_extractors as fuzz


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> list[Path]:
    return fuzz.generated_seeds(tmp_path_factory.mktemp("fuzz"), size=800_000)


def test_mutants_are_the_same_for_the_same_seed(seeds, tmp_path):
    fuzz.write_mutants(seeds, 30, tmp_path / "a", seed=5)
    fuzz.write_mutants(seeds, 30, tmp_path / "b", seed=5)

    def digests(root: Path) -> dict[str, str]:
        return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in root.rglob("*") if p.is_file()}

    assert digests(tmp_path / "a") == digests(tmp_path / "b")
    originals = {hashlib.sha256(p.read_bytes()).hexdigest() for p in seeds}
    assert not set(digests(tmp_path / "a").values()) & originals  # every one was changed


def test_every_mutated_file_is_accounted_for(seeds, tmp_path):
    made = fuzz.write_mutants(seeds, 90, tmp_path / "mutants", seed=11)
    assert set(made) == set(fuzz.MUTATIONS)
    report = fuzz.ingest_and_account(tmp_path / "mutants", tmp_path / "data", workers=2,
                                     timeout_s=60)
    assert fuzz.passed(report), report
    assert report["files"] == 90 == sum(report["outcomes"].values())
    assert report["outcomes"].get("indexed", 0) > 30  # most formats survive a few flipped bits
    assert report["outcomes"].get("failed", 0) + report["outcomes"].get("skipped", 0) > 0
