"""Progress of a run: a live bar on a terminal, plain log lines elsewhere (CI, files, cron)."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field


class Checkpoints:
    """When a stage commits: every `seconds`, or every `items` done, whichever comes first,
    so that a killed run redoes at most that much and a reader sees progress that often."""

    def __init__(self, seconds: float, items: int) -> None:
        self.seconds, self.items = seconds, items
        self._last, self._done = time.monotonic(), 0

    def due(self, done: int) -> bool:
        now = time.monotonic()
        if now - self._last > self.seconds or done - self._done >= self.items:
            self._last, self._done = now, done
            return True
        return False


@dataclass
class Counters:
    total: int = 0          # paths known so far (grows as containers are opened)
    done: int = 0
    failed: int = 0
    skipped: int = 0
    bytes_done: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return max(time.monotonic() - self.started, 1e-6)

    def rate(self) -> float:
        return self.done / self.elapsed

    def eta_s(self) -> float | None:
        rate = self.rate()
        return (self.total - self.done) / rate if rate > 0 else None


class Progress:
    """Reports `Counters`; `live=None` chooses the bar when stderr is a terminal."""

    LOG_EVERY_S = 10.0

    def __init__(self, label: str, live: bool | None = None, quiet: bool = False,
                 unit: str = "files") -> None:
        self.label = label
        self.unit = unit  # "files", or "pages" for OCR, where bytes say nothing
        self.quiet = quiet
        self.live = sys.stderr.isatty() if live is None else live
        self._bar = None
        self._last_log = 0.0

    def __enter__(self) -> Progress:
        if self.live and not self.quiet:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                TextColumn,
                TimeRemainingColumn,
            )
            from rich.progress import (
                Progress as RichProgress,
            )

            self._bar = RichProgress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[detail]}"), TimeRemainingColumn(), transient=False)
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=None, detail="")
        return self

    def update(self, c: Counters, force: bool = False) -> None:
        if self.quiet:
            return
        speed = f"  {c.bytes_done / c.elapsed / 1e6:.1f} MB/s" if self.unit == "files" else ""
        detail = (f"{c.rate():.1f} {self.unit}/s{speed}  "
                  f"failed {c.failed}  skipped {c.skipped}")
        if self._bar is not None:
            self._bar.update(self._task, total=c.total, completed=c.done, detail=detail)
            return
        now = time.monotonic()
        if force or now - self._last_log >= self.LOG_EVERY_S:
            self._last_log = now
            eta = c.eta_s()
            eta_text = f"  ETA {eta:.0f}s" if eta is not None and c.done else ""
            print(f"{self.label}: {c.done}/{c.total} {self.unit}  {detail}{eta_text}",
                  file=sys.stderr, flush=True)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
