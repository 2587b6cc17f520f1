"""A disk that fills up during an ingestion: a clear message and exit 75, no file blamed,
nothing corrupted, and the same command resumes once there is room, to the result of a run
that never ran out. The data folder is on a small tmpfs (needs the right to mount one:
root in CI's container; skipped elsewhere)."""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import pytest
from ingest_helpers import catalog_state, ingest, search, trawl_cli


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _dump(root: Path) -> Path:
    """About 28 MB of text that compresses no better than prose: more than the disk holds."""
    rng = random.Random(1)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
             for _ in range(5000)]
    dump = root / "dump"
    dump.mkdir()
    for i in range(200):
        (dump / f"doc-{i:04}.txt").write_text(
            f"kestrel {i} " + " ".join(rng.choice(words) for _ in range(20_000)))
    return dump


def test_a_full_disk_stops_the_run_and_the_same_command_resumes(small_disk, tmp_path):
    dump = _dump(tmp_path)
    data = small_disk / "data"
    full = trawl_cli("ingest", str(dump), "--dataset", "test", "--quiet", data_dir=data,
                     check=False)
    assert full.returncode == 75, full.stderr[-2000:]
    assert "is full" in full.stderr and "run the same command again" in full.stderr
    assert "Traceback" not in full.stderr
    # No file was blamed for the disk: nothing failed, what was not committed is pending.
    status = trawl_cli("status", "--dataset", "test", "--json", data_dir=data, check=False)
    if status.returncode == 0:  # the catalog may not even have been created
        assert '"failed": 0' in status.stdout
    subprocess.run(["mount", "-o", "remount,size=200m", str(small_disk)], check=True)
    trawl_cli("ingest", str(dump), "--dataset", "test", "--quiet", data_dir=data)
    reference = tmp_path / "reference"
    ingest(dump, reference)
    assert catalog_state(data) == catalog_state(reference)
    assert search(data, "kestrel", limit=0).total == 200
    assert trawl_cli("verify", "--no-originals", data_dir=data).returncode == 0
    assert not any((data / "blobs" / "tmp").iterdir()), "no half-written blob is left"
