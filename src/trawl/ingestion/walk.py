"""Walk a folder without following links, and say what cannot be walked instead of hiding it.

Yields every entry under the root as a `WalkEntry`: regular files to process, and the things
that must be recorded as skipped or failed (symbolic links, sockets, unreadable folders).
Paths are relative to the root, '/'-separated, in a stable (sorted) order.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class WalkEntry:
    path: str                    # relative to the root, '/'-separated
    size: int | None = None
    mtime: float | None = None
    problem: str | None = None   # set when the entry cannot be processed
    status: str = "pending"      # pending | skipped | failed
    kind: str = "file"           # file | dir | link | special
    code: str | None = None      # with `problem`: its trawl.errors code


def walk(root: Path) -> Iterator[WalkEntry]:
    root = Path(root)
    if root.is_file() and not root.is_symlink():
        info = root.stat()
        yield WalkEntry(root.name, info.st_size, info.st_mtime)
        return
    yield from _walk_dir(root, "")


def _walk_dir(folder: Path, prefix: str) -> Iterator[WalkEntry]:
    try:
        with os.scandir(folder) as scanner:
            entries = sorted(scanner, key=lambda e: e.name)
    except OSError as exc:
        yield WalkEntry(prefix.rstrip("/") or ".", problem=f"cannot list folder: {exc.strerror}",
                        status="failed", kind="dir", code="io")
        return
    for entry in entries:
        rel = prefix + entry.name
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError as exc:
            yield WalkEntry(rel, problem=f"cannot stat: {exc.strerror}", status="failed",
                            code="io")
            continue
        if stat.S_ISLNK(info.st_mode):
            target = _link_target(entry.path)
            yield WalkEntry(rel, problem=f"symbolic link to {target} (links are not followed)",
                            status="skipped", kind="link", code="link")
        elif stat.S_ISDIR(info.st_mode):
            yield from _walk_dir(Path(entry.path), rel + "/")
        elif stat.S_ISREG(info.st_mode):
            yield WalkEntry(rel, info.st_size, info.st_mtime)
        else:
            yield WalkEntry(rel, problem="not a regular file (device, socket or pipe)",
                            status="skipped", kind="special", code="special")


def _link_target(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return "?"
