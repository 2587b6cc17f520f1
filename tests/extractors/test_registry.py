"""The registry finds every extractor by itself: adding a format is adding a file."""

from __future__ import annotations

import importlib
from pathlib import Path

from trawl.ingestion import extractors as extractors_package
from trawl.ingestion.extractors.base import Extractor
from trawl.ingestion.extractors.registry import Registry, all_extractors

# Known types and the class that reads each, as the hand-kept list of modules registered them.
KNOWN = {
    "application/pdf": "PdfExtractor",
    "application/msword": "DocExtractor",
    "application/vnd.ms-excel": "XlsExtractor",
    "application/vnd.ms-powerpoint": "PptExtractor",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DocxExtractor",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XlsxExtractor",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PptxExtractor",
    "application/encrypted": "EncryptedOfficeExtractor",
    "application/vnd.oasis.opendocument.text": "OdtExtractor",
    "application/vnd.oasis.opendocument.spreadsheet": "OdsExtractor",
    "application/vnd.oasis.opendocument.presentation": "OdpExtractor",
    "application/vnd.oasis.opendocument.graphics": "OdgExtractor",
    "application/rtf": "RtfExtractor",
    "text/html": "HtmlExtractor",
    "application/xhtml+xml": "HtmlExtractor",
    "text/plain": "TextExtractor",
    "text/csv": "TextExtractor",
    "application/xml": "TextExtractor",
    "message/rfc822": "EmlExtractor",
    "message/x-emlx": "EmlxExtractor",
    "application/mbox": "MboxExtractor",
    "application/vnd.ms-outlook": "MsgExtractor",
    "application/vnd.ms-outlook-pst": "PstExtractor",
    "application/zip": "ArchiveExtractor",
    "application/x-7z-compressed": "ArchiveExtractor",
    "application/gzip": "CompressedExtractor",
    "application/x-xz": "CompressedExtractor",
    "image/png": "ImageExtractor",
    "image/tiff": "ImageExtractor",
    "image/svg+xml": "SvgExtractor",
}


def _modules_defining_extractors() -> dict[str, set[str]]:
    """Each module file of the package, imported, with the Extractor classes it defines."""
    found: dict[str, set[str]] = {}
    for path in sorted(Path(extractors_package.__path__[0]).glob("*.py")):
        module = importlib.import_module(f"{extractors_package.__name__}.{path.stem}")
        defined = {
            value.__name__
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, Extractor)
            and value is not Extractor
            and value.__module__ == module.__name__
            and value.mimes
        }
        if defined:
            found[module.__name__] = defined
    return found


def test_every_module_that_defines_an_extractor_is_registered() -> None:
    registered = {(cls.__module__, cls.__name__) for cls in all_extractors()}
    expected = {(module, name) for module, names in _modules_defining_extractors().items()
                for name in names}
    assert len(expected) >= 24  # the formats shipped when the list stopped being kept by hand
    assert registered == expected


def test_known_types_map_to_the_same_classes() -> None:
    registry = Registry()
    got = {mime: cls.__name__ for mime in KNOWN if (cls := registry.for_mime(mime))}
    assert got == KNOWN
    assert len(registry.mimes()) >= 106  # as many as the hand-kept list registered


def test_unclaimed_text_falls_back_to_the_text_extractor() -> None:
    cls = Registry().for_mime("text/x-shellscript")
    assert cls is not None and cls.__name__ == "TextExtractor"
