"""Paths inside a dataset (``ncric/files/DDF/bulletin.pdf``): their folder and their source.

Shared by every layer; imports nothing of Trawl's.
"""

from __future__ import annotations


def folder_of(path: str) -> str:
    """The folder holding `path`: ``ncric/files/DDF``; "" for a path at the dataset's root."""
    return path.rsplit("/", 1)[0] if "/" in path else ""


def source_of(path: str) -> str:
    """The top folder of a path: in a BlueLeaks-like dump, the agency portal."""
    head, sep, _ = path.partition("/")
    return head if sep else ""
