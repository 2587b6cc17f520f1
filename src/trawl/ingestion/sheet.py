"""A table as read from a file: `Sheet` (its rows, lazily) and the CSV `Dialect` it was read with.

Plain data with no imports of Trawl's, so that the extractors (which hand a workbook's sheets
to the table staging), the cell formatter and the table reader can all name it without
importing one another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Dialect:
    delimiter: str = ","
    quotechar: str = '"'
    skipinitialspace: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"delimiter": self.delimiter, "quotechar": self.quotechar,
                "skipinitialspace": self.skipinitialspace}


@dataclass
class Sheet:
    """One table of a file: its rows (header included), lazily."""

    index: int
    name: str | None                      # None for CSV
    rows: Iterable[list[str]]             # an iterator, or a list when kept (re-readable)
    kind: str = "csv"                     # csv | sheet
    encoding: str | None = None
    dialect: Dialect | None = None
    info: dict[str, Any] = field(default_factory=dict)
