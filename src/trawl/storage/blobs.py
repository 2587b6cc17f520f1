"""Content-addressed blob store: files named by their SHA-256, written once, never changed.

Holds what Trawl derives or unpacks (archive members, attachments, extracted text); originals
are read in place and never copied here. Writes go to `tmp/` first and are renamed into place,
so a crash never leaves a half-written blob under a real name, and two workers writing the same
content at once both succeed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from pathlib import Path


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.tmp_dir = self.root / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def adopt(self, tmp_name: str | Path, sha256: str) -> Path:
        """Move a finished temporary file into place under its hash."""
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp_name, target)
        return target

    def put_bytes(self, data: bytes) -> str:
        sha = hashlib.sha256(data).hexdigest()
        if not self.exists(sha):
            fd, tmp = tempfile.mkstemp(dir=self.tmp_dir)
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
            except BaseException:  # a full disk: leave no half-written file behind
                os.unlink(tmp)
                raise
            self.adopt(tmp, sha)
        return sha

    def put_text(self, text: str) -> str:
        """Store text gzip-compressed (extracted text compresses 3-5x); returns the key."""
        # mtime=0 keeps the gzip bytes, and so the key, a function of the text alone.
        return self.put_bytes(gzip.compress(text.encode("utf-8"), compresslevel=5, mtime=0))

    def get_text(self, sha256: str) -> str:
        return gzip.decompress(self.path(sha256).read_bytes()).decode("utf-8")
