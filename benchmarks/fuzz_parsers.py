"""Coverage-guided fuzzing (atheris) of the parsers Trawl writes itself, each with the property
it promises, not only "does not crash":

* ``query``: any text as a search (the query language, field names, entity filters): a result
  or a `QueryError` (a 400 for the web), never another exception;
* ``redaction``: `Redactor.spans` gives sorted, disjoint spans inside the text, and masking is
  idempotent (a masked text masked again is the same: labels hold nothing a detector finds),
  except where quoted-printable decoding, decided on the whole text, reads otherwise;
* ``reader``: the reader's view of a text (decodings, page breaks) maps every view range back
  to stretches inside the original;
* ``entities``: every mention the recogniser finds lies inside the text, with its key;
* ``csv``: a CSV cell written by `csv_cell` reads back as the value, and never starts like a
  formula.

    python -m benchmarks.fuzz_parsers TARGET [-runs=N] [-max_len=4096] [atheris/libFuzzer flags]
    python -m benchmarks.fuzz_parsers all --runs N      every target, N inputs each, one by one

A crash prints the input and writes it as ``crash-*`` (libFuzzer's artifact) in the current
folder; exit status 0 means every input held.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

import atheris

TARGETS = ("query", "redaction", "reader", "entities", "csv")

with atheris.instrument_imports(include=["trawl"]):
    from trawl.access.reader_text import reader_view
    from trawl.access.redaction import Redactor
    from trawl.csv_cells import FORMULA_STARTS, csv_cell, read_csv_cell
    from trawl.derive.entities.patterns import Recogniser
    from trawl.index.base import QueryError, SearchQuery


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def check_redaction(data: bytes) -> None:
    text = _text(data)
    redactor = _redactor()
    spans = redactor.spans(text)
    last = 0
    for start, end, _kind in spans:
        assert last <= start < end <= len(text), (spans, len(text))
        last = end
    once = redactor.text(text)
    # Whether a text is quoted-printable is read off the whole text (reader_text.py): once
    # masked, it may read otherwise, so idempotence is promised for the other texts.
    if "=" not in text:
        assert redactor.text(once) == once


def check_reader(data: bytes) -> None:
    text = _text(data)
    view = reader_view(text)
    if view is None:
        return
    for start in range(0, len(view.text), 7):
        for a, b in view.pieces(start, min(len(view.text), start + 9)):
            assert 0 <= a <= b <= len(text), (a, b, len(text))


def check_entities(data: bytes) -> None:
    text = _text(data)
    for found in _recogniser().find(text):
        assert 0 <= found.start < found.end <= len(text) and found.key, found


def check_csv(data: bytes) -> None:
    value = _text(data)
    cell = csv_cell(value)
    assert read_csv_cell(cell) == value
    assert not cell.startswith(FORMULA_STARTS)


def check_query(data: bytes) -> None:
    with contextlib.suppress(QueryError):  # a 400 for the web: the one allowed refusal
        _index().search(SearchQuery(text=_text(data)[:2000], limit=3, facets=("type",)))


_cache: dict[str, object] = {}


def _redactor() -> Redactor:
    return _cache.setdefault("redactor", Redactor())  # type: ignore[return-value]


def _recogniser() -> Recogniser:
    return _cache.setdefault("recogniser", Recogniser())  # type: ignore[return-value]


def _index():
    """A small index of a few documents, built once per process."""
    if "index" not in _cache:
        from trawl.index.base import IndexDocument
        from trawl.index.tantivy_backend import TantivyIndex

        folder = Path(tempfile.mkdtemp(prefix="trawl-fuzz-index-"))
        index = TantivyIndex(folder, writable=True, heap_mb=32)
        for number, text in enumerate(("Protest at the depot, call 555-0101.",
                                       "Bulletin: crowd control training, Houston PD.",
                                       "Le rapport de la préfecture sur la manifestation.")):
            index.add(IndexDocument(id=f"doc{number}", dataset="fuzz", path=f"d/{number}.txt",
                                    paths=[f"d/{number}.txt"], sources=["d"], family="text",
                                    mime="text/plain", status="indexed", text=text))
        index.commit()
        _cache["index"] = index
    return _cache["index"]


CHECKS = {"query": check_query, "redaction": check_redaction, "reader": check_reader,
          "entities": check_entities, "csv": check_csv}


def run_all(runs: int) -> int:
    """Each target in its own process (atheris runs one per process)."""
    failed = []
    for target in TARGETS:
        done = subprocess.run([sys.executable, "-m", "benchmarks.fuzz_parsers", target,
                               f"-runs={runs}", "-max_len=2048", "-seed=1"], check=False)
        if done.returncode != 0:
            failed.append(target)
    print("fuzz_parsers: " + ("every target held" if not failed else f"FAILED: {failed}"))
    return 1 if failed else 0


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in (*TARGETS, "all"):
        sys.exit(f"usage: python -m benchmarks.fuzz_parsers {{{'|'.join(TARGETS)}|all}} ...")
    target = sys.argv[1]
    if target == "all":
        runs = int(sys.argv[sys.argv.index("--runs") + 1]) if "--runs" in sys.argv else 20000
        sys.exit(run_all(runs))
    atheris.Setup([sys.argv[0], *sys.argv[2:]], CHECKS[target])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
