"""A real HTTP server and a real browser for the end-to-end tests (tests/web, tests/access).

`start_live_server(app)` serves an ASGI app with uvicorn on a free local port, in a thread,
and notes the path of every request it answers; `launch_chromium()` starts Debian's headless
/usr/bin/chromium through Playwright (the test is skipped where it is not installed). Each
conftest wraps them in its own session fixtures, over its own app.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


@dataclass
class LiveServer:
    url: str
    requests: list[str] = field(default_factory=list)

    def requested(self, fragment: str) -> list[str]:
        return [path for path in self.requests if fragment in path]


class _Recorder:
    """ASGI wrapper that notes the path (and query) of every HTTP request."""

    def __init__(self, app, log: list[str]) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            self.log.append(scope["path"] + (f"?{query}" if query else ""))
        await self.app(scope, receive, send)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def start_live_server(app) -> Iterator[LiveServer]:
    """`app` served on http://127.0.0.1:PORT until the block ends."""
    import uvicorn

    server_info = LiveServer(url="")
    port = _free_port()
    config = uvicorn.Config(_Recorder(app, server_info.requests), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    server_info.url = f"http://127.0.0.1:{port}"
    try:
        yield server_info
    finally:
        server.should_exit = True
        server.force_exit = True  # do not wait for the browser's keep-alive connections
        thread.join(timeout=10)


class _Chromium:
    """One Playwright driver and one Chromium for the whole process, however many session
    fixtures hold it: Playwright's sync API cannot run twice at once in one thread, and the
    `browser` fixtures of tests/web and tests/access both live until the session ends."""

    playwright = None
    browser = None
    holders = 0


@contextmanager
def launch_chromium() -> Iterator:
    """A headless Chromium (a Playwright Browser), shared by every holder at the same time;
    skips the test where there is none. Each holder makes its own contexts."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    if _Chromium.holders == 0:
        from playwright.sync_api import sync_playwright

        playwright = sync_playwright().start()
        try:
            _Chromium.browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                           args=CHROMIUM_ARGS)
        except BaseException:
            playwright.stop()
            raise
        _Chromium.playwright = playwright
    _Chromium.holders += 1
    try:
        yield _Chromium.browser
    finally:
        _Chromium.holders -= 1
        if _Chromium.holders == 0:
            browser, playwright = _Chromium.browser, _Chromium.playwright
            _Chromium.browser = _Chromium.playwright = None
            try:
                browser.close()
            finally:
                playwright.stop()


def sign_in(tab, name: str, password: str) -> None:
    """Through the login form, as a person would."""
    tab.goto("/login")
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", password)
    tab.click("form.stacked button[type=submit]")
    tab.wait_for_url(lambda url: "/login" not in url)
