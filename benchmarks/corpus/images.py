"""Raster output with Pillow: scanned pages, flyers, screenshots, photos, logos, thumbnails.

Text is drawn with Pillow's bundled default font (FreeType) through a per-word glyph cache:
each distinct word is rendered once and then pasted, which is ~10x faster than calling
``ImageDraw.text`` per line. Noise comes from the seeded RNG (never Pillow's own noise), so
the pixels, and with the same Pillow/libjpeg/zlib the encoded bytes, are reproducible.
"""

from __future__ import annotations

import io
import random
from collections.abc import Sequence
from functools import lru_cache

from PIL import Image, ImageChops, ImageDraw, ImageFont

_WORDS: dict[tuple[str, int], Image.Image] = {}
_WORD_CACHE_MAX = 30000


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _word(word: str, size: int) -> Image.Image:
    key = (word, size)
    img = _WORDS.get(key)
    if img is None:
        if len(_WORDS) > _WORD_CACHE_MAX:
            _WORDS.clear()
        f = font(size)
        right = int(f.getlength(word)) + 2
        img = Image.new("L", (max(right, 1), int(size * 1.35)), 0)
        ImageDraw.Draw(img).text((0, 0), word, font=f, fill=255)
        _WORDS[key] = img
    return img


def draw_lines(img: Image.Image, lines: Sequence[str], x0: int, y0: int, size: int,
               ink: int | tuple[int, int, int] = 0, max_x: int | None = None) -> int:
    """Paste word-wrapped ``lines`` at (x0, y0); returns the y after the last line."""
    limit = max_x or img.size[0] - x0
    space, step = max(3, size // 3), int(size * 1.45)
    y = y0
    for line in lines:
        x = x0
        for w in line.split(" "):
            if not w:
                continue
            m = _word(w, size)
            if x + m.size[0] > limit and x > x0:
                x, y = x0, y + step
            img.paste(ink, (x, y), m)
            x += m.size[0] + space
        y += step
        if y > img.size[1] - step:
            break
    return y


@lru_cache(maxsize=8)
def _speckle(size: tuple[int, int]) -> Image.Image:
    """Scanner dirt: sparse grey specks. One fixed pattern per page size (cheap, stable)."""
    rng = random.Random(f"speckle:{size}")
    noise = Image.frombytes("L", size, rng.randbytes(size[0] * size[1]))
    return noise.point(lambda v: 110 if v < 2 else 255)


@lru_cache(maxsize=8)
def _grain(size: tuple[int, int]) -> Image.Image:
    """Sensor grain for photos, one fixed pattern per size."""
    rng = random.Random(f"grain:{size}")
    return Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))


def scan_page(rng: random.Random, lines: Sequence[str], width: int = 1275,
              height: int = 1650, quality: int = 55) -> tuple[bytes, int, int]:
    """A grayscale 'scanned' letter page (150 dpi) as JPEG, with speckles and slight skew."""
    img = Image.new("L", (width, height), 255)
    draw_lines(img, lines, width // 12, height // 14, 22, 0, width - width // 12)
    img = ImageChops.darker(img, _speckle(img.size))
    if rng.random() < 0.3:
        img = img.rotate(rng.uniform(-1.2, 1.2), resample=Image.Resampling.NEAREST,
                         fillcolor=235)
    return jpeg(img, quality), width, height


def jpeg(img: Image.Image, quality: int = 75) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def _color(rng: random.Random, lo: int = 0, hi: int = 255) -> tuple[int, int, int]:
    return (rng.randrange(lo, hi), rng.randrange(lo, hi), rng.randrange(lo, hi))


def flyer(rng: random.Random, heading: str, lines: Sequence[str]) -> Image.Image:
    """A BOLO / event flyer: coloured banner, big heading, body text."""
    w, h = rng.choice(((1100, 1400), (850, 1100), (1200, 900)))
    img = Image.new("RGB", (w, h), (255, 255, 255))
    banner = _color(rng, 0, 140)
    ImageDraw.Draw(img).rectangle((0, 0, w, h // 8), fill=banner)
    draw_lines(img, [heading.upper()], 40, h // 40, 44, (255, 255, 255), w - 40)
    photo = photo_image(rng, (w // 3, h // 4), caption="")
    img.paste(photo, (w - w // 3 - 40, h // 8 + 40))
    draw_lines(img, lines, 40, h // 8 + 40, 26, (20, 20, 20), w - w // 3 - 60)
    return img


def cover(rng: random.Random, title: str, agency: str) -> Image.Image:
    """A small document preview: coloured band, title words, agency line."""
    img = Image.new("RGB", (160, 208), (250, 250, 250))
    ImageDraw.Draw(img).rectangle((0, 0, 160, 36), fill=_color(rng, 0, 140))
    draw_lines(img, [title], 8, 44, 14, (20, 20, 20), 152)
    draw_lines(img, [agency], 8, 180, 10, (90, 90, 90), 152)
    return img


def screenshot(rng: random.Random, handle: str, lines: Sequence[str]) -> Image.Image:
    """A social-media-post style screenshot: light background, handle, post text."""
    w = rng.choice((720, 828, 1080))
    h = 260 + 44 * len(lines)
    img = Image.new("RGB", (w, h), (245, 248, 250))
    d = ImageDraw.Draw(img)
    d.ellipse((30, 30, 110, 110), fill=_color(rng, 60, 200))
    draw_lines(img, [handle], 130, 50, 28, (15, 20, 25))
    draw_lines(img, lines, 30, 140, 26, (15, 20, 25), w - 30)
    return img


def photo_image(rng: random.Random, size: tuple[int, int], caption: str) -> Image.Image:
    """A 'surveillance photo': blurred colour noise, blocks, and a timestamp caption."""
    small = (max(4, size[0] // 24), max(4, size[1] // 24))
    base = Image.frombytes("RGB", small, rng.randbytes(small[0] * small[1] * 3))
    mid = base.resize((size[0] // 4, size[1] // 4), Image.Resampling.BILINEAR)
    img = mid.resize(size, Image.Resampling.NEAREST)
    d = ImageDraw.Draw(img)
    for _ in range(rng.randrange(2, 6)):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        d.rectangle((x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 120)),
                    fill=_color(rng))
    img = Image.blend(img, _grain(size), 0.18)
    if caption:
        bar = max(28, size[1] // 14)
        d = ImageDraw.Draw(img)
        d.rectangle((0, size[1] - bar, size[0], size[1]), fill=(0, 0, 0))
        draw_lines(img, [caption], 10, size[1] - bar + 3, max(16, bar - 12), (255, 255, 0))
    return img


def logo(rng: random.Random, label: str) -> tuple[bytes, int, int]:
    """A small agency seal as an RGB JPEG (embedded in text PDFs)."""
    img = Image.new("RGB", (160, 160), (255, 255, 255))
    d = ImageDraw.Draw(img)
    d.ellipse((4, 4, 156, 156), fill=_color(rng, 0, 120), outline=(200, 170, 60), width=6)
    draw_lines(img, [label.upper()[:8]], 22, 64, 26, (255, 255, 255), 150)
    return jpeg(img, 85), 160, 160


def thumbnail(img: Image.Image, width: int = 200) -> Image.Image:
    h = max(1, img.size[1] * width // img.size[0])
    return img.resize((width, h), Image.Resampling.BILINEAR, reducing_gap=2.0)
