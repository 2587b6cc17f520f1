"""Where a run's temporary files go: inside the data directory, never the system's /tmp.

Python's multiprocessing makes a `pymp-*` folder in the system's temporary directory for the
fork server's socket, and the tools the workers run (7z, antiword, Tesseract, ...) write
theirs through TMPDIR. A run killed with `kill -9` removes none of them, and the data may be
sensitive. So a run points TMPDIR and `tempfile` at `<data-dir>/tmp/proc-<pid>/` before its
workers start, and each run removes the folders of earlier runs whose process is gone.

A Unix socket's path has at most 107 bytes; the fork server's is `<folder>/pymp-XXXXXXXX/
listener-XXXXXXXX`. When the data directory's path is too long for that, the system's
temporary directory is kept (and the run says so in its return value).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from multiprocessing import util
from pathlib import Path

PREFIX = "proc-"
SOCKET_PATH_MAX = 107
_SOCKET_SUFFIX = len("/pymp-XXXXXXXX/listener-XXXXXXXX")


def use_scratch_in(tmp_root: Path) -> Path | None:
    """Send this process's temporary files to a folder of its own under `tmp_root`; clear
    what killed runs left there. The folder, or None if its path cannot hold a socket."""
    tmp_root.mkdir(parents=True, exist_ok=True)
    remove_stale(tmp_root)
    folder = tmp_root / f"{PREFIX}{os.getpid()}"
    if len(os.fsencode(folder)) + _SOCKET_SUFFIX > SOCKET_PATH_MAX:
        return None
    folder.mkdir(mode=0o700, exist_ok=True)
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    # After multiprocessing has removed its pymp-* folder (exit priority -100) at exit.
    util.Finalize(None, shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True},
                  exitpriority=-200)
    return folder


def remove_stale(tmp_root: Path) -> list[Path]:
    """Remove the scratch folders of runs whose process no longer exists."""
    removed = []
    for folder in tmp_root.glob(f"{PREFIX}*"):
        pid = folder.name[len(PREFIX):]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: not ours to clear
        return True
    return True
