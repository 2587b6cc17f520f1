"""OCR with Tesseract: one page image in, its text, mean word confidence and orientation out.

Why it is shaped this way
-------------------------
* The `tesseract` command, not a binding: Debian's `tesseract-ocr` is all it needs, a page
  that hangs or eats memory is a child process the worker kills on its time limit, and the
  threading is ours to set (the worker sets OMP_THREAD_LIMIT=1; measured here, Tesseract's own
  threads made a page 5x slower when every core already runs a worker).
* One invocation per page: the image goes in as PGM (a header and the raw gray bytes, nothing
  to encode) and TSV comes out on stdout: words with their boxes and confidences, from which
  the text, the mean confidence and the reading direction follow.
* Pages are read with Tesseract's default layout analysis (`--psm 3`), which already reads
  pages turned by 270 degrees. Pages turned by 90 or 180 degrees come out with a low mean
  confidence (30-50, against 80-95 upright) and are read again with orientation detection
  (`--psm 1`); always on, it cost ~10% more CPU on every page, and a separate `--psm 0` pass
  ~0.7 s a page. A page where almost no words are found is read again as sparse text
  (`SPARSE_RETRY_WORDS`). So ordinary pages take one Tesseract run each.
* Small skews (a page fed askew into a scanner) are handled by Tesseract's layout analysis
  up to a degree or two; beyond that its lines break up (a 10-degree scan of the ICIJ corpus
  comes out empty), so the skew is measured first (`estimate_skew`, ~30 ms on a downscaled
  copy) and straightened.
* Results are cached by the hash of the page image, the languages and the engine version
  (`OcrCache`, under the blob store): an identical scan, in another file or another run,
  is read once. Workers may write there: entries are written whole then renamed.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import re
import subprocess
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageStat

DEFAULT_LANGUAGES = "eng+fra"
# Part of every cache key: change it when what is fed to Tesseract or read from it changes,
# so that old results are not reused for a different recipe.
RECIPE = "trawl-ocr-1"
RENDER_DPI = 300            # PDF pages are rendered at this resolution (Tesseract's sweet spot)
MIN_SIDE_PX = 12            # an image smaller than this on a side holds no readable text
MIN_PIXELS = 2_500          # nor does one of fewer pixels than 50x50 (icons, spacer GIFs)
MAX_PIXELS = 64_000_000     # Tesseract's time and memory grow with pixels: 64 MP is ~8 pages
MAX_SIDE_PX = 32_767        # Tesseract refuses images larger than this on a side
MIN_RENDER_DPI = 72         # a PDF page that only fits MAX_PIXELS below this is not OCR'd
DESKEW_MIN_DEGREES = 1.5    # Tesseract copes with less; straightening blurs a little
DESKEW_MAX_DEGREES = 15
DESKEW_MIN_GAIN = 1.5       # how much sharper the text lines must get to trust the angle
# A page where the page layout analysis finds fewer words than this is read again as sparse
# text (--psm 12): charts, forms, maps and photos of signs, where the layout analysis takes
# the text for pictures (a police annual report's chart page: 7 words, then 40). Such pages
# are quick to read; pages of running text never pay for it.
SPARSE_RETRY_WORDS = 20
# A page read with a mean word confidence below this is read again with orientation detection
# (--psm 1), which costs ~10% more on every page when always on: only pages turned by 90 or
# 180 degrees, or poor scans, pay for it.
REREAD_BELOW_CONFIDENCE = 65.0
_LANGUAGES_RE = re.compile(r"^[A-Za-z_]{3,}(\+[A-Za-z_]{3,})*$")


class OcrError(Exception):
    """Tesseract could not read this page (timed out, crashed): recorded on the page, with
    its failure code (trawl.errors.CODES: "tool", or "timeout" for its time limit)."""

    def __init__(self, message: str, code: str = "tool") -> None:
        super().__init__(message)
        self.code = code


class OcrUnavailable(ValueError):
    """Tesseract, or a language asked for, is not installed."""


@dataclass
class OcrSettings:
    """The OCR settings of a dataset, handed to the workers through `WorkerConfig`."""

    enabled: bool = True
    languages: str = DEFAULT_LANGUAGES
    page_timeout_s: float = 120.0   # one page; a normal 300-dpi page takes 2-3 s on one core


@dataclass
class OcrResult:
    text: str
    confidence: float | None        # mean word confidence, 0-100; None when no word was read
    words: int = 0
    rotation: int = 0               # degrees clockwise the page must turn to be read
    skew: float = 0.0               # degrees it was straightened by before reading
    seconds: float = 0.0            # time to read it (as stored: also when from the cache)
    cached: bool = False

    def to_json(self) -> bytes:
        data = asdict(self)
        data.pop("cached")
        return json.dumps(data).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> OcrResult:
        return cls(**json.loads(raw), cached=True)


# -- is a text layer good enough? ---------------------------------------------------------------
_EDGE_PUNCTUATION = "\"'()[]{}<>.,;:!?«»“”‘’-–—/*•·"
_BAD_CHAR_CATEGORIES = {"Co", "Cn", "Cc", "Cs"}  # private use, unassigned, control, surrogate
_NUMBER_CHARS = set("0123456789.,:/-+$€£%#()")


def _is_real_word(token: str) -> bool:
    word = token.strip(_EDGE_PUNCTUATION)
    return len(word) >= 2 and sum(c.isalpha() for c in word) >= 0.8 * len(word)


def _is_plausible(token: str) -> bool:
    """A word, a number, an amount or a date, or a short mark (a bullet, a dash): what a
    real text layer is made of. Junk is the rest: letters and symbols mixed ("g#k@f")."""
    core = token.strip(_EDGE_PUNCTUATION)
    if not core:
        return len(token) <= 3
    if sum(c.isalpha() for c in core) >= 0.8 * len(core):
        return True
    return any(c.isdigit() for c in core) and all(c in _NUMBER_CHARS for c in core)


def text_layer_problem(text: str, area_sq_in: float,
                       image_coverage: Callable[[], float]) -> str | None:
    """Why a page's text layer cannot stand for the page (so OCR must read it), or None.

    `area_sq_in` is the page's area in square inches; `image_coverage()` gives the share of it
    that images cover (0-1), asked only for pages with few words (it walks the page's
    content). The rules, and why:
    * no text at all: a scan, or text drawn as shapes (the caller rules out blank pages);
    * many unmapped glyphs (U+FFFD, private-use code points): fonts without a Unicode map,
      whose "text" is unsearchable junk;
    * mostly tokens that are neither words nor numbers: a broken encoding, a bad OCR layer;
    * too few real words for a page that is mostly picture: a scan whose only text layer is
      a stamp (a Bates number, "Page 3 of 9") or a caption.
    """
    stripped = text.strip()
    if not stripped:
        return "no text layer"
    chars = [c for c in stripped if not c.isspace()]
    bad = sum(1 for c in chars if c == "\ufffd" or unicodedata.category(c) in
              _BAD_CHAR_CATEGORIES)
    if len(chars) >= 20 and bad > 0.1 * len(chars):
        return "unmapped glyphs in the text layer"
    tokens = stripped.split()
    if len(tokens) >= 20 and sum(map(_is_plausible, tokens)) < 0.5 * len(tokens):
        return "text layer is mostly not words"
    words = sum(1 for t in tokens if _is_real_word(t))
    # A typed page holds 3-6 words per square inch; a letter page with fewer than ~23 words
    # (0.25 per square inch) that is mostly an image is a scan with a stamp on it.
    if words < max(8.0, 0.25 * area_sq_in) and image_coverage() >= 0.5:
        return "few words on a page that is mostly an image"
    return None


def replaces_text_layer(reason: str) -> bool:
    """Whether OCR text replaces the page's text (junk) or is added to it (stamps, form
    values and comments of a page without a text layer are kept)."""
    return reason in ("unmapped glyphs in the text layer", "text layer is mostly not words")


def size_problem(width: int, height: int) -> str | None:
    """Why an image of this size is not worth OCR (or not possible), or None."""
    if min(width, height) < MIN_SIDE_PX or width * height < MIN_PIXELS:
        return f"too small to hold text ({width}x{height} px)"
    if max(width, height) > MAX_SIDE_PX or width * height > MAX_PIXELS:
        return (f"too large to OCR ({width}x{height} px; the limit is "
                f"{MAX_PIXELS // 1_000_000} megapixels, {MAX_SIDE_PX} px a side)")
    return None


def render_dpi(width_pt: float, height_pt: float) -> int | None:
    """The resolution to render a PDF page at: RENDER_DPI, less for a page so big that it
    would pass MAX_PIXELS; None when even MIN_RENDER_DPI is too much (a huge poster)."""
    area = max(width_pt, 1.0) * max(height_pt, 1.0) / 72 / 72
    dpi = min(RENDER_DPI, int(math.sqrt(MAX_PIXELS / area)))
    dpi = min(dpi, int(MAX_SIDE_PX * 72 / max(width_pt, height_pt, 1.0)))
    return dpi if dpi >= MIN_RENDER_DPI else None


# -- images -------------------------------------------------------------------------------------
def to_gray(img: Image.Image) -> Image.Image:
    """An 8-bit grayscale copy, transparency flattened on white (a transparent PNG's
    background is black in its colour channels: read as is, the page is black on black)."""
    if img.mode == "F":
        return img.convert("L")
    if img.mode.startswith("I"):
        # 16- and 32-bit scans: scaled to 8 bits rather than clipped at 255 (all white).
        wide = img.convert("I")
        top = wide.getextrema()[1]
        return wide.point(lambda v: v * (255 / top)).convert("L") if top > 255 \
            else wide.convert("L")
    if (img.mode == "P" and "transparency" in img.info) or img.mode in ("RGBA", "LA", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        background.alpha_composite(rgba)
        return background.convert("L")
    return img.convert("L") if img.mode != "L" else img


def _line_sharpness(ink: Image.Image) -> float:
    """Variance of the row sums of ink: high when text lines run along the rows."""
    return ImageStat.Stat(ink.resize((1, ink.height), Image.Resampling.BOX)).var[0]


def estimate_skew(gray: Image.Image) -> float:
    """The angle (degrees, counter-clockwise) that makes the text lines horizontal, by the
    projection-profile method: the row sums of a page are most contrasted when its lines
    are level. Done on a ~500-pixel copy, on the page and on the page turned by 90 degrees
    (pages scanned sideways are skewed too). 0 when no angle is clearly better, and for what
    is not a page of text: a photograph (mostly mid-tones), a tiny image."""
    small = gray.reduce(max(1, -(-max(gray.size) // 500)))  # integer box filter: fast
    if min(small.size) < 64:
        return 0.0
    histogram = small.histogram()
    pixels = small.width * small.height
    if sum(histogram[64:192]) > 0.3 * pixels:
        return 0.0
    if sum(histogram[:128]) > 0.5 * pixels:  # light text on a dark background
        ink = small.point(lambda v: 255 if v > 96 else 0)
    else:
        ink = small.point(lambda v: 255 if v < 160 else 0)
    best_angle, best_score, level_score = 0.0, 0.0, 0.0
    for turned in (ink, ink.transpose(Image.Transpose.ROTATE_90)):
        scores: dict[float, float] = {}

        def score(angle: float, image: Image.Image = turned, seen: dict = scores) -> float:
            if angle not in seen:
                seen[angle] = _line_sharpness(image.rotate(
                    angle, resample=Image.Resampling.NEAREST, expand=True, fillcolor=0))
            return seen[angle]

        coarse = max(range(-DESKEW_MAX_DEGREES, DESKEW_MAX_DEGREES + 1), key=score)
        fine = max((coarse + step / 4 for step in range(-3, 4)), key=score)
        if scores[fine] > best_score:
            best_angle, best_score, level_score = fine, scores[fine], score(0)
    if not DESKEW_MIN_DEGREES <= abs(best_angle) <= DESKEW_MAX_DEGREES - 0.5:
        return 0.0  # level enough; or the best is the end of the range, not a peak
    if best_score < DESKEW_MIN_GAIN * level_score:
        return 0.0
    return best_angle


def pgm(gray: Image.Image) -> bytes:
    """The image as binary PGM: what Tesseract reads fastest (nothing to decode)."""
    return b"P5\n%d %d\n255\n" % gray.size + gray.tobytes()


# -- Tesseract ----------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def tesseract_info() -> tuple[str, frozenset[str]]:
    """Tesseract's version line and installed languages; OcrUnavailable when absent."""
    try:
        version = subprocess.run(["tesseract", "--version"], capture_output=True, text=True,
                                 timeout=30, check=False)
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True,
                               timeout=30, check=False)
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        raise OcrUnavailable("tesseract is not installed (Debian: apt-get install "
                             "tesseract-ocr tesseract-ocr-eng tesseract-ocr-fra)") from exc
    first = (version.stdout or version.stderr).strip().splitlines()
    installed = {line.strip() for line in langs.stdout.splitlines()[1:] if line.strip()}
    return (first[0] if first else "tesseract"), frozenset(installed)


def check_languages(languages: str) -> str:
    """`languages` ('eng+fra') if Tesseract has each of them; OcrUnavailable otherwise."""
    languages = (languages or "").strip()
    if not _LANGUAGES_RE.match(languages):
        raise OcrUnavailable(f"OCR languages are Tesseract codes joined by '+', like "
                             f"'eng+fra', not {languages[:60]!r}")
    _, installed = tesseract_info()
    missing = [lang for lang in languages.split("+") if lang not in installed]
    if missing:
        raise OcrUnavailable(
            f"OCR language {'+'.join(missing)!r} is not installed for Tesseract "
            f"(installed: {', '.join(sorted(installed - {'osd'})) or 'none'}; on Debian "
            f"install tesseract-ocr-{missing[0]})")
    return languages


def run_tesseract(image: Path, languages: str, timeout_s: float, dpi: int | None,
                  psm: int = 3) -> str:
    """Tesseract's TSV for one image file, with page segmentation mode `psm`."""
    args = ["tesseract", str(image), "stdout", "-l", languages, "--psm", str(psm)]
    if dpi:
        args += ["--dpi", str(dpi)]
    args.append("tsv")
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(args, capture_output=True, timeout=timeout_s, check=False,
                              env=env)
    except subprocess.TimeoutExpired as exc:
        raise OcrError(f"tesseract timed out after {timeout_s:.0f} s "
                       "(the per-page time limit)", code="timeout") from exc
    except FileNotFoundError as exc:
        raise OcrError("tesseract is not installed") from exc
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip()[-300:]
        raise OcrError(f"tesseract exited with {done.returncode}: {err}")
    return done.stdout.decode("utf-8", "replace")


# Tesseract reads hyphenated line ends as they are printed: "dan-\ngerous". Joined, as the PDF
# extractor does, so that search finds the word (a capital after the break keeps the hyphen).
_HYPHENATED = re.compile(r"([^\W\d_])-\n([^\W\d_])")
# Specks of a photo or a margin read as "|", "~", "=": symbols alone, read with low confidence.
_SYMBOLS_ONLY = re.compile(r"^[^\w]+$")


@dataclass
class _Word:
    text: str
    conf: float
    x: float
    y: float


@dataclass
class _Line:
    key: tuple[int, int, int]
    words: list[_Word] = field(default_factory=list)


def parse_tsv(tsv: str) -> OcrResult:
    """Text (lines, and paragraphs separated by a blank line), mean word confidence, and
    the reading direction, from Tesseract's TSV output."""
    lines: list[_Line] = []
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        text = cols[11].strip()
        try:
            conf = float(cols[10])
            left, top, width, height = (int(c) for c in cols[6:10])
        except ValueError:
            continue
        if not text or (conf < 50 and _SYMBOLS_ONLY.match(text)):
            continue
        key = (int(cols[2]), int(cols[3]), int(cols[4]))
        if not lines or lines[-1].key != key:
            lines.append(_Line(key))
        lines[-1].words.append(_Word(text, conf, left + width / 2, top + height / 2))
    parts: list[str] = []
    for i, line in enumerate(lines):
        if i and line.key[:2] != lines[i - 1].key[:2]:
            parts.append("")  # a new paragraph or block
        parts.append(" ".join(w.text for w in line.words))
    text = _HYPHENATED.sub(lambda m: m[1] + m[2] if m[2].islower() else m[0], "\n".join(parts))
    confs = [w.conf for line in lines for w in line.words if w.conf >= 0]
    return OcrResult(text=text, confidence=round(sum(confs) / len(confs), 1) if confs else None,
                     words=len(confs), rotation=_reading_rotation(lines))


def _reading_rotation(lines: list[_Line]) -> int:
    """How the page was turned, from the direction words follow each other in a line
    (boxes are in the coordinates of the image as given): left to right is upright, right
    to left is upside down, upwards means it must turn 90 degrees clockwise to be read."""
    dx = dy = 0.0
    for line in lines:
        if len(line.words) >= 2:
            first, last = line.words[0], line.words[-1]
            dx += last.x - first.x
            dy += last.y - first.y
    if abs(dx) >= abs(dy):
        return 180 if dx < 0 else 0
    return 90 if dy < 0 else 270


# -- the cache ----------------------------------------------------------------------------------
class OcrCache:
    """OCR results under `<blobs>/ocr/`, named by the hash of what was read and how.

    Not content-addressed like the other blobs (the name is the hash of the input, not of the
    entry), hence its own folder; written the same way: whole, in tmp/, then renamed."""

    def __init__(self, blob_dir: Path) -> None:
        self.root = Path(blob_dir) / "ocr"
        self.tmp_dir = Path(blob_dir) / "tmp"
        self.tmp_dir.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / key[2:4] / key

    def get(self, key: str) -> OcrResult | None:
        try:
            return OcrResult.from_json(gzip.decompress(self.path(key).read_bytes()))
        except (OSError, ValueError, TypeError, EOFError):  # absent, or damaged: read again
            return None

    def put(self, key: str, result: OcrResult) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.tmp_dir)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(gzip.compress(result.to_json(), mtime=0))
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    # Two workers may meet the same image at once (the same cover sheet on two pages of a
    # PDF): the first claims it, the second waits for its result instead of reading it too.
    def claim(self, key: str, stale_after_s: float) -> bool:
        """True when this process should OCR the image (it now holds the claim)."""
        marker = self.root / "claims" / key
        marker.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return True
        except FileExistsError:
            try:
                age = time.time() - marker.stat().st_mtime
            except FileNotFoundError:
                return self.claim(key, stale_after_s)
            if age > stale_after_s:  # its holder died (a kill, a crash): take it over
                marker.touch()
                return True
            return False

    def release(self, key: str) -> None:
        (self.root / "claims" / key).unlink(missing_ok=True)

    def wait_for(self, key: str, timeout_s: float) -> OcrResult | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.get(key)
            if found is not None:
                return found
            if not (self.root / "claims" / key).exists():
                return self.get(key)  # released: done, or given up (then read it here)
            time.sleep(0.1)
        return None


class OcrEngine:
    """Reads page images with Tesseract, through the cache. One per worker process."""

    def __init__(self, blob_dir: Path, settings: OcrSettings,
                 tmp_dir: Path | None = None) -> None:
        self.settings = settings
        self.cache = OcrCache(blob_dir)
        self.tmp_dir = Path(tmp_dir) if tmp_dir else self.cache.tmp_dir
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        version, installed = tesseract_info()
        self.version = version
        self.with_osd = "osd" in installed  # without it, --psm 1 fails: plain layout then

    def cache_key(self, gray: Image.Image, dpi: int | None) -> str:
        digest = hashlib.sha256()
        head = f"{RECIPE}\0{self.version}\0{self.settings.languages}\0{self.with_osd}\0" \
               f"{gray.width}x{gray.height}@{dpi or 0}\0"
        digest.update(head.encode())
        digest.update(gray.tobytes())
        return digest.hexdigest()

    def read(self, gray: Image.Image, dpi: int | None) -> OcrResult:
        """OCR one grayscale page image (from the cache when this exact image was read)."""
        key = self.cache_key(gray, dpi)
        found = self.cache.get(key)
        if found is not None:
            return found
        timeout = self.settings.page_timeout_s
        if not self.cache.claim(key, stale_after_s=timeout + 60):
            found = self.cache.wait_for(key, timeout + 30)
            if found is not None:
                return found
        try:
            result = self._read(gray, dpi)
            self.cache.put(key, result)
        finally:
            self.cache.release(key)
        return result

    def _read(self, gray: Image.Image, dpi: int | None) -> OcrResult:
        started = time.monotonic()
        skew = estimate_skew(gray)
        if skew:
            gray = gray.rotate(skew, resample=Image.Resampling.BICUBIC, expand=True,
                               fillcolor=255)
        deadline = started + self.settings.page_timeout_s
        # A file, not stdin: Tesseract reads stdin slowly (~0.1 s of CPU a page, measured).
        with tempfile.NamedTemporaryFile(dir=self.tmp_dir, suffix=".pgm") as image:
            image.write(pgm(gray))
            image.flush()
            result = self._passes(Path(image.name), dpi, deadline)
        result.skew = round(skew, 2)
        result.seconds = round(time.monotonic() - started, 3)
        return result

    def _passes(self, image: Path, dpi: int | None, deadline: float) -> OcrResult:
        def read(psm: int) -> OcrResult:
            left = max(deadline - time.monotonic(), 0.001)
            return parse_tsv(run_tesseract(image, self.settings.languages, left, dpi, psm))

        result = read(3)
        # Read with low confidence: turned 90 or 180 degrees (upright and 270 read at 80-95,
        # those at 30-50), or just a poor scan. Read again with orientation detection.
        if result.words >= 3 and (result.confidence or 0) < REREAD_BELOW_CONFIDENCE \
                and self.with_osd and deadline - time.monotonic() > 5:
            turned = read(1)
            if (turned.confidence or 0) > (result.confidence or 0):
                result = turned
        if result.words < SPARSE_RETRY_WORDS and deadline - time.monotonic() > 5:
            sparse = read(12 if self.with_osd else 11)
            if sparse.words > result.words:
                result = sparse
        return result
