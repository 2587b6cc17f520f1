from __future__ import annotations

from pathlib import Path

import pytest

from trawl.ingestion.detect import detect_mime
from trawl.ingestion.extractors.base import ExtractionContext, ExtractionResult, Limits
from trawl.ingestion.extractors.registry import Registry
from trawl.storage.blobs import BlobStore


class ExtractHelper:
    """Runs the registered extractor for a file as the pipeline would (minus the worker)."""

    def __init__(self, tmp_path: Path) -> None:
        self.blobs = BlobStore(tmp_path / "blobs")
        self.tmp = tmp_path / "work"
        self.tmp.mkdir()
        self.registry = Registry()

    def __call__(
        self, path: Path, mime: str | None = None, passwords=(), limits: Limits | None = None
    ) -> ExtractionResult:
        mime = mime or detect_mime(path)
        cls = self.registry.for_mime(mime)
        assert cls is not None, f"no extractor for {mime} ({path})"
        ctx = ExtractionContext(path, mime, path.name, self.blobs.root, self.tmp, limits,
                                passwords)
        self.not_extracted = ctx.not_extracted  # what the pipeline records as skipped/failed
        result = cls().extract(ctx)
        result.children = result.children or ctx.children
        return result

    def child_bytes(self, child) -> bytes:
        return self.blobs.path(child.sha256).read_bytes()


@pytest.fixture
def extract(tmp_path: Path) -> ExtractHelper:
    return ExtractHelper(tmp_path)
