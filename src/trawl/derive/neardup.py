"""Near-duplicates, the pure part: a text's word shingles, its MinHash signature, the LSH
band keys that find its candidates, and the similarity of two signatures.

* **Shingles**: the text is folded (case, accents) into words of letters and digits, and
  every run of `SHINGLE_WORDS` consecutive words is one shingle. Five words: long enough
  that two bulletins on one topic, sharing a vocabulary, share few shingles; short enough
  that a changed header, a new date stamp or one rewritten paragraph leave most of them.
  Punctuation, line breaks and page layout are not words, so a PDF, its re-saved copy, a
  DOCX of the same text and an OCR'd scan give the same shingles where their words agree.
  Digits are words: a re-dated copy differs by its dates only.
* **Signatures**: `NUM_PERM` minima of hashed shingles (rensa's RMinHash, in Rust;
  benchmarks/neardup_bench.py measured it against datasketch: docs/architecture.md). The
  fraction of equal minima estimates the Jaccard similarity of two shingle sets, with a
  standard error of sqrt(J(1-J)/NUM_PERM): 0.025 at J = 0.8 with 256.
* **Bands**: the signature cut in `BANDS` bands of `ROWS` values; two texts sharing one
  band's values are candidates. With 32 bands of 8, a pair at J = 0.8 is a candidate with
  probability 1-(1-0.8^8)^32 = 0.997, at 0.5 with 0.12, at 0.3 with 0.002: candidates are
  few, and each is verified on the whole signature against the threshold. A band key is a
  signed 64-bit hash of the band's number and values, so that the store keeps bands as
  integer rows on one index (storage/neardup.py).
* **Pages**: a document with several pages also gets a signature per page, so that a
  bulletin re-posted inside a bigger PDF is found by its pages.

Texts with fewer than `MIN_SHINGLES` shingles (a stub, an empty scan) get no signature: a
few words in common say nothing about a copy.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from array import array
from dataclasses import dataclass
from itertools import accumulate

from rensa import RMinHash

# Bump when shingling, hashing or banding change: every document is read again.
VERSION = 1
SHINGLE_WORDS = 5
NUM_PERM = 256
BANDS = 32
ROWS = NUM_PERM // BANDS
SEED = 15
MIN_SHINGLES = 12
DEFAULT_THRESHOLD = 0.8
PAGE_BREAK = "\f"
# Pages read at most per document: a 2,000-page report is matched by its first ones.
MAX_PAGES = 500

_WORD = re.compile(r"\w+")
# The combining marks NFKD leaves of accented letters (Latin, Greek, Cyrillic).
_COMBINING = re.compile("[\u0300-\u036f]")


@dataclass(frozen=True, slots=True)
class Signature:
    """A text's MinHash: `NUM_PERM` unsigned 32-bit minima, and its shingle count."""

    values: array
    shingles: int

    def to_bytes(self) -> bytes:
        return self.values.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes, shingles: int = 0) -> Signature:
        values = array("I")
        values.frombytes(data)
        return cls(values, shingles)


@dataclass(frozen=True, slots=True)
class TextSignatures:
    """A document's signature (None: too little text) and its pages' (page number from 1,
    only for a document of several pages, only pages with enough text)."""

    whole: Signature | None
    pages: list[tuple[int, Signature]]


def words(text: str) -> list[str]:
    """The text's words, folded: lower case, accents off (é and e are one letter)."""
    folded = text.casefold()
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    return _WORD.findall(folded)


def shingles(text: str) -> list[str]:
    """The runs of `SHINGLE_WORDS` words of the text (all its words as one shingle when it
    has fewer), repeats included: a MinHash of a list is that of its set."""
    ws = words(text)
    if len(ws) <= SHINGLE_WORDS:
        return [" ".join(ws)] if ws else []
    joined = " ".join(ws)
    # Slices of the joined words, cheaper than joining five words a million times.
    starts = list(accumulate((len(w) + 1 for w in ws), initial=0))
    return [joined[starts[i]:starts[i + SHINGLE_WORDS] - 1]
            for i in range(len(ws) - SHINGLE_WORDS + 1)]


def signature_of(grams: list[str]) -> Signature | None:
    """The MinHash of a list of shingles, or None when there are too few to say anything
    (fewer than `MIN_SHINGLES`, repeats counted once)."""
    if len(grams) < MIN_SHINGLES or len(set(grams)) < MIN_SHINGLES:
        return None
    minhash = RMinHash(NUM_PERM, SEED)
    minhash.update(grams)
    return Signature(array("I", minhash.digest()), len(grams))


def signatures(text: str) -> TextSignatures:
    """The signature of a document's text (pages separated by form feeds, as the blob store
    keeps them) and, when it has several pages, of each page."""
    pages = text.split(PAGE_BREAK)[:MAX_PAGES] if PAGE_BREAK in text else [text]
    per_page = [shingles(page) for page in pages]
    whole = signature_of([g for grams in per_page for g in grams]) \
        if len(pages) > 1 else signature_of(per_page[0])
    if len(pages) == 1:
        return TextSignatures(whole, [])
    paged = [(n, sig) for n, grams in enumerate(per_page, 1)
             if (sig := signature_of(grams)) is not None]
    return TextSignatures(whole, paged)


def band_keys(sig: Signature) -> list[int]:
    """One key per band: a signed 64-bit hash of the band's number and its values."""
    data = sig.values.tobytes()
    width = ROWS * sig.values.itemsize
    return [int.from_bytes(hashlib.blake2b(bytes([band]) + data[band * width:(band + 1) * width],
                                           digest_size=8).digest(), "little", signed=True)
            for band in range(BANDS)]


def similarity(a: Signature, b: Signature) -> float:
    """The estimated Jaccard similarity of the two texts: the fraction of equal minima."""
    return sum(x == y for x, y in zip(a.values, b.values, strict=True)) / NUM_PERM


def check_threshold(value: float) -> float:
    """A similarity threshold, between 0.5 (below, candidates from the bands get rare: see
    the module's docstring) and 1."""
    from trawl.errors import BadRequest

    if not 0.5 <= value <= 1.0:
        raise BadRequest(f"a near-duplicate threshold is between 0.5 and 1, not {value}")
    return value
