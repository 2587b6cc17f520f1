"""`trawl serve --workers 2` as a real process (web/workers.py): two server processes share
the port and both answer; a worker killed with SIGKILL is started again while the other
answers; every request of either is in the audit log, in one intact chain; SIGTERM stops
them all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import psutil

TRAWL = Path(sys.executable).parent / "trawl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _search(port: int, token: str, marker: str) -> int:
    """One request on a connection of its own (so the kernel picks a worker each time)."""
    asked = urllib.request.Request(f"http://127.0.0.1:{port}/api/search?q={quote(marker)}",
                                   headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(asked, timeout=30) as answer:
        return answer.status


def _wait(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _answers(port: int, token: str) -> bool:
    try:
        return _search(port, token, "probe") == 200
    except OSError:
        return False


def _workers(server: psutil.Process) -> list[psutil.Process]:
    return [child for child in server.children() if child.is_running()
            and child.status() != psutil.STATUS_ZOMBIE]


def _busy_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def test_two_workers_answer_restart_and_keep_one_audit_chain(data_dir, admin_token) -> None:
    port, marker = _free_port(), f"workers-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [str(TRAWL), "serve", "--data-dir", str(data_dir.root), "--port", str(port),
         "--workers", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert "2 server processes" in process.stdout.readline() + process.stdout.readline()
        server = psutil.Process(process.pid)
        _wait(lambda: len(_workers(server)) == 2 and _answers(port, admin_token))
        workers = _workers(server)
        before = {w.pid: _busy_seconds(w) for w in workers}
        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda _n: _search(port, admin_token, marker), range(160)))
        assert statuses == [200] * 160
        # Both processes did part of the work (each answered some of the 160 requests).
        assert all(_busy_seconds(w) - before[w.pid] > 0.01 for w in workers)

        killed = workers[0].pid
        os.kill(killed, signal.SIGKILL)
        _wait(lambda: len(_workers(server)) == 2
              and killed not in {w.pid for w in _workers(server)})
        with ThreadPoolExecutor(4) as pool:
            statuses = list(pool.map(lambda _n: _search(port, admin_token, marker), range(40)))
        assert statuses == [200] * 40
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    assert process.returncode == 0
    assert not psutil.pid_exists(killed) or psutil.Process(killed).status() == "zombie"

    exported = subprocess.run(
        [str(TRAWL), "audit", "export", "--action", "search", "--data-dir", str(data_dir.root)],
        capture_output=True, text=True, check=True).stdout
    entries = [json.loads(line) for line in exported.splitlines()]
    assert sum(e.get("target") == marker for e in entries) == 200
    verified = subprocess.run([str(TRAWL), "audit", "verify", "--data-dir",
                               str(data_dir.root)], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout + verified.stderr
