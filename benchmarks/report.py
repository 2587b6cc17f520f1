"""How a benchmark of the reliability campaign ends: its report printed as JSON, written to
`--json` when given, and the exit status its verdict says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def finish(report: dict[str, Any], path: Path | None) -> int:
    print(json.dumps(report, indent=2))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2))
    return 0 if report["passed"] else 1
