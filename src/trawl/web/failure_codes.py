"""The failure codes as the web shows them: grouped counts, each code with its meaning in the
reader's language and links to the files of that code (and of each message under it)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from trawl.errors import UNKNOWN, is_retryable, meaning_of
from trawl.storage.browse import CodeGroup
from trawl.web.documents import dataset_url
from trawl.web.i18n import _


def meaning(code: str) -> str:
    """A code's meaning, translated; trawl.errors.CODES has the English."""
    meanings = _meanings()
    return meanings.get(code) or meanings[UNKNOWN]


def _meanings() -> dict[str, str]:
    # Written out, not looked up, so that pybabel finds each one; a test checks that the
    # English is the same as trawl.errors.CODES says.
    return {
        "encrypted": _("encrypted, and no password given opened it"),
        "unsupported": _("a type Trawl does not extract"),
        "empty": _("an empty file"),
        "corrupt": _("malformed or truncated: the parser could not read it"),
        "limit": _("a safety limit was hit (size, ratio, count, depth, a quine)"),
        "link": _("a symbolic or hard link (links are not followed)"),
        "special": _("not a regular file (device, socket, pipe)"),
        "timeout": _("it ran past the time limit for one file"),
        "memory": _("it ran past the memory limit for one file"),
        "crash": _("the worker or the parser crashed on it"),
        "tool": _("an external tool failed for lack of resources"),
        "io": _("it could not be read (permissions, a vanished file, a disk error)"),
        UNKNOWN: _("recorded before Trawl kept failure codes, or of no known kind"),
    }


def problems_url(dataset: str, status: str, code: str, reason: str | None = None) -> str:
    params = {"status": status, "code": code}
    if reason is not None:
        params["reason"] = reason
    return f"{dataset_url(dataset)}/problems?{urlencode(params)}"


def code_views(dataset: str, status: str, groups: list[CodeGroup]) -> list[dict[str, Any]]:
    """The overview's groups as the page shows them."""
    return [{"code": g.code, "count": g.count, "meaning": meaning(g.code),
             "retryable": is_retryable(g.code), "url": problems_url(dataset, status, g.code),
             "reasons": [{"reason": r, "count": n,
                          "url": problems_url(dataset, status, g.code, r)}
                         for r, n in g.reasons]}
            for g in groups]


def code_json(groups: list[CodeGroup]) -> list[dict[str, Any]]:
    """The overview's groups as the API gives them (meanings in English, as the codes)."""
    return [{"code": g.code, "retryable": is_retryable(g.code), "meaning": meaning_of(g.code),
             "count": g.count, "reasons": [{"reason": r, "count": n} for r, n in g.reasons]}
            for g in groups]
