"""Shared test fixtures. Real inputs come from ../shared/corpus, used in place by path."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_corpus import CORPUS


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus missing: {CORPUS}")
    return CORPUS
