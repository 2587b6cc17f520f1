"""Phone numbers: candidates by shape in one compiled scan, then libphonenumber decides.

The scan finds what looks like a phone number written for a reader: `+CC ...` numbers,
North American numbers with separators (``(212) 555-0123``, ``212.555.0123``,
``1-800-555-0199``, an optional extension) and, for datasets of another region, national
numbers with their trunk prefix (``01 23 45 67 89``, ``020 7946 0958``). Each candidate is
parsed by `phonenumbers` (Google's libphonenumber) for the dataset's region and kept only if
it is a valid number; its key is the number in E.164 (``+12125550123``), so every spelling of
a number is one entity. An extension stays in the spelling, not in the key: it is the same
line.

Why shapes first rather than `phonenumbers.PhoneNumberMatcher`: the matcher tries every
digit run in Python and ran at about 1-2 MB/s on the corpus here (BENCHMARKS.md, access
control); the scan runs in C and leaves libphonenumber only the few candidates, each parsed
once per process (cached). Why shapes at all, when libphonenumber validates: a case number
written 2019-123456 is a valid US number; only the grouping says it is not a phone.

Bare digit runs (2125550123) are not taken from free text, where they are as often ids; a
table column named for phones (`columns.py`) gives its cells a lenient parse instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import phonenumbers

from trawl.derive.entities.model import Found

DEFAULT_REGION = "US"
# Regions whose numbers have the North American shape (and share +1).
NANP = frozenset({"US", "CA", "AG", "AI", "AS", "BB", "BM", "BS", "DM", "DO", "GD", "GU", "JM",
                  "KN", "KY", "LC", "MP", "MS", "PR", "SX", "TC", "TT", "VC", "VG", "VI"})

_SEP = r"[ \u00a0.\-]"
# After "(212)" a line break too: a PDF line often wraps there.
_PAREN_SEP = r"(?:[ \u00a0.\-]|\r?\n)"
_AREA = rf"(?:\([ ]?[2-9][0-9]{{2}}[ ]?\){_SEP}?|[2-9][0-9]{{2}}(?:{_SEP}|/))"
_NANP_REST = rf"[2-9][0-9]{{2}}{_SEP}[0-9]{{4}}"
_EXTENSION = r"(?:[ ]?(?i:x|ext\.?|extension)[ ]?(?P<ext>[0-9]{1,6})(?![0-9]))?"
# The first character is matched by a character class and what precedes it checked by
# lookbehinds *after* it: the engine then skips from candidate to candidate in C instead of
# trying the whole pattern at every position (access/redaction.py measured 4-9x).
_START = r"[+(0-9](?<![\w+][+(0-9])(?<![0-9][.\-/][+(0-9])"
_SHAPES = {
    "intl": r"(?P<intl>(?<=\+)[1-9][0-9]{0,3}(?:[ \u00a0.\-]?\(?[0-9]{1,5}\)?){1,7})",
    "nanp": (rf"(?P<nanp>(?:(?<=1){_SEP}?{_AREA}"                   # 1-800-..., 1 212 ...
             rf"|(?<=\()[ ]?[2-9][0-9]{{2}}[ ]?\){_PAREN_SEP}?"       # (212) ...
             rf"|(?<=[2-9])[0-9]{{2}}(?:{_SEP}|/))"                   # 212-..., 212/...
             rf"{_NANP_REST})"),
    # A national number with its trunk prefix 0, in groups (not for North American regions,
    # where numbers never start with 0).
    "national": r"(?P<national>(?<=0)[0-9]{1,4}(?:[ \u00a0.\-/][0-9]{2,4}){2,5})",
}
_END = r"(?![0-9]|[.\-/][0-9])"


@lru_cache(maxsize=8)
def _scanner(national: bool) -> re.Pattern[str]:
    shapes = [_SHAPES["intl"], _SHAPES["nanp"]] + ([_SHAPES["national"]] if national else [])
    return re.compile(f"{_START}(?:{'|'.join(shapes)}){_END}{_EXTENSION}")


def check_region(region: str) -> str:
    """A region code as libphonenumber knows it (US, FR, GB...), or ValueError."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}: give a two-letter region code "
                         "such as US, CA, FR or GB")
    return code


class PhoneFinder:
    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.region = check_region(region)
        self._scan = _scanner(self.region not in NANP)
        # A North American shape is parsed as such even in another region's dataset.
        self._nanp_region = self.region if self.region in NANP else DEFAULT_REGION

    def find(self, text: str) -> Iterator[Found]:
        for m in self._scan.finditer(text):
            region = self._nanp_region if m.group("nanp") else self.region
            # A line break inside (a wrapped PDF line) is a space to libphonenumber; E.164
            # leaves the extension out.
            key = e164(" ".join(m.group().split()), region)
            if key is not None:
                yield Found("phone", key, m.group(), m.start(), m.end())

    def parse_cell(self, value: str) -> str | None:
        """A cell of a phone column, taken whole: bare digits too (2125550123)."""
        digits = sum(c.isdigit() for c in value)
        if not 7 <= digits <= 17 or len(value) > 40:
            return None
        return e164(value, self.region)


@lru_cache(maxsize=65536)
def e164(number: str, region: str) -> str | None:
    """The number in E.164 if libphonenumber finds it valid for `region`, else None."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def international(key: str) -> str:
    """+12125550123 as +1 212-555-0123 (the key itself if it does not parse)."""
    try:
        parsed = phonenumbers.parse(key, None)
    except phonenumbers.NumberParseException:
        return key
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
