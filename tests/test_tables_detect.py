"""Structured tables, file by file: encoding, dialect, header, types, ragged rows, bad bytes.

Real files from the shared corpus (police open-data CSV/XLS/XLSX, Aleph's and Tika's CSV and
spreadsheet fixtures) are staged the way a worker stages them (stage.py), and the staged rows
are read back from SQLite. Small files written here cover what the corpus lacks (bad bytes
past the encoding sample, ragged rows, a type that breaks after the first batch).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from shared_corpus import corpus_path

from trawl.ingestion.tables import is_table_content
from trawl.ingestion.tables.detect import looks_like_data, sniff_dialect, unique_sql_names
from trawl.ingestion.tables.infer import DateConverter, to_iso
from trawl.ingestion.tables.stage import BATCH, stage_file
from trawl.storage.tables import RESERVED, quote_ident


def stage(path: Path, tmp_path: Path, mime: str = "") -> tuple[list[dict], sqlite3.Connection]:
    out = tmp_path / f"{path.name}.sqlite"
    metas = stage_file(path, mime or ("text/csv" if path.suffix == ".csv" else ""), path.name,
                       out)
    db = sqlite3.connect(out)
    db.row_factory = sqlite3.Row
    return metas, db


def rows(db: sqlite3.Connection, index: int = 0) -> list[dict]:
    return [dict(r) for r in db.execute(f"SELECT * FROM t_{index} ORDER BY _row")]


def types(meta: dict) -> dict[str, str]:
    return {c["sql"]: c["type"] for c in meta["columns"]}


# -- Aleph and Tika fixtures ------------------------------------------------------------------
def test_legacy_encoding_csv_is_decoded_and_typed(tmp_path: Path) -> None:
    # countries_nonutf.csv is an 8-bit export (German place names, quoted commas).
    metas, db = stage(corpus_path("ingest-file", "countries_nonutf.csv"), tmp_path)
    meta = metas[0]
    assert meta["encoding"] == "cp1252"
    assert meta["row_count"] == 20 and meta["bad_byte_rows"] == 0
    assert types(meta) == {"RS_Land": "text", "RS_12": "text", "GEN_Destatis": "text",
                           "FS_ges": "integer", "Zensus_ges": "integer", "Differenz": "number"}
    first = rows(db)[0]
    # Leading zeros keep a code a text, as written.
    assert first["RS_Land"] == "01" and first["RS_12"] == "010010000000"
    assert first["GEN_Destatis"] == "Flensburg, Stadt" and first["FS_ges"] == 88771
    assert first["Differenz"] == -7.34
    text = "".join(r["GEN_Destatis"] for r in rows(db))
    assert "\ufffd" not in text and "\x9f" not in text  # every byte read as a character


def test_inconsistent_columns_csv(tmp_path: Path) -> None:
    metas, db = stage(corpus_path("ingest-file-openaleph", "inconsistent_columns.csv"), tmp_path)
    meta = metas[0]
    assert meta["dialect"]["delimiter"] == ","
    assert meta["dialect"]["skipinitialspace"] is True
    assert [c["sql"] for c in meta["columns"]] == ["col1", "col2"]
    assert meta["row_count"] == 4 and meta["ragged_rows"] == 0
    found = rows(db)
    assert found[0]["col1"] == "ID:Date:Name:Email:Username"
    assert found[0]["col2"] == '1:2012:jan1:a@b.com:"another: comma"'


def test_cyrillic_sheet_names_are_kept(tmp_path: Path) -> None:
    metas, _db = stage(corpus_path("tika", "tika-server-standard", "pic.xlsx"), tmp_path)
    assert [m["sheet"] for m in metas] == ["Лист1", "Лист2", "Лист3"]
    assert all(m["header_only"] and not m.get("error") for m in metas)


@pytest.mark.parametrize("name", ["rom.xls", "rom.ods"])
def test_workbooks_with_cyrillic_sheets_and_romanian_data(tmp_path: Path, name: str) -> None:
    metas, db = stage(corpus_path("ingest-file", name), tmp_path)
    assert [m["sheet"] for m in metas] == ["Лист1", "Лист2", "Лист3"]
    first = metas[0]
    assert first["row_count"] == 337
    assert metas[1]["header_only"] and metas[2]["header_only"]
    kinds = types(first)
    assert kinds["Nr DS"] == "integer"
    assert kinds["Data înregistrării DS"] == "date"
    assert kinds["Suma contractului MDL (cu TVA)"] == "number"
    row = rows(db)[0]
    assert row["Data înregistrării DS"] == "2011-01-13"
    assert row["Autoritatea contractantă"] == "Şcoala de Meserii 4 Bubueci"


def test_tika_csv_with_title_lines(tmp_path: Path) -> None:
    metas, db = stage(corpus_path("tika", "tika-parsers-standard-integration-tests",
                                  "testCSV.csv"), tmp_path)
    meta = metas[0]
    assert meta["row_count"] > 0 and not meta.get("error")
    # Every line is kept: a title line and empty records come before the real header.
    assert sum(1 for _ in db.execute("SELECT 1 FROM t_0")) == meta["row_count"]


# -- police open data ---------------------------------------------------------------------------
def test_police_csv_with_truncated_last_row_is_flagged_not_dropped(tmp_path: Path) -> None:
    path = corpus_path("pdap-police", "TX", "travis_county", "austin", "austin_police", "data",
                       "crime_reports", "2021_05_13_crime_reports.csv")
    metas, db = stage(path, tmp_path)
    meta = metas[0]
    assert meta["row_count"] == 2 and meta["ragged_rows"] == 1
    assert meta["key_column"] == "incident_report_number"
    kinds = types(meta)
    assert kinds["incident_report_number"] == "integer"
    assert kinds["occ_date_time"] == "datetime"
    assert kinds["family_violence"] == "boolean"
    assert kinds["latitude"] == "number"
    first, second = rows(db)
    assert first["occ_date_time"] == "2021-05-08 19:00:00"
    assert first["_flags"] is None
    assert second["_flags"].startswith("short: 22 cells, header has 27")
    assert second["incident_report_number"] == 20215017854


def test_every_police_table_file_is_read(tmp_path: Path) -> None:
    """Every CSV/XLS/XLSX of the police corpus: staged without losing a row, or with the
    reason it could not be read (one XLSX there is a truncated zip)."""
    root = corpus_path("pdap-police")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in (".csv", ".xls", ".xlsx"))
    assert len(files) > 200
    errors = []
    for n, path in enumerate(files):
        out = tmp_path / f"{n}.sqlite"
        metas = stage_file(path, "text/csv" if path.suffix == ".csv" else "", path.name, out)
        db = sqlite3.connect(out)
        for meta in metas:
            if meta.get("error"):
                errors.append(path.name)
                continue
            if meta["row_count"]:
                assert db.execute(f"SELECT COUNT(*) FROM t_{meta['index']}").fetchone()[0] \
                    == meta["row_count"], path
        db.close()
    assert errors == ["2021_05_11_radio_codes.xlsx"]


def test_police_workbook_with_title_sheet(tmp_path: Path) -> None:
    path = corpus_path("pdap-police", "CA", "los_angeles_county", "pamona", "cal_poly_pomona",
                       "data", "daily-crime-fire-log-8-3-thru-8-10-20.xls")
    metas, db = stage(path, tmp_path)
    meta = metas[0]
    assert meta["sheet"] == "Aug 3rd to Aug 10th 2020"
    assert [c["sql"] for c in meta["columns"]][:3] == ["Nature", "Case #", "Reported"]
    assert types(meta)["Reported"] == "datetime"
    assert meta["row_count"] == 6


def test_police_xlsx(tmp_path: Path) -> None:
    path = corpus_path("pdap-police", "CA", "alameda_county", "berkely", "berkely_police",
                       "data", "stop_data", "action_taken", "2021_05_13_action_taken.xlsx")
    metas, db = stage(path, tmp_path)
    assert metas[0]["sheet"] == "Action_Taken"
    assert types(metas[0]) == {"Action_ID": "integer", "Action_Taken": "text"}
    assert metas[0]["row_count"] == 24


# -- what the corpus lacks ----------------------------------------------------------------------
def test_bad_bytes_past_the_sample_are_kept_and_flagged(tmp_path: Path) -> None:
    # UTF-8 for the first megabyte (so the file is read as UTF-8), then one windows-1252 cell.
    lines = ["id,name"] + [f"{i},Zoë Ånström {i}" for i in range(1, 60_001)]
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8") + b"60001,Caf\xe9 cr\xe8me\r\n"
    path = tmp_path / "mixed.csv"
    path.write_bytes(data)
    metas, db = stage(path, tmp_path)
    meta = metas[0]
    assert meta["encoding"] == "utf-8"
    assert meta["row_count"] == 60_001 and meta["bad_byte_rows"] == 1
    last = db.execute("SELECT * FROM t_0 WHERE _row = 60001").fetchone()
    assert last["name"] == "Café crème" and last["_flags"] == "bad bytes"
    assert db.execute("SELECT name FROM t_0 WHERE _row = 2").fetchone()[0] == "Zoë Ånström 2"


def test_ragged_rows_keep_every_cell(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text('a,b,c\n1,2,3\n4,5,6,7,8\n9\n\n10,11,12,\n', encoding="utf-8")
    metas, db = stage(path, tmp_path)
    meta = metas[0]
    assert meta["row_count"] == 4 and meta["ragged_rows"] == 2 and meta["blank_rows"] == 1
    found = rows(db)
    assert found[1]["_flags"] == "ragged: 5 cells, header has 3"
    assert json.loads(found[1]["_extra"]) == ["7", "8"]
    assert found[2]["_flags"] == "short: 1 cells, header has 3"
    assert (found[2]["a"], found[2]["b"], found[2]["c"]) == (9, None, None)
    # A trailing delimiter adds only an empty cell: nothing lost, nothing flagged.
    assert found[3]["_flags"] is None and found[3]["c"] == 12


def test_a_type_broken_after_the_first_batch_is_read_again(tmp_path: Path) -> None:
    lines = ["code,amount"] + [f"{i},{i}" for i in range(1, BATCH + 10)] + ["007,N/A"]
    path = tmp_path / "late.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    metas, db = stage(path, tmp_path)
    assert types(metas[0]) == {"code": "text", "amount": "text"}
    last = db.execute("SELECT code, amount FROM t_0 ORDER BY _row DESC LIMIT 1").fetchone()
    assert tuple(last) == ("007", "N/A")  # as written: no 7, no lost text
    assert db.execute("SELECT code FROM t_0 WHERE _row = 1").fetchone()[0] == "1"


def test_types_dates_booleans_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "types.tsv"
    path.write_text(
        "when\tday\tclock\tok\tn\tamount\tzip\tnote\n"
        "06/15/2020 02:30:00 PM\t15/06/2020\t8:12\tYes\t1,234\t$5\t02134\thello\n"
        "12/01/2019 11:05:09 AM\t01/12/2019\t23:59\tNo\t-5\t$6\t10001\tworld\\nagain\n"
        "\t\t\t\t\t\t\t\n", encoding="utf-8")
    metas, db = stage(path, tmp_path, "text/tab-separated-values")
    meta = metas[0]
    assert meta["dialect"]["delimiter"] == "\t"
    assert types(meta) == {"when": "datetime", "day": "date", "clock": "time", "ok": "boolean",
                           "n": "integer", "amount": "text", "zip": "text", "note": "text"}
    first, second, blank = rows(db)
    assert first["when"] == "2020-06-15 14:30:00" and first["day"] == "2020-06-15"
    assert second["day"] == "2019-12-01" and second["clock"] == "23:59:00"
    assert (first["ok"], second["ok"]) == (1, 0) and first["n"] == 1234
    assert first["zip"] == "02134"
    assert blank["when"] is None and blank["ok"] is None and blank["note"] is None
    labels = next(c for c in meta["columns"] if c["sql"] == "ok")["labels"]
    assert labels == ["No", "Yes"]


def test_headerless_file_and_hostile_header(tmp_path: Path) -> None:
    numbers = tmp_path / "numbers.csv"
    numbers.write_text("1,2.5,2020-01-01\n2,3.5,2020-01-02\n", encoding="utf-8")
    metas, db = stage(numbers, tmp_path)
    assert [c["sql"] for c in metas[0]["columns"]] == ["column_1", "column_2", "column_3"]
    assert metas[0]["row_count"] == 2 and not metas[0]["has_header"]
    hostile = tmp_path / "hostile.csv"
    hostile.write_text('x"; DROP TABLE meta; --,_row,ID,id,\n1,2,3,4,5\n', encoding="utf-8")
    metas, db = stage(hostile, tmp_path)
    names = [c["sql"] for c in metas[0]["columns"]]
    assert names == ['x"; DROP TABLE meta; --', "_row_2", "ID", "id_2", "column_5"]
    assert db.execute(f"SELECT {quote_ident(names[0])} FROM t_0").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM meta").fetchone()[0] == 1


# -- units ---------------------------------------------------------------------------------------
def test_dialect_and_header_detection() -> None:
    assert sniff_dialect('a;b;c\n"1,5";2;3\n4;5;6\n').delimiter == ";"
    assert sniff_dialect("a|b\n1|2\n").delimiter == "|"
    assert sniff_dialect('name,desc\n"Kiel, Stadt","a; b; c"\n').delimiter == ","
    assert looks_like_data(["1", "2020-01-01", "x"]) and not looks_like_data(["id", "name"])
    assert unique_sql_names(["A", "a", "_flags", ""], RESERVED) == ["A", "a_2", "_flags_2", ""]


def test_date_conversion() -> None:
    assert to_iso("6/5/2020 12:00:00 AM", "slash") == "2020-06-05 00:00:00"
    assert to_iso("31/12/2020", "slash", "dmy") == "2020-12-31"
    assert to_iso("2021-05-08T19:00:00.000", "iso") == "2021-05-08 19:00:00"
    assert to_iso("2019-02-29", "iso") == "2019-02-29"  # not a date: kept as written
    assert to_iso("13:00 PM", "time") == "13:00 PM"
    convert = DateConverter("slash", "mdy")
    assert convert("02/17/2016 02:32:03 PM") == "2016-02-17 14:32:03"
    assert convert("02/17/2016 02:32:03 PM") == "2016-02-17 14:32:03"  # from the caches
    assert convert("soon") == "soon"


def test_table_content_types() -> None:
    assert is_table_content("text/csv", "text")
    assert is_table_content("text/plain", "text", "export.CSV")
    assert is_table_content("application/vnd.ms-excel", "spreadsheet")
    assert not is_table_content("text/plain", "text", "notes.txt")
