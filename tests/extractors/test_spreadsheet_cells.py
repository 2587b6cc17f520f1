"""One cell rendering: a workbook's value reads the same in its text and in its table rows."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest
from shared_corpus import corpus_path

from trawl.ingestion.spreadsheet_cells import cell_text, sheet_text
from trawl.ingestion.tables.read import read_tables

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.mark.parametrize(("value", "text"), [
    (None, ""), (True, "TRUE"), (False, "FALSE"), (42, "42"), (42.0, "42"), (-3.0, "-3"),
    (1.5, "1.5"), (0.1, "0.1"), (1e20, "1e+20"), (date(2019, 4, 12), "2019-04-12"),
    (datetime(2019, 4, 12), "2019-04-12"), (datetime(2019, 4, 12, 10, 30), "2019-04-12 10:30:00"),
    (time(10, 30), "10:30:00"), ("a\tb", "a\tb"),
])  # fmt: skip
def test_cell_text(value, text) -> None:
    assert cell_text(value) == text


def _book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Log"
    ws.append(["id", "when", "at", "amount", "count", "closed", "note"])
    ws.append([1, date(2019, 4, 12), datetime(2019, 4, 12, 10, 30), 12.5, 7.0, True,
               "two\tcells?\nno"])
    ws.append([2, date(2020, 1, 31), datetime(2020, 1, 31), 0.1, 1234567.0, False, "plain"])
    wb.save(path)
    return path


def _rows(path: Path, mime: str) -> list[list[list[str]]]:
    return [list(sheet.rows) for sheet in read_tables(path, mime, path.name)]


def test_xlsx_text_and_rows_agree(extract, tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx")
    result = extract(path)
    assert "1\t2019-04-12\t2019-04-12 10:30:00\t12.5\t7\tTRUE\ttwo cells? no" in result.text
    assert "2\t2020-01-31\t2020-01-31\t0.1\t1234567\tFALSE\tplain" in result.text
    # The sheets read for the text are handed to the table staging, rows and all.
    assert result.sheets is not None
    assert [sheet.rows for sheet in result.sheets] == _rows(path, XLSX)
    assert result.sheets[0].rows[1][6] == "two\tcells?\nno"  # the row keeps the cell as is


@pytest.mark.parametrize(("parts", "mime"), [
    (("ingest-file", "rom.xls"), "application/vnd.ms-excel"),
    (("tika", "microsoft", "testEXCEL_dateFormats.xlsx"), XLSX),
    (("tika", "microsoft", "testEXCEL.xls"), "application/vnd.ms-excel"),
])  # fmt: skip
def test_real_workbooks_text_is_their_rows(extract, parts, mime) -> None:
    path = corpus_path(*parts)
    result = extract(path, mime)
    for sheet, rows in zip(result.sheets or [], _rows(path, mime), strict=True):
        assert sheet.rows == rows
        assert sheet_text(sheet.name, rows, 10**9)[0] in result.text


def test_rows_past_the_memory_budget_are_not_kept(tmp_path: Path) -> None:
    from trawl.ingestion.spreadsheet_cells import workbook_text

    path = _book(tmp_path / "book.xlsx")
    warnings: list[str] = []
    book = workbook_text(read_tables(path, XLSX), 10**6, warnings, kept_cells_max=10)
    assert book.sheets is None and book.names == ["Log"]
    assert book.texts[0].startswith("Sheet: Log\nid\twhen")
