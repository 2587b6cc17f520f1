"""How the commands say a count: "1 document", "2 documents", "0 documents"."""

from __future__ import annotations


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """`n` and the noun it counts, singular for exactly one (`plural` when not just +s)."""
    return f"{n} {singular if n == 1 else plural or singular + 's'}"
