"""The Markdown table of a relevance run, as pasted into BENCHMARKS.md."""

from __future__ import annotations

from typing import Any

from .metrics import MEASURES


def markdown(result: dict[str, Any]) -> str:
    lines = [f"Run {result['date']} on {result['machine']}: `{result['command'].strip()}`",
             "", "| Collection | System | " + " | ".join(MEASURES) + " |",
             "|---|---|" + "---:|" * len(MEASURES)]
    for name, coll in result["collections"].items():
        label = f"{name} ({coll['documents']} docs, {coll['queries']} queries)"
        for system, scores in coll["systems"].items():
            cells = [f"{scores[m]:.4f}" if m in scores else "" for m in MEASURES]
            shown = f"**{system}**" if system == "trawl" else system
            lines.append(f"| {label} | {shown} | " + " | ".join(cells) + " |")
            label = ""
    lines.append("")
    for name, coll in result["collections"].items():
        run = coll["trawl_run"]
        files = ", ".join(f"{n} {state}" for state, n in run["files"].items() if n)
        timings = ", ".join(f"{k.removesuffix('_s')} {run[k]} s"
                            for k in ("ingest_s", "reindex_s", "search_s") if k in run)
        notes = "".join(f"; {note}" for note in coll["notes"])
        lines.append(f"- {name}: files {files}; {timings}; queries with no result "
                     f"{run['empty_results']}{notes}")
    return "\n".join(lines)
