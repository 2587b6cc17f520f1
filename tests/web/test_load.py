"""Under load the server says "busy" at once (503 with Retry-After) instead of queueing
without bound: real HTTP through uvicorn, a real app whose handler waits until the test lets
it go, so that the places at work are provably full. And `trawl serve` on a port in use says
so first, without printing an address that does not work."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from live_server import start_live_server
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from trawl.web.load import RequestLimit


def _app(release: threading.Event, started: threading.Semaphore) -> RequestLimit:
    def slow(request):  # a synchronous handler, on the thread pool, as Trawl's are
        started.release()
        release.wait(30)
        return PlainTextResponse("done")

    def quick(request):
        return PlainTextResponse("quick")

    app = Starlette(routes=[Route("/slow", slow), Route("/quick", quick),
                            Route("/static/x.css", quick)])
    return RequestLimit(app, active=1, waiting=1, wait_s=0.5)


def _get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()


def test_a_full_server_queues_briefly_then_answers_503_with_retry_after() -> None:
    release, started = threading.Event(), threading.Semaphore(0)
    limited = _app(release, started)
    with start_live_server(limited) as server:
        results: dict[str, tuple] = {}
        first = threading.Thread(target=lambda: results.update(first=_get(server.url + "/slow")))
        first.start()
        assert started.acquire(timeout=10), "the first request never reached its handler"
        waited = threading.Thread(
            target=lambda: results.update(waited=(time.monotonic(), _get(server.url + "/quick"),
                                                  time.monotonic())))
        waited.start()
        deadline = time.monotonic() + 5
        while limited.waiting < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert limited.waiting == 1  # the queue (of one) is full: the next is refused at once
        status, headers, body = _get(server.url + "/quick")
        assert status == 503 and headers["retry-after"] == "1" and "busy" in body
        # Static files are never refused: a page keeps its style sheet.
        assert _get(server.url + "/static/x.css")[0] == 200
        waited.join(10)
        began, (status, headers, _body), ended = results["waited"]
        assert status == 503 and headers["retry-after"] == "1"
        assert 0.4 <= ended - began < 5  # it waited its half second, not for ever
        release.set()
        first.join(10)
        assert results["first"][0] == 200 and results["first"][2] == "done"
        status, _headers, body = _get(server.url + "/quick")
        assert (status, body) == (200, "quick")  # the place is free again
        assert limited.refused == 2


def test_a_waiting_request_gets_the_place_that_frees_up() -> None:
    release, started = threading.Event(), threading.Semaphore(0)
    limited = _app(release, started)
    limited.wait_s = 10.0
    with start_live_server(limited) as server:
        results: dict[str, tuple] = {}
        first = threading.Thread(target=lambda: results.update(first=_get(server.url + "/slow")))
        first.start()
        assert started.acquire(timeout=10)
        second = threading.Thread(
            target=lambda: results.update(second=_get(server.url + "/quick")))
        second.start()
        while limited.waiting < 1:
            time.sleep(0.01)
        release.set()
        first.join(10)
        second.join(10)
        assert results["first"][0] == 200 and results["second"][0] == 200
        assert limited.refused == 0


def test_trawl_serve_on_a_port_in_use_says_so_first(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        trawl = Path(sys.executable).parent / "trawl"
        done = subprocess.run([str(trawl), "serve", "--data-dir", str(tmp_path / "data"),
                               "--port", str(port)], capture_output=True, text=True,
                              timeout=60)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Open http" not in done.stdout + done.stderr


def test_connections_of_the_listening_socket_send_without_delay() -> None:
    """`trawl serve`'s own socket (web/server.py `listen`), served by asyncio as uvicorn
    serves it: each accepted connection has TCP_NODELAY, so a response's headers and body
    are not held back by Nagle's algorithm (they were: ~40 ms a request)."""
    import asyncio

    from trawl.web.server import listen

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listener = listen("127.0.0.1", port)

    async def accepted_nodelay() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Probe(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    # In a thread of its own: the browser tests leave an event loop running in this one.
    found: list[int] = []
    runner = threading.Thread(target=lambda: found.append(asyncio.run(accepted_nodelay())))
    runner.start()
    runner.join(30)
    assert found == [1]
