"""How the commands say a count ("1 document", "2 documents") and a time (always UTC, and
saying so: "2026-12-03 17:15 UTC")."""

from __future__ import annotations

from datetime import UTC, datetime


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun it counts, singular for exactly one (`plural` when not just +s)."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


def when(stamp: float | None) -> str:
    """A time (seconds since 1970) to the minute, in UTC, with its zone; "-" for none."""
    if not stamp:
        return "-"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
