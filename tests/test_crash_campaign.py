"""A short crash campaign (benchmarks/crash_campaign.py): one kill -9 in each long stage
(ingestion with tables and OCR, the entity stage, publishing, reindexing), each resumed, and
the archive equal to one never interrupted. The published 20-kill run is in BENCHMARKS.md."""

from __future__ import annotations

from benchmarks import crash_campaign


def test_one_kill_in_each_stage_resumes_to_the_uninterrupted_result(tmp_path):
    report = crash_campaign.campaign(tmp_path, kills=4, seed=3, size=800_000, notes=500)
    assert report["differences"] == []
    assert report["kills_landed"] >= 3, report  # a stage may end before its kill, rarely
    assert set(report["by_stage"]) == {"ingest", "entities", "publish", "reindex"}
