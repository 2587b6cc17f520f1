"""`trawl serve --workers N`: N server processes over one data folder and one socket.

Why processes: a search spends most of its time in Python around the engine (identifying
the caller, the scope, facets, the template, the audit entry), under one interpreter lock,
so one process keeps one core busy however many readers wait. N processes, each with its
own interpreter, share the listening socket the parent bound (the kernel hands each new
connection to one of them), as pre-fork servers have always done.

What keeps them consistent: each worker opens its own SQLite connections and index reader
after the fork (the parent opens nothing it keeps), so each sees what the others write, as
two `trawl` commands do. Sessions, lockouts and tokens live in access.sqlite; the audit
log is appended under SQLite's write lock with its chain read inside that lock
(storage/audit_log.py), so entries from all workers form one chain and none is lost; jobs
write their progress to the catalog, which every worker's admin page reads.

The parent only supervises: it restarts a worker that dies (a crash must not shrink the
server for good) unless they die faster than `MAX_RESTARTS` in `RESTART_WINDOW_S`
(something is wrong with the data or the machine: it stops and says so), and on SIGINT or
SIGTERM it asks every worker to stop (uvicorn finishes the requests at work) and waits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable

MAX_RESTARTS = 5
RESTART_WINDOW_S = 30.0
STOP_WAIT_S = 15.0


def default_workers() -> int:
    """One per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


class Supervisor:
    """Forks `count` workers, each running `serve_one()` until it returns, and keeps them."""

    def __init__(self, count: int, serve_one: Callable[[], None]) -> None:
        self.count = count
        self.serve_one = serve_one
        self.children: dict[int, int] = {}   # pid -> worker number
        self.stopping = False
        self._deaths: deque[float] = deque()

    def run(self) -> int:
        """Serves until told to stop; the exit status (1: workers kept dying)."""
        previous = {s: signal.signal(s, self._stop) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            for number in range(self.count):
                self._spawn(number)
            return self._watch()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _spawn(self, number: int) -> None:
        pid = os.fork()
        if pid == 0:  # the worker
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, signal.SIG_DFL)  # uvicorn installs its own
            status = 0
            try:
                self.serve_one()
            except BaseException:  # noqa: BLE001 (said, then this process ends)
                traceback.print_exc()
                status = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        self.children[pid] = number

    def _watch(self) -> int:
        status = 0
        while self.children:
            try:
                pid, _code = os.wait()
            except ChildProcessError:
                break
            number = self.children.pop(pid, None)
            if number is None or self.stopping:
                continue
            if self._too_many_deaths():
                print("trawl: server workers keep stopping; giving up (see the messages "
                      "above)", file=sys.stderr)
                self._stop(signal.SIGTERM, None)
                status = 1
                continue
            print(f"trawl: server worker {number + 1} stopped; starting it again",
                  file=sys.stderr)
            self._spawn(number)
        return status

    def _too_many_deaths(self) -> bool:
        now = time.monotonic()
        self._deaths.append(now)
        while self._deaths and now - self._deaths[0] > RESTART_WINDOW_S:
            self._deaths.popleft()
        return len(self._deaths) > MAX_RESTARTS

    def _stop(self, _signum: int, _frame: object) -> None:
        self.stopping = True
        for pid in list(self.children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        self._reap_or_kill()

    def _reap_or_kill(self) -> None:
        """Wait for the workers a while, then kill those still there."""
        deadline = time.monotonic() + STOP_WAIT_S
        while self.children and time.monotonic() < deadline:
            for pid in list(self.children):
                try:
                    done, _code = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:
                    done = pid
                if done:
                    self.children.pop(pid, None)
            time.sleep(0.05)
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.children.pop(pid, None)
