"""The `trawl` command's reading commands over a real ingested dump (issue #19): a closed
pipe, query warnings, values that cannot match, a query that only excludes, singular
counts, and CLI searches in the audit log."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from ingest_helpers import ingest

from trawl.cli.main import main

DATASET = "memos"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    dump = root / "dump"
    dump.mkdir()
    (dump / "pier.txt").write_text("Memo about the harbour pier and its police patrol.\n")
    (dump / "budget.txt").write_text("The harbour budget for the coming year.\n")
    (dump / "staff.csv").write_text("StaffID,FirstName,Unit\n1,Jo,Harbour police\n")
    ingest(dump, root / "data", DATASET, ocr=False)
    return root / "data"


def trawl(data: Path, *args: str) -> int:
    return main([*args, "--data-dir", str(data)])


# -- a closed pipe ---------------------------------------------------------------------------
@pytest.mark.parametrize("command", [("tables", "--dataset", DATASET), ("search", "harbour")])
def test_a_reader_that_closes_the_pipe_stops_the_command_quietly(data, command):
    """`trawl tables ... | head -1` ended in a BrokenPipeError traceback."""
    env = {**os.environ, "TRAWL_DATA": str(data), "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen([sys.executable, "-m", "trawl.cli.main", *command], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # gone before the command writes its first line, as head is soon
    _out, err = process.communicate(timeout=300)
    assert process.returncode == 141, err.decode()  # 128 + SIGPIPE, as a shell reports it
    assert err == b""


# -- what the query parser said ----------------------------------------------------------------
def test_plain_text_search_prints_the_query_warnings(data, capsys):
    """`trawl search '"unclosed'` said only "0 documents"."""
    assert trawl(data, "search", '"unclosed') == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0] == "0 documents"
    assert err.startswith("trawl: warning: syntax error in the query (missing delimiter")
    assert trawl(data, "search", "nosuch:pier") == 0
    assert "unknown field 'nosuch' in the query" in capsys.readouterr().err
    assert trawl(data, "search", "pier") == 0
    assert capsys.readouterr().err == ""
    # The parser finds three ways to say that `AND OR (` is wrong: the reader gets one.
    assert trawl(data, "search", "AND OR (") == 0
    warnings = capsys.readouterr().err.splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("trawl: warning: syntax error")


# -- filters that cannot match ------------------------------------------------------------------
@pytest.mark.parametrize(("args", "says"), [
    (("--ocr", "maybe"), "argument --ocr: invalid choice: 'maybe' (choose from"),
    (("--status", "done"), "argument --status: invalid choice: 'done'"),
    (("--year", "20"), "argument --year: a year has four digits (2020), not '20'"),
    (("--table", "staff"), "--table filters rows of tables: add --rows"),
    (("--rows", "--type", "pdf"), "--type filters documents, not rows of tables"),
])
def test_filter_values_that_cannot_match_are_refused(data, capsys, args, says):
    """`--ocr maybe` silently found nothing."""
    try:
        status = trawl(data, "search", "harbour", *args)
    except SystemExit as exit_:  # argparse's refusal
        status = exit_.code
    assert status == 2
    assert says in capsys.readouterr().err


def test_filter_values_that_can_match_still_filter(data, capsys):
    assert trawl(data, "search", "harbour", "--ocr", "no", "--status", "indexed",
                 "--year", "2020") == 0
    assert capsys.readouterr().out.startswith("0 documents")   # none is from 2020
    assert trawl(data, "search", "harbour", "--ocr", "no", "--status", "indexed") == 0
    assert capsys.readouterr().out.startswith("3 documents")  # the CSV file is one too
    assert trawl(data, "search", "harbour", "--rows", "--table", "staff") == 0
    assert capsys.readouterr().out.startswith("1 row")


# -- a query that only excludes ------------------------------------------------------------------
@pytest.mark.parametrize("query", ["NOT", "NOT budget"])
def test_a_query_that_only_excludes_is_a_usage_error(data, capsys, query):
    """`trawl search NOT` answered with documents."""
    assert trawl(data, "search", query) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("trawl: the query only excludes (NOT or -)")
    assert trawl(data, "search", "* NOT budget") == 0
    assert capsys.readouterr().out.startswith("2 documents")


# -- counts ----------------------------------------------------------------------------------------
def test_counts_of_one_are_singular(data, capsys):
    """"1 documents", "1 rows"."""
    assert trawl(data, "search", "pier") == 0
    assert capsys.readouterr().out.splitlines()[0] == "1 document"
    assert trawl(data, "search", "harbour", "--rows") == 0
    assert capsys.readouterr().out.splitlines()[0] == "1 row"
    assert trawl(data, "search", "nothingmatches") == 0
    assert capsys.readouterr().out.splitlines()[0] == "0 documents"
    assert trawl(data, "tables", "--dataset", DATASET) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("  staff  staff.csv  1 row")


# -- the audit log ---------------------------------------------------------------------------------
def test_a_cli_search_is_in_the_audit_log_as_the_os_user(data, capsys):
    """The web records every search; the CLI's searches were not recorded at all."""
    from trawl.access.audit import AuditLog
    from trawl.cli.audit_commands import cli_actor
    from trawl.storage.datadir import DataDir

    assert trawl(data, "search", "pier", "--dataset", DATASET, "--ocr", "no") == 0
    assert trawl(data, "search", "police", "--rows", "--json") == 0
    capsys.readouterr()
    folder = DataDir.open(data)
    with AuditLog(folder.audit_path, folder.secret_key_path) as log:
        rows, pier = log.entries(action="search", limit=2)
        assert log.verify().ok
    assert cli_actor() == f"cli:{__import__('getpass').getuser()}"
    # The fields the web records for a search (web/api.py audit_search), with no address.
    assert (pier.actor, pier.action, pier.target, pier.ip) == (cli_actor(), "search", "pier",
                                                               None)
    assert pier.detail == {"filters": {"dataset": [DATASET], "ocr": ["no"]},
                           "record": "documents", "total": 1}
    assert (rows.actor, rows.target, rows.detail) == (
        cli_actor(), "police", {"filters": {}, "record": "rows", "total": 1})
