"""Text as a reader sees it: the view of a text that redaction's detectors run on.

A value can hide from a pattern in ways a reader sees through:

* encodings: percent-encoding in a URL or a form answer (``%28212%29+555-0183``, ``%40``,
  ``%2B1%20212``, encoded twice ``%2528``), HTML character references (``&#40;212&#41;``,
  ``&lt;``, ``&amp;#64;``), quoted-printable soft line breaks (``=`` at a line's end) and
  ``=XX`` escapes;
* typography: dashes and minus signs (``555‑0183`` with a non-breaking hyphen), thin and
  other spaces, zero-width characters and soft hyphens, fullwidth digits and signs;
* page furniture: a page break and the running footer or header beside it (``(602)`` /
  ``Page 1 of 8`` / ``555-0143``), which a reader skips without a thought.

`reader_view` builds a decoded copy of the text (`View.text`) that remembers where every
stretch of it came from; `View.pieces` maps a match in the copy back to the stretches of the
original that hold it. So a value is masked as it is written (its encoded form whole), and
what is not part of it stays where it was: a page break is never masked (the pages of a
document remain its pages), nor is a footer between two halves of a number. Footers are not
cut out of the copy (a footer can hold a phone number too): `View.joins` gives, for each page
break with furniture beside it, a short window of the text on either side joined without it,
for the detectors to see what runs across.

Speed: most text needs none of this. `reader_view` returns None, after a few substring tests,
for a text with no "%", "&", "+", form feed, quoted-printable mark or non-ASCII character;
otherwise each decoder searches for its own literal ("%", "&", "="), and only non-ASCII text
is scanned for typography. A character folded to one other (a no-break space, a dash) keeps
every offset, so it needs no stretch of its own: the view's text is simply replaced.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import unquote

COPY, ATOMIC, KEEP = 0, 1, 2  # how a stretch of the view maps to the original
# COPY: character for character. ATOMIC: decoded (a match touching it masks all of it; an
# empty one inside a match, a soft hyphen, goes with it). KEEP: a page break, never masked.
Edit = tuple[int, int, str, int]       # original start, end, what the view has, kind
Segment = tuple[int, int, int, int, int]  # view start, end, original start, end, kind

WINDOW = 160          # view characters each side of a page break the joins look at
EDGE_LINES = 4        # lines at the bottom and top of a page that can be furniture
DECODE_ROUNDS = 3     # %2528 is "(" encoded twice; more rounds than that is not a reader's

_ASCII_TRIGGERS = ("%", "&", "+", "\f", "=")
# (Each starts with its literal character, so that the search skips to it in C.)
_PERCENT_RUN = re.compile(r"%(?:25){0,2}[0-9A-Fa-f]{2}(?:%(?:25){0,2}[0-9A-Fa-f]{2})*")
_ENTITY = re.compile(
    r"&(?:amp;){0,2}(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)")
_QP_RUN = re.compile(r"=(?:\r?\n|[0-9A-F]{2}(?:=[0-9A-F]{2})*)")
_QP_ESCAPE = re.compile(r"=(?:[0-9][A-F]|[A-F][0-9A-F]|2[0-9])")
_HAS_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
TOKEN_CHARS = 200  # how far around a "+" its token (URL, form answer) is looked for
_TOKEN_REST = re.compile(rf"\S{{0,{TOKEN_CHARS}}}")
# A "+" of a form answer is a space, but not in an e-mail address's local part (jane+tag@)
# nor before an international number (phone=+1...).
_LOCAL_THEN_AT = re.compile(r"[\w.\-+]*(?:@|%40)")

# Typography a reader does not tell from ASCII, folded: dashes and minus signs to "-", other
# spaces to " ", invisible characters to nothing, fullwidth forms to ASCII.
_FOLD: dict[int, str | None] = {
    **dict.fromkeys([*range(0x2010, 0x2016), 0x2212, 0xFE58, 0xFE63, 0xFF0D], "-"),
    **dict.fromkeys([0xA0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000], " "),
    **dict.fromkeys([0xAD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF], None),
    **{c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if c != 0xFF0D},
    0x2028: "\n", 0x2029: "\n", 0xFE6B: "@"}
_INVISIBLE = re.compile("[" + "".join(chr(c) for c, v in sorted(_FOLD.items()) if v is None) + "]")
_TYPOGRAPHY = re.compile("[" + "".join(
    re.escape(chr(c)) for c in sorted(_FOLD) if c not in (0x2028, 0x2029)) + "\u2028\u2029]")


def fold(text: str) -> str:
    """`text` with its typographic dashes, spaces and fullwidth forms made ASCII."""
    return text.translate(_FOLD)


class View:
    """A decoded copy of a text, and the way back from it to the original."""

    def __init__(self, original: str, edits: list[Edit], unsure: bool = False) -> None:
        self.original = original
        self.unsure = unsure  # a decoding may have been wrong: read the original too
        segments: list[Segment] = []
        parts: list[str] = []
        view = done = 0
        for start, end, text, kind in edits:
            if start > done:
                segments.append((view, view + start - done, done, start, COPY))
                parts.append(original[done:start])
                view += start - done
            segments.append((view, view + len(text), start, end, kind))
            parts.append(text)
            view, done = view + len(text), end
        if done < len(original):
            segments.append((view, view + len(original) - done, done, len(original), COPY))
            parts.append(original[done:])
        self.text = "".join(parts)
        self._segments = segments
        self._view_starts = [s[0] for s in segments]
        self._original_starts = [s[2] for s in segments]

    def pieces(self, start: int, end: int) -> list[tuple[int, int]]:
        """The stretches of the original that hold the view's [start, end): one, unless a
        page break (never masked) lies between."""
        out: list[tuple[int, int]] = []
        split = True
        at = max(0, bisect_right(self._view_starts, start) - 1)
        while at < len(self._segments) and self._segments[at][0] <= end:
            v0, v1, o0, o1, kind = self._segments[at]
            at += 1
            if kind == KEEP:
                split = True
                continue
            if kind == COPY:
                a, b = max(start, v0), min(end, v1)
                piece = (o0 + a - v0, o0 + b - v0) if a < b else None
            elif v1 > v0:
                piece = (o0, o1) if v1 > start and v0 < end else None
            else:  # empty in the view (a soft hyphen): masked with what is around it
                piece = (o0, o1) if start < v0 < end else None
            if piece is None:
                continue
            if out and not split and out[-1][1] == piece[0]:
                out[-1] = (out[-1][0], piece[1])
            else:
                out.append(piece)
            split = False
        return out

    def to_view(self, position: int) -> int:
        """Where a position of the original (outside decoded stretches) is in the view."""
        at = max(0, bisect_right(self._original_starts, position) - 1)
        v0, v1, o0, _o1, kind = self._segments[at]
        return v0 + position - o0 if kind == COPY else (v0 if position <= o0 else v1)

    def joins(self) -> Iterator[Join]:
        """A window across each page break that has furniture beside it, without it."""
        if "\f" not in self.original:
            return
        for start, end in _furniture(self.original):
            a, b = self.to_view(start), self.to_view(end)
            left, right = max(0, a - WINDOW), min(len(self.text), b + WINDOW)
            yield Join(self.text[left:a] + "\n" + self.text[b:right], left, a, b)


@dataclass(frozen=True)
class Join:
    """The view's text before a page's furniture and after it, joined by one line break."""

    text: str
    left: int   # where text[0] is in the view
    cut: int    # the view's furniture: [cut, resume) (text[cut - left] is the line break)
    resume: int

    def crossing(self, start: int, end: int) -> list[tuple[int, int]] | None:
        """The view ranges of a match [start, end) of `text`, if it runs across the break."""
        joint = self.cut - self.left
        if not (start < joint and end > joint + 1):
            return None
        return [(self.left + start, self.cut), (self.resume, self.resume + end - joint - 1)]


def reader_view(text: str) -> View | None:
    """The text as a reader sees it, or None when that is the text itself."""
    ascii_only = text.isascii()
    if ascii_only and not any(c in text for c in _ASCII_TRIGGERS):
        return None
    edits: list[Edit] = []
    unsure = False  # a decoding may have been wrong (see View.unsure)
    if "%" in text:
        decoded, unsure = _decode_runs(text, _PERCENT_RUN, _unpercent)
        edits += decoded
    if "&" in text:
        edits += _entities(text)
    if "+" in text:
        edits += _plus(text)
    if "=" in text and _looks_quoted_printable(text):
        decoded, wrong = _decode_runs(text, _QP_RUN, _unquote_printable)
        edits += decoded
        unsure = unsure or wrong
    if "\f" in text:
        edits += _page_breaks(text)
    same_length: list[str] = []
    if not ascii_only:
        present = set(_TYPOGRAPHY.findall(text))
        same_length = sorted(c for c in present if _FOLD[ord(c)] is not None)
        if len(same_length) < len(present):  # invisible characters: they are left out
            edits += [(m.start(), m.end(), "", ATOMIC) for m in _INVISIBLE.finditer(text)]
    if not edits and not same_length:
        return None
    edits.sort()
    kept: list[Edit] = []
    for edit in edits:  # each decoder looks at other characters: overlaps are rare
        if not kept or edit[0] >= kept[-1][1]:
            kept.append(edit)
    view = View(text, kept, unsure)
    # A character folded to one other keeps every offset: the view's text is replaced
    # (str.replace, once per character present, is many times faster than translate).
    for char in same_length:
        view.text = view.text.replace(char, _FOLD[ord(char)] or "")
    return view


def _found(text: str, char: str) -> Iterator[int]:
    at = text.find(char)
    while at >= 0:
        yield at
        at = text.find(char, at + 1)


def _decode_runs(text: str, runs: re.Pattern[str], decode: Callable[[str], str]
                 ) -> tuple[list[Edit], bool]:
    """The runs of escapes of `text`, decoded; and whether one may have been wrong. Percent
    and quoted-printable decoding can hide a number: tel=4155550162 is no quoted-printable
    "=41" ("A"). Where an escape of digits touches a digit, the detectors look at the
    original too."""
    edits, unsure = [], False
    decoded: dict[str, str] = {}  # =20 and =3D come back thousands of times in a message
    for m in runs.finditer(text):
        start, end = m.span()
        run = m.group()
        if run not in decoded:
            decoded[run] = fold(decode(run))
        edits.append((start, end, decoded[run], ATOMIC))
        if not unsure and text[start + 1:start + 3].isdigit():
            unsure = text[end:end + 1].isdigit() or text[start - 1:start].isdigit()
    return edits, unsure


def _unpercent(run: str) -> str:
    for _ in range(DECODE_ROUNDS):
        run = unquote(run, errors="replace")
        if not _HAS_PERCENT.search(run):
            break
    return run


def _entities(text: str) -> list[Edit]:
    edits = []
    for m in _ENTITY.finditer(text):
        decoded = m.group()
        for _ in range(DECODE_ROUNDS):
            decoded, before = html.unescape(decoded), decoded
            if decoded == before:
                break
        if decoded != m.group():  # an unknown name (&nbsp without ";", &foo;) stays
            edits.append((m.start(), m.end(), fold(decoded), ATOMIC))
    return edits


def _plus(text: str) -> list[Edit]:
    """A "+" of a percent-encoded or form-encoded token (a URL's query) is a space."""
    if "=" not in text and "%" not in text:
        return []
    edits: list[Edit] = []
    token_end, encoded = -1, False
    for at in _found(text, "+"):
        if at >= token_end:  # a new token: the run of non-space around this "+"
            low = max(0, at - TOKEN_CHARS)
            start = max(low, *(text.rfind(c, low, at) + 1 for c in " \t\r\n"))
            token_end = _TOKEN_REST.match(text, at).end()
            token = text[start:token_end]
            encoded = "=" in token or bool(_HAS_PERCENT.search(token))
        if not encoded or _LOCAL_THEN_AT.match(text, at + 1) or (
                text[at - 1:at] == "=" and text[at + 1:at + 2].isdigit()):
            continue
        edits.append((at, at + 1, " ", ATOMIC))
    return edits


def _looks_quoted_printable(text: str) -> bool:
    """A soft line break, an encoded "=" (=3D), or two escapes of the characters that
    quoted-printable encodes and plain text never writes so (=20, =28, =2E, =E2...)."""
    if "=\n" in text or "=\r\n" in text or "=3D" in text:
        return True
    escapes = _QP_ESCAPE.finditer(text)
    return next(escapes, None) is not None and next(escapes, None) is not None


def _unquote_printable(run: str) -> str:
    if run.startswith("=\r") or run == "=\n":
        return ""  # a soft line break
    data = bytes.fromhex(run.replace("=", ""))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _page_breaks(text: str) -> list[Edit]:
    """Each page break ("\\n\\f", as Trawl joins pages) reads as a line break, never masked."""
    return [(at - 1 if at and text[at - 1] == "\n" else at, at + 1, "\n", KEEP)
            for at in _found(text, "\f")]


# -- page furniture ------------------------------------------------------------------------------
_DECORATION = r"[ \t\-\u2010-\u2015|·.*_~=]*"
_PAGE_LINE = re.compile(
    rf"(?i){_DECORATION}(?:page|pg|p|seite|página|pagina)\.?[ \t]*(?:[0-9]{{1,5}}|[ivxlcdm]{{1,8}})"
    rf"(?:[ \t]*(?:of|/|de|sur|von|di)[ \t]*[0-9]{{1,5}})?{_DECORATION}")
_NUMBER_LINE = re.compile(
    rf"{_DECORATION}([0-9]{{1,4}})(?:[ \t]*(?:of|/)[ \t]*[0-9]{{1,4}})?{_DECORATION}")
_DIGITS = re.compile(r"[0-9]+")
_PAGE_WORD = re.compile(r"(?i)\b(?:page|pg|p\.|seite|página|pagina)[ \t]*[0-9]")


def _furniture(text: str) -> list[tuple[int, int]]:
    """For each page break with furniture beside it: [start, end) of the original from the
    end of the last line of text before it to the first line of text after it. Furniture is
    blank lines, page numbers ("Page 3 of 8", "- 3 -", "3", up to twice the page count) and
    lines that recur at the top or bottom of pages: the same line on two pages, or the same
    but for its digits on three (a footer with a date or a number)."""
    breaks = list(_found(text, "\f"))
    pages = len(breaks) + 1
    bounds = [0, *[b + 1 for b in breaks], len(text) + 1]
    spans = [(bounds[i], bounds[i + 1] - 1) for i in range(pages)]
    exact: Counter[str] = Counter()
    shaped: Counter[str] = Counter()
    for start, end in spans:
        lines = [line.strip() for line in text[start:end].splitlines() if line.strip()]
        edges = set(lines[:EDGE_LINES] + lines[-EDGE_LINES:])
        exact.update(edges)
        shaped.update({_DIGITS.sub("#", line) for line in edges})

    def is_furniture(line: str) -> bool:
        line = line.strip()
        if not line or _PAGE_LINE.fullmatch(line) or exact[line] >= 2:
            return True
        if (m := _NUMBER_LINE.fullmatch(line)) is not None:
            return int(m.group(1)) <= 2 * pages + 10
        # The same line but for its digits: a numbered footer (on two pages when it says
        # "page"), a dated one on three.
        times = 2 if _PAGE_WORD.search(line) else 3
        return shaped[_DIGITS.sub("#", line)] >= times and len(line) >= 4

    out = []
    for i, at in enumerate(breaks):
        before = at - 1 if at and text[at - 1] == "\n" else at
        start = _walk_back(text, spans[i][0], before, is_furniture)
        end = _walk_forward(text, at + 1, spans[i + 1][1], is_furniture)
        if start < before or end > at + 1:
            out.append((start, end))
    return out


def _walk_back(text: str, page_start: int, end: int, is_furniture: Callable[[str], bool]
               ) -> int:
    """Where the furniture at the bottom of a page starts: the line break that ends its last
    line of text (`end` itself when that line is text; the page's start when all is
    furniture)."""
    for _ in range(EDGE_LINES + 2):
        if end <= page_start:
            return page_start
        newline = text.rfind("\n", page_start, end)
        if not is_furniture(text[newline + 1 if newline >= 0 else page_start:end]):
            return end
        if newline < 0:
            return page_start
        end = newline
    return end


def _walk_forward(text: str, start: int, page_end: int, is_furniture: Callable[[str], bool]
                  ) -> int:
    """Where the first line of text of a page starts, after the furniture at its top."""
    for _ in range(EDGE_LINES + 2):
        if start >= page_end:
            return page_end
        newline = text.find("\n", start, page_end)
        line_end = page_end if newline < 0 else newline
        if not is_furniture(text[start:line_end]):
            return start
        start = line_end + 1
    return start
