"""One BlueLeaks-shaped dump with tables, ingested once per test session and shared by the
table tests (tests/test_tables_ingest.py, tests/web/test_tables_web.py): read-only for them.

Two generated sites (benchmarks.corpus: attachment cells with Windows paths, case
differences, a windows-1252 site, nested files\\SARs\\<year>\\...), plus files written here for
what a generator does not make (hostile HTML and identifiers, survey answers, formulas, a
police workbook shaped like Berkeley's stop data), and the real police CSV/XLS/XLSX files of
the shared corpus when it is there.
"""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest

from trawl.storage.datadir import DataDir

REPO = Path(__file__).resolve().parents[1]
DATASET = "blueleaks"
POLICE_FILES = [
    "TX/travis_county/austin/austin_police/data/crime_reports/2021_05_13_crime_reports.csv",
    "CA/los_angeles_county/pamona/cal_poly_pomona/data/daily-crime-fire-log-8-3-thru-8-10-20.xls",
    "CA/alameda_county/berkely/berkely_police/data/stop_data/action_taken/"
    "2021_05_13_action_taken.xlsx",
]
HOSTILE_HTML = ('<div style="font-family:Arial">\\n\\t<p>Protest <b>bulletin</b> attached.</p>'
                '<script>window.__pwned = 1</script><img src=x onerror="alert(1)">'
                '<a href="javascript:alert(2)">click</a>\\n</div>')
SURVEY = "How+useful+was+this%3F=Very+useful&Would+you+attend%3F=Yes&Comments=More+maps%2C+please"


def _hostile_table(site: Path, attachment: str) -> None:
    """Cells a reader's browser must never run, and a header made to break SQL."""
    with (site / "Hostile.csv").open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["HostileID", 'Name"; DROP TABLE trawl_tables; --', "Body", "SurveyData",
                      "Formula", "Attachment"])
        out.writerow([1, "<script>alert('name')</script>", HOSTILE_HTML, SURVEY,
                      "=HYPERLINK(\"http://example.org\")", attachment])
        out.writerow([2, "Plain name", "Line one\\nLine two", "", "-2+3", ""])


# The 24 actions of Berkeley's stop data workbook (one sheet, an id and a label per row).
ACTIONS = ["Person removed from vehicle by order", "Field sobriety test conducted",
           "Curbside detention", "Handcuffed or flex cuffed", "Patrol car detention",
           "Canine removed from vehicle", "Firearm pointed at person", "Baton used",
           "Chemical spray used", "Impact projectile discharged", "Electronic device used",
           "Canine bit or held person", "Physical or vehicle contact", "Search of person",
           "Search of property", "Property seized", "Vehicle impounded", "Warning issued",
           "Citation issued", "In-field cite and release", "Custodial arrest",
           "Psychiatric hold", "Admission of contraband", "None"]


def _stop_data(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Action_Taken"
    sheet.append(["Action_ID", "Action_Taken"])
    for number, action in enumerate(ACTIONS, 1):
        sheet.append([number, action])
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def build_dump(corpus: Path, out: Path) -> Path:
    if str(REPO) not in sys.path:  # the generator lives in benchmarks/, beside src/
        sys.path.insert(0, str(REPO))
    from benchmarks.corpus import generate

    generate(out, 20_000_000, seed=1, sites=2)
    ncric = out / "ncric"
    # An attachment named with other letter case and backslashes, as the CMS stored it.
    pdf = next(p for p in sorted((ncric / "files" / "DDF").iterdir()) if p.suffix == ".pdf")
    _hostile_table(ncric, "FILES\\ddf\\" + pdf.name.upper())
    police = out / "police"
    _stop_data(police / "stop_data.xlsx")
    for relative in POLICE_FILES:
        source = corpus / "pdap-police" / relative
        if source.exists():
            shutil.copyfile(source, police / source.name)
    return out


def ingested(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> tuple[Path, DataDir]:
    """(dump, data dir), built by the first test that asks in this session."""
    base = tmp_path_factory.getbasetemp() / "tables-blueleaks"
    dump, data = base / "dump", base / "data"
    done = base / "done"
    if not done.exists():
        from trawl.ingestion.pipeline import Ingester, IngestOptions

        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        build_dump(corpus, dump)
        ingester = Ingester(DataDir.open(data), DATASET,
                            IngestOptions(workers=2, quiet=True, ocr=False))
        try:
            ingester.ingest(dump)
        finally:
            ingester.close()
        done.write_text("ok")
    return dump, DataDir.open(data)
