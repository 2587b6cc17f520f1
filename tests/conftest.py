"""Shared test fixtures. Real inputs come from ../shared/corpus, used in place by path."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_corpus import CORPUS


def pytest_configure(config: pytest.Config) -> None:
    # starlette.testclient says httpx is deprecated in favour of httpx2; the tests use httpx.
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with")


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    return CORPUS
