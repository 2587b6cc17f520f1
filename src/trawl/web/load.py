"""Graceful degradation under load: a bounded number of requests at work, a bounded queue
behind them, and a quick 503 with Retry-After beyond that.

Why: the handlers are synchronous and run on a pool of threads; on a small machine a burst
of readers would otherwise queue without bound, each waiting longer than the one before,
until clients time out half-way through (and retry, making it worse). A reader told "busy,
try again in a second" at once is better served than one left hanging for ten. A request is
refused before any handler runs, so nothing it would have written (the audit entry of a
search, a download) is half done: a refused request did not happen.

Static files are not counted: they are cheap, and a page whose style sheet was refused is
worse than a page refused whole.
"""

from __future__ import annotations

import asyncio
import math

from starlette.types import ASGIApp, Receive, Scope, Send

ACTIVE_MAX = 16       # requests at work at once (the thread pool has 40 threads)
WAITING_MAX = 64      # requests waiting for one of those places
WAIT_S = 5.0          # how long one may wait before it is told to come back
EXEMPT_PREFIXES = ("/static/",)


class RequestLimit:
    """Pure ASGI middleware: at most `active` requests at work, `waiting` more queued for at
    most `wait_s` seconds each; any other gets 503 Service Unavailable and Retry-After."""

    def __init__(self, app: ASGIApp, active: int = ACTIVE_MAX, waiting: int = WAITING_MAX,
                 wait_s: float = WAIT_S) -> None:
        self.app = app
        self.active = max(1, active)
        self.waiting_max = max(0, waiting)
        self.wait_s = wait_s
        self._slots: asyncio.Semaphore | None = None  # made in the server's event loop
        self.waiting = 0
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.active)
        if not await self._admitted(self._slots):
            self.refused += 1
            await _busy(send, retry_after=math.ceil(self.wait_s) or 1)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self._slots.release()

    async def _admitted(self, slots: asyncio.Semaphore) -> bool:
        if not slots.locked():
            await slots.acquire()
            return True
        if self.waiting >= self.waiting_max:
            return False
        self.waiting += 1
        try:
            await asyncio.wait_for(slots.acquire(), self.wait_s)
            return True
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1


async def _busy(send: Send, retry_after: int) -> None:
    body = b'{"error": "the server is busy: try again in a moment"}'
    await send({"type": "http.response.start", "status": 503, "headers": [
        (b"content-type", b"application/json"), (b"retry-after", str(retry_after).encode()),
        (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
