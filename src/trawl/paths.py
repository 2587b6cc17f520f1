"""Trawl's paths: '/'-separated, relative to a dataset's root, never a path on this machine.

`ncric/files/DDF/bulletin.pdf`, `mail.pst/Inbox/1.eml/attachment.pdf`: the first part is the
top folder (in a BlueLeaks-like dump, one agency's portal), the rest names the file, inside its
containers. Shared by every layer; imports nothing of Trawl.
"""

from __future__ import annotations


def folder_of(path: str) -> str:
    """The folder holding `path` ('' at the dataset's root)."""
    return path.rsplit("/", 1)[0] if "/" in path else ""


def source_of(path: str) -> str:
    """The top folder of a path: in a BlueLeaks-like dump, the agency portal ('' at the root)."""
    head, sep, _ = path.partition("/")
    return head if sep else ""
