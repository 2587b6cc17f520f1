"""Images: metadata (size, format, EXIF date, camera and GPS position), via Pillow; text by OCR.

Only headers are read here, never pixels, so the size of an image costs nothing; the image is
listed for OCR (`pages_needing_ocr`), which the OCR stage reads later (ocr_stage.py): its text
becomes the document's text, one page per frame of a multi-page TIFF. Images too small to hold
text or too large to OCR are not listed, with the reason in `ocr_skipped`.
SVG is XML: its <title>, <desc> and <text> content is the text.
"""

from __future__ import annotations

import math
import warnings as py_warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from lxml import etree
from PIL import ExifTags, Image

from trawl.ingestion.extractors.base import (
    ExtractionContext,
    ExtractionResult,
    Extractor,
)
from trawl.ingestion.extractors.helpers import clip_text, library_errors
from trawl.ingestion.ocr import size_problem

_EXIF_TEXT = {
    ExifTags.Base.Make: "camera_make",
    ExifTags.Base.Model: "camera_model",
    ExifTags.Base.Software: "software",
    ExifTags.Base.Artist: "artist",
    ExifTags.Base.ImageDescription: "description",
    ExifTags.Base.Copyright: "copyright",
}
# Text chunks of PNG, comments of JPEG and GIF.
_INFO_TEXT = {"Title": "title", "Author": "author", "Description": "description",
              "Comment": "comment", "comment": "comment", "Software": "software"}  # fmt: skip
_SVG_TEXT = {"title", "desc", "text"}
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True
)


@contextmanager
def _headers_only() -> Iterator[None]:
    # Pillow refuses to *open* images above 2x MAX_IMAGE_PIXELS (decompression bombs); we
    # never decode pixels, so the check only hides the size of big scans. Extractors run
    # one file at a time per worker process, so the global is safe to lift briefly.
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None
    try:
        yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _clean(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        return None
    return value.replace("\x00", "").strip() or None


def _exif_date(value: Any) -> str | None:
    """'2019:01:14 18:09:00' (EXIF's own format) as ISO 8601."""
    text = _clean(value)
    try:
        return datetime.strptime(text or "", "%Y:%m:%d %H:%M:%S").isoformat()
    except ValueError:
        return None


def _degrees(value: Any, ref: Any) -> float | None:
    """A GPS coordinate (degrees, minutes, seconds as rationals) in signed decimal degrees."""
    try:
        deg, minutes, seconds = (float(v) for v in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    result = deg + minutes / 60 + seconds / 3600
    if not math.isfinite(result):
        return None
    return round(-result if _clean(ref) in ("S", "W") else result, 7)


def exif_metadata(img: Image.Image) -> dict[str, Any]:
    exif = img.getexif()
    meta: dict[str, Any] = {}
    for tag, key in _EXIF_TEXT.items():
        if value := _clean(exif.get(tag)):
            meta[key] = value
    details = exif.get_ifd(ExifTags.IFD.Exif)
    taken = details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime)
    if stamp := _exif_date(taken):
        meta["created"] = stamp  # when taken: the pipeline dates documents by "created"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef))
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef))
    if lat is not None and lon is not None and (lat, lon) != (0.0, 0.0):  # 0,0: unset
        meta["gps_latitude"], meta["gps_longitude"] = lat, lon
    return meta


def image_metadata(img: Image.Image) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "width": img.width,
        "height": img.height,
        "format": img.format,
        "mode": img.mode,
    }
    frames = getattr(img, "n_frames", 1)
    if frames > 1:
        meta["frames"] = frames  # multi-page TIFF, animated GIF
    if isinstance(dpi := img.info.get("dpi"), tuple) and len(dpi) == 2:
        meta["dpi"] = [round(float(d), 2) for d in dpi]
    for key, name in _INFO_TEXT.items():
        if (value := _clean(img.info.get(key))) and name not in meta:
            meta[name] = value[:2000]
    return meta


class ImageExtractor(Extractor):
    # Not TGA, PCX or ICO: libmagic's signatures for them are weak and match random binaries.
    mimes = frozenset(
        {
            "image/jpeg",
            "image/png",
            "image/gif",
            "image/tiff",
            "image/bmp",
            "image/x-ms-bmp",
            "image/webp",
            "image/jp2",
            "image/jpx",
            "image/x-portable-pixmap",
            "image/x-portable-graymap",
            "image/x-portable-bitmap",
            "image/x-portable-anymap",
            "image/vnd.adobe.photoshop",
        }
    )
    family = "image"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        # Pillow reports damaged headers as Python warnings: keep them with the result.
        with py_warnings.catch_warnings(record=True) as caught:
            py_warnings.simplefilter("always")
            with library_errors("image"), _headers_only(), Image.open(ctx.path) as img:
                meta = image_metadata(img)
                meta.update(exif_metadata(img))
        warnings = list(dict.fromkeys(str(w.message) for w in caught))[:20]
        # A multi-page TIFF is a scanned document: one page per frame. Other formats' frames
        # are an animation, whose first frame stands for it.
        paged = meta.get("format") == "TIFF" and meta.get("frames", 1) > 1
        pages = [""] * meta["frames"] if paged else None
        problem = size_problem(meta["width"], meta["height"])
        if problem:
            meta["ocr_skipped"] = {"1": problem}
        else:
            meta["ocr"] = "pending"
            meta["pages_needing_ocr"] = list(range(1, len(pages) + 1)) if pages else [1]
        return ExtractionResult(
            text=None, pages=pages, title=meta.get("title"), metadata=meta, warnings=warnings
        )


class SvgExtractor(Extractor):
    mimes = frozenset({"image/svg+xml"})
    family = "image"

    def extract(self, ctx: ExtractionContext) -> ExtractionResult:
        warnings: list[str] = []
        with library_errors("SVG"):
            root = etree.parse(str(ctx.path), _XML_PARSER).getroot()
        texts = []
        for el in root.iter():
            name = el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""
            if name in _SVG_TEXT and (value := " ".join("".join(el.itertext()).split())):
                texts.append(value)
        meta = {k: v for k in ("width", "height") if (v := (root.get(k) or "").strip())}
        meta["format"] = "SVG"
        title_el = next(root.iter("{*}title"), None)
        title = " ".join("".join(title_el.itertext()).split()) if title_el is not None else None
        return ExtractionResult(
            text=clip_text("\n".join(texts), ctx.limits, warnings),
            title=title or None,
            metadata=meta,
            warnings=warnings,
        )
