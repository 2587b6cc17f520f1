"""Picks the extractor for a MIME type: the highest-priority class that declares it.

Extractors are found, not listed: every module of this package except the shared ones
(`_NOT_EXTRACTORS`) is imported, and each Extractor subclass it defines with `mimes` counts.
Adding a format is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from trawl.ingestion import extractors as extractors_package
from trawl.ingestion.extractors.base import Extractor

# Modules of the package that define no format.
_NOT_EXTRACTORS = frozenset({"base", "helpers", "registry"})


def extractor_modules() -> list[ModuleType]:
    """Every module of the extractors package that may define formats, imported."""
    return [
        importlib.import_module(f"{extractors_package.__name__}.{info.name}")
        for info in pkgutil.iter_modules(extractors_package.__path__)
        if info.name not in _NOT_EXTRACTORS
    ]


def defined_extractors(module: ModuleType) -> list[type[Extractor]]:
    """The Extractor classes a module defines itself (not those it imports) that claim types."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Extractor)
        and value is not Extractor
        and value.mimes
        and value.__module__ == module.__name__
    ]


def all_extractors() -> list[type[Extractor]]:
    """Every extractor class Trawl ships."""
    return [cls for module in extractor_modules() for cls in defined_extractors(module)]


class Registry:
    def __init__(self, extractors: list[type[Extractor]] | None = None) -> None:
        self._by_mime: dict[str, type[Extractor]] = {}
        for cls in sorted(extractors or all_extractors(), key=lambda c: c.priority):
            for mime in cls.mimes:
                self._by_mime[mime] = cls  # sorted ascending: the highest priority wins

    def for_mime(self, mime: str) -> type[Extractor] | None:
        found = self._by_mime.get(mime)
        if found is None and mime.startswith("text/"):
            # Source code, logs, configuration (text/x-c, text/x-shellscript, ...): any text
            # nobody claims is still text, and worth searching.
            found = self._by_mime.get("text/plain")
        return found

    def mimes(self) -> set[str]:
        return set(self._by_mime)
