"""A pool of worker processes with a time and memory limit per file.

Why not `concurrent.futures.ProcessPoolExecutor`: it cannot stop one task that hangs, and one
worker dying breaks the whole pool. Here each worker has its own pipe and runs one task at a
time; the coordinator kills (the whole process group, external tools included) a worker whose
task runs past its time limit or that died, records why on that file, and starts a new one.

Workers are started by a fork server: fast to replace, and they never inherit the
coordinator's threads or open index.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import time
import traceback
import warnings
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait

from trawl.errors import DiskFull, TrawlError, is_disk_full
from trawl.ingestion.worker import Task, TaskResult, Worker, WorkerConfig

STARTUP_TIMEOUT_S = 120.0


class WorkerStartError(TrawlError):
    """Workers cannot start (a broken installation): no file is to blame, the run stops."""


def _worker_main(conn: Connection, config: WorkerConfig, memory_limit: int | None) -> None:
    os.setsid()  # own process group, so a timeout also kills the tools this worker started
    _quiet_libraries()
    os.environ["OMP_THREAD_LIMIT"] = "1"  # one core per worker; tesseract threads slow down
    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    try:
        worker = Worker(config)
    except BaseException:  # a broken installation is not a broken file: stop the run
        conn.send(("error", traceback.format_exc()))
        return
    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the coordinator is gone: so are we
            return
        if task is None:
            return
        try:
            result = worker.process(task)
        except Exception as exc:  # noqa: BLE001 (a full disk is the run's, not the file's)
            if not is_disk_full(exc):
                raise
            conn.send(("disk_full", str(exc)))
            continue
        conn.send(result)


def _quiet_libraries() -> None:
    """Parsers chat on stdout/stderr and through logging about every odd file; the file's
    record says what matters, and the coordinator's progress display must stay readable."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.CRITICAL)
    logging.getLogger().setLevel(logging.CRITICAL)


@dataclass
class _Slot:
    process: multiprocessing.process.BaseProcess
    conn: Connection
    task: Task | None = None
    started: float = 0.0


class WorkerPool:
    def __init__(self, size: int, config: WorkerConfig, timeout_s: float,
                 memory_limit: int | None) -> None:
        self.size = max(1, size)
        self.config = config
        self.timeout_s = timeout_s
        self.memory_limit = memory_limit
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["trawl.ingestion.worker"])
        self._slots = [self._start() for _ in range(self.size)]

    def _start(self) -> _Slot:
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(target=_worker_main, daemon=True,
                                    args=(child, self.config, self.memory_limit))
        process.start()
        child.close()
        if not parent.poll(STARTUP_TIMEOUT_S):
            raise WorkerStartError("a worker process did not start in time")
        try:
            state, detail = parent.recv()
        except EOFError:
            state, detail = "error", f"it exited with status {process.exitcode}"
        if state != "ready":
            raise WorkerStartError(f"a worker process could not start: {detail}")
        return _Slot(process, parent)

    def idle(self) -> int:
        return sum(1 for s in self._slots if s.task is None)

    def busy(self) -> int:
        return self.size - self.idle()

    def in_flight(self) -> set[int]:
        return {s.task.file_id for s in self._slots if s.task is not None}

    def submit(self, task: Task) -> None:
        slot = next(s for s in self._slots if s.task is None)
        slot.task, slot.started = task, time.monotonic()
        with contextlib.suppress(BrokenPipeError, OSError):
            slot.conn.send(task)  # if the worker is dead, collect() reports it on this task

    def collect(self, wait_s: float = 0.2) -> list[TaskResult]:
        """Results of finished tasks, and failure records for tasks that hung or crashed."""
        busy = {s.conn: s for s in self._slots if s.task is not None}
        results: list[TaskResult] = []
        if busy:
            # Not past the first task's time limit: a limit shorter than `wait_s` is kept at
            # its time, not at the next look (a task that ends within the wait is taken).
            first_deadline = min(s.started for s in busy.values()) + self.timeout_s
            wait_s = max(0.0, min(wait_s, first_deadline - time.monotonic()))
            for conn in wait(list(busy), timeout=wait_s):
                results.append(self._receive(busy[conn]))  # type: ignore[index]
        now = time.monotonic()
        for slot in self._slots:
            if slot.task is not None and now - slot.started > self.timeout_s:
                results.append(self._replace(slot, f"timed out after {self.timeout_s:.0f} s "
                                                   "(the per-file time limit)", "timeout"))
        return results

    def _receive(self, slot: _Slot) -> TaskResult:
        try:
            result: TaskResult = slot.conn.recv()
        except (EOFError, OSError):
            slot.process.join(timeout=1)
            status = slot.process.exitcode
            reason = _describe_exit(status, self.memory_limit)
            return self._replace(slot, f"the extractor crashed: {reason}",
                                 "memory" if _out_of_memory(status, self.memory_limit)
                                 else "crash")
        slot.task = None
        if isinstance(result, tuple) and result[0] == "disk_full":
            raise DiskFull(f"the disk is full ({result[1]})")
        return result

    def _replace(self, slot: _Slot, error: str, code: str) -> TaskResult:
        task = slot.task
        assert task is not None
        self._kill(slot)
        self._slots[self._slots.index(slot)] = self._start()
        # The pool runs files' tasks and the entity stage's (which have no sha256): both
        # are told apart by `file_id`, their number in the run.
        return TaskResult(file_id=task.file_id, sha256=getattr(task, "sha256", None),
                          error=error, code=code, seconds=time.monotonic() - slot.started)

    @staticmethod
    def _kill(slot: _Slot) -> None:
        pid = slot.process.pid
        if pid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        slot.process.join(timeout=5)
        slot.conn.close()

    def close(self) -> None:
        for slot in self._slots:
            if slot.task is None:
                with contextlib.suppress(BrokenPipeError, OSError):
                    slot.conn.send(None)
        for slot in self._slots:
            slot.process.join(timeout=2)
            if slot.process.is_alive():
                self._kill(slot)


def _out_of_memory(status: int | None, memory_limit: int | None) -> bool:
    """A worker under a memory limit that was SIGKILLed: the kernel's OOM killer, as far as
    anyone can tell (nothing else here sends SIGKILL to a worker that has not timed out)."""
    return bool(memory_limit) and status == -signal.SIGKILL


def _describe_exit(status: int | None, memory_limit: int | None) -> str:
    if status is None:
        return "no exit status"
    if status < 0:
        name = signal.Signals(-status).name
        hint = " (likely out of memory)" if _out_of_memory(status, memory_limit) else ""
        return f"killed by {name}{hint}"
    return f"exit status {status}"
