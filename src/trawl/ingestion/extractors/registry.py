"""Picks the extractor for a MIME type: the highest-priority class that declares it."""

from __future__ import annotations

from trawl.ingestion.extractors.base import Extractor


def all_extractors() -> list[type[Extractor]]:
    """Every extractor class Trawl ships. Import here, so that adding a format is one line."""
    from trawl.ingestion.extractors import (
        archive,
        email,
        html,
        image,
        legacy_office,
        msg,
        odf,
        ooxml,
        pdf,
        pst,
        rtf,
        text,
    )

    modules = [archive, email, html, image, legacy_office, msg, odf, ooxml, pdf, pst, rtf, text]
    found: list[type[Extractor]] = []
    for module in modules:
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Extractor)
                and value is not Extractor
                and value.mimes
                and value.__module__ == module.__name__
            ):
                found.append(value)
    return found


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
