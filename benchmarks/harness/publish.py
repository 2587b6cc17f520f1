"""Assemble the "Speed and memory" section and put it into BENCHMARKS.md.

The section lives between two HTML comments; a later run replaces only what is between them,
so other sections of the file (the relevance results, written by another tool) stay as they
are. Without the markers, the section is appended at the end of the file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from . import report, report_search
from .charts import all_charts

BEGIN = "<!-- speed-and-memory:begin (written by `python -m benchmarks run --publish`) -->"
END = "<!-- speed-and-memory:end -->"
TITLE = "# Trawl benchmarks\n"


def section(results: dict[str, Any], charts: list[Path], relative_to: Path) -> str:
    lines = ["## Speed and memory", "", *report.header(results), *report.summary(results),
             *report.CAVEATS]
    lines += [f"![{p.stem}]({os.path.relpath(p, relative_to)})" for p in charts] + [""]
    for part in (report.ingest_section, report.baseline_section, report.ocr_section,
                 report.per_format_section,
                 report.composition_section, report_search.latency_section,
                 report_search.growth_section, report_search.http_section,
                 report_search.fidelity_section):
        lines += part(results)
    if results.get("notes"):
        lines += ["### Steps that failed", "", *(f"- {n}" for n in results["notes"]), ""]
    return "\n".join(lines).rstrip() + "\n"


def insert(doc: Path, text: str) -> None:
    """Replaces the marked section of `doc`, or appends it (creating the file if needed)."""
    block = f"{BEGIN}\n{text}{END}\n"
    old = doc.read_text(encoding="utf-8") if doc.exists() else TITLE
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    doc.write_text(new, encoding="utf-8")


def write_report(results: dict[str, Any], out: Path) -> Path:
    """report.md and the charts in the run's folder."""
    charts = all_charts(results, out)
    path = out / "report.md"
    path.write_text(section(results, charts, out), encoding="utf-8")
    return path


def publish(results: dict[str, Any], out: Path, repo: Path) -> Path:
    """Charts to docs/benchmarks/, the section into BENCHMARKS.md."""
    folder = repo / "docs" / "benchmarks"
    folder.mkdir(parents=True, exist_ok=True)
    charts = []
    for chart in all_charts(results, out):
        target = folder / chart.name
        shutil.copyfile(chart, target)
        charts.append(target)
    doc = repo / "BENCHMARKS.md"
    insert(doc, section(results, charts, repo))
    return doc
