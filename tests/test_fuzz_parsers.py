"""The coverage-guided fuzzers of Trawl's own parsers (benchmarks/fuzz_parsers.py), briefly:
each target's property holds for a few thousand generated inputs, and the inputs that once
broke one are kept here as plain cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trawl.access.redaction import Redactor

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("target", ("query", "redaction", "reader", "entities", "csv"))
def test_each_parser_holds_its_property_under_fuzzing(target, tmp_path):
    pytest.importorskip("atheris")
    done = subprocess.run([sys.executable, "-m", "benchmarks.fuzz_parsers", target,
                           "-runs=3000", "-max_len=1024", "-seed=7"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={"PYTHONPATH": f"{REPO / 'src'}:{REPO}", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 3000 runs" in done.stderr


def test_a_label_that_frees_a_phone_number_is_masked_at_once():
    """Found by the fuzzer: the digits of an IPv6 zone kept `+444444444` from reading as a
    phone number; once the address was `[ip]` it did, so masking twice masked more."""
    redactor = Redactor()
    text = "route +32::1%44+444444444 via gateway"
    once = redactor.text(text)
    assert redactor.text(once) == once
    assert "444444444" not in once
