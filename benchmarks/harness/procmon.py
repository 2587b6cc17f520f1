"""Run a command and measure its whole process tree: wall time, CPU time, peak memory.

* Wall time: `time.perf_counter` around the child's whole life.
* CPU (user + sys): the larger of two views. (a) The tree is sampled every 0.2 s with psutil
  and the last CPU time seen for each process (pid + start time) is summed; a process that
  lives less than one sample period is missed. (b) `getrusage(RUSAGE_CHILDREN)` of this
  process, before and after: every descendant that was reaped by its parent, down the tree,
  is in it; a process left to init is not. Each misses something the other sees.
* Peak memory: the largest sum of RSS over all the tree's processes at one sample (shared
  pages are counted once per process, as `ps` would; an upper bound of the real footprint).
"""

from __future__ import annotations

import os
import resource
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

SAMPLE_S = 0.2
REPO = Path(__file__).resolve().parents[2]


def module_env(**extra: str) -> dict[str, str]:
    """The environment for `python -m benchmarks.harness.*`, whatever the current folder."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}


@dataclass
class Measured:
    wall_s: float
    cpu_s: float
    peak_rss: int
    max_procs: int
    returncode: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class TreeSampler:
    """Samples a process tree in a thread until stopped."""

    def __init__(self, pid: int, period: float = SAMPLE_S) -> None:
        self.root = psutil.Process(pid)
        self.period = period
        self.cpu: dict[tuple[int, float], float] = {}
        self.peak_rss = 0
        self.max_procs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> TreeSampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period)

    def sample(self) -> None:
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except psutil.Error:
            return
        rss = 0
        for proc in procs:
            try:
                with proc.oneshot():
                    times = proc.cpu_times()
                    rss += proc.memory_info().rss
                    key = (proc.pid, proc.create_time())
            except psutil.Error:
                continue
            self.cpu[key] = max(self.cpu.get(key, 0.0), times.user + times.system)
        self.peak_rss = max(self.peak_rss, rss)
        self.max_procs = max(self.max_procs, len(procs))

    @property
    def cpu_s(self) -> float:
        return sum(self.cpu.values())


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_measured(cmd: Sequence[str], log: Path, env: dict[str, str] | None = None,
                 cwd: Path | None = None, timeout: float | None = None) -> Measured:
    """Runs `cmd` with stdout and stderr into `log`; raises nothing on a non-zero exit."""
    log.parent.mkdir(parents=True, exist_ok=True)
    cpu_before = _children_cpu()
    with log.open("wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, env=env,
                                cwd=cwd)
        sampler = TreeSampler(proc.pid).start()
        try:
            returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            returncode = proc.wait()
        wall = time.perf_counter() - started
        sampler.stop()
    cpu = max(sampler.cpu_s, _children_cpu() - cpu_before)
    return Measured(round(wall, 3), round(cpu, 3), sampler.peak_rss, sampler.max_procs,
                    returncode)


def tree_size(path: Path) -> int:
    """Bytes of every regular file under `path` (apparent sizes, links not followed)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total
