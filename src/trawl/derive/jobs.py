"""Background jobs: long work asked for from the web runs beside the request, not inside it.

Publishing a dataset builds its redacted view: minutes for a big dataset, far longer than a
request may take, and a browser that gives up must not leave it half done. So the web records
a *job* in the catalog (`jobs`: kind, dataset, state, done/total, message, error) and returns at
once; one thread of the server runs the jobs in order, writing their progress as they go, so
the admin page, `GET /api/admin/jobs/{id}` and `trawl jobs` all see the same thing.

A job runs the same function the CLI runs (redacted_view.set_visibility): one way to publish.
A job whose server died mid-way is marked `interrupted` when the next server starts; the view
it was building is not visible (a dataset becomes public only once its view is complete), so
asking again is always safe. Failures are recorded on the job with their message, never lost:
`Busy` when another writer (an ingestion) holds the index.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from trawl.derive.redacted_view import set_visibility
from trawl.errors import TrawlError
from trawl.storage.catalog import Catalog, Job
from trawl.storage.datadir import DataDir

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.5     # the catalog is written at most this often per job
Work = Callable[[Callable[[int, int], None]], str]


@dataclass
class _Queued:
    job_id: int
    work: Work


class JobRunner:
    """Runs the jobs of one server process, one at a time, in a thread of its own."""

    def __init__(self, data: DataDir) -> None:
        self.data = data
        self._queue: queue.Queue[_Queued | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def recover(self) -> int:
        """At a server's start: mark the jobs a dead process left behind; returns how many."""
        catalog = Catalog(self.data.catalog_path)
        try:
            return catalog.interrupt_unfinished_jobs()
        finally:
            catalog.close()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout_s)
            self._thread = None

    def publish(self, dataset: str, visibility: str, requested_by: str | None) -> Job:
        """Queue a change of a dataset's visibility (public builds its redacted view)."""

        def work(progress: Callable[[int, int], None]) -> str:
            set_visibility(self.data, dataset, visibility, progress)
            return f"{dataset} is now {visibility}"

        return self._submit("visibility", dataset, {"visibility": visibility}, requested_by,
                            work)

    def _submit(self, kind: str, dataset: str | None, detail: dict, requested_by: str | None,
                work: Work) -> Job:
        catalog = Catalog(self.data.catalog_path)
        try:
            job = catalog.add_job(kind, dataset, detail, requested_by)
        finally:
            catalog.close()
        self._queue.put(_Queued(job.id, work))
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="trawl-jobs",
                                                daemon=True)
                self._thread.start()
        return job

    def _run(self) -> None:
        catalog = Catalog(self.data.catalog_path)
        try:
            while (item := self._queue.get()) is not None:
                self._run_one(catalog, item)
        finally:
            catalog.close()

    def _run_one(self, catalog: Catalog, item: _Queued) -> None:
        catalog.update_job(item.job_id, state="running")
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY_S or done == total:
                catalog.update_job(item.job_id, done=done, total=total)
                last = now

        try:
            message = item.work(progress)
        except (TrawlError, ValueError, OSError) as exc:  # Busy: an ingestion holds the index
            catalog.update_job(item.job_id, state="failed", error=str(exc)[:2000])
        except Exception as exc:  # a bug must end this job, not the server's job thread
            log.exception("job %s failed", item.job_id)
            catalog.update_job(item.job_id, state="failed",
                               error=f"{type(exc).__name__}: {exc}"[:2000])
        else:
            catalog.update_job(item.job_id, state="done", message=message)

    def wait(self, job_id: int, timeout_s: float = 60.0) -> Job | None:
        """The job once finished (or as it is after `timeout_s`): for tests and scripts."""
        deadline = time.monotonic() + timeout_s
        catalog = Catalog(self.data.catalog_path, readonly=True)
        try:
            while True:
                job = catalog.job(job_id)
                if job is None or job.finished or time.monotonic() > deadline:
                    return job
                time.sleep(0.05)
        finally:
            catalog.close()
