"""Names of people, organisations and places: their keys (which spellings are one entity),
how they are shown, and what is not a name at all.

Keys group spellings *conservatively*: only differences that never tell two people apart.

* Case, accents (NFKD, combining marks dropped: "José" = "Jose"), curly quotes, whitespace,
  the dots of initials ("Phillip K. Allen" = "Phillip K Allen"), a trailing possessive
  ("Doe's" = "Doe") and leading titles and ranks (Mr, Dr, Mme, Detective, Special Agent...)
  do not count.
* ``Last, First [Middle]`` is ``First [Middle] Last`` ("Doe, Jane Q." = "Jane Q. Doe").
* A middle initial *does* count: "Jane Q. Doe" and "Jane Doe" are two entities, since
  "Jane R. Doe" may be someone else, and merging is not undone by a reader. Suffixes too
  ("John Doe Jr." is not his father).
* A person needs two words: a bare "Jennifer" would merge every Jennifer of the dump.
* Nothing is matched by similarity: "Jon Doe" is not "John Doe".

Organisations and places: case, accents, whitespace, curly quotes, a leading "The" and a
trailing possessive do not count; "&" and "and" do.

`junk` is the precision filter over the bare model: column headers (``FirstName``,
``AgencyOrganization``), mail headers and page furniture (``Subject``, ``Content-Type``,
``Page 3``), strings with an "@", a "/" or a "\\" (addresses, Lotus Notes paths), no letter,
single letters, digits in a person's name, very long spans, words of an agency taken for a
person ("Police Department").
"""

from __future__ import annotations

import re
import unicodedata

NAMED_KINDS = ("person", "org", "place")
MAX_CHARS = {"person": 60, "org": 100, "place": 60}
MAX_PERSON_WORDS = 5

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'",
                         "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_SPACES = re.compile(r"\s+")
# Titles and ranks before a name ("Detective Jane Doe" is Jane Doe), dropped while two
# words remain.
_HONORIFICS = frozenset("""
    mr mrs ms miss dr prof mme mlle m sir dame officer detective det sergeant sgt lieutenant
    lt captain capt deputy analyst intelligence special agent trooper investigator chief
    corporal cpl inspector commander director sheriff senator governor mayor judge president
    program manager planner dispatcher fire emergency
""".split())
_SUFFIXES = frozenset("jr sr ii iii iv phd md esq".split())
_EDGE = " \t\r\n\f\v\"'()[]{}<>*|,;:-–—=_#~+.!?"
_TRAILING = " \t\r\n\f\v\"'()[]{}<>*|,;:-–—=_#~+!?"   # a final "." may be "Inc." or "K."
# Words of mail headers, forms and page furniture that the model takes for names.
BOILERPLATE = frozenset("""
    page pages subject from to cc bcc sent date re fw fwd attachment attachments message
    original message forwarded by mime-version content-type content-transfer-encoding
    x-from x-to x-cc x-bcc x-folder x-origin x-filename x-mailer x-priority reply-to
    unclassified classified confidential secret fouo les u//fouo law enforcement sensitive
    for official use only tel fax phone email e-mail mail name names address city state
    zip county agency organization organisation title description summary notes note
    first name last name full name firstname lastname fullname agencyorganization
    tlp tlp:white tlp:green tlp:amber tlp:red n/a none unknown total thanks regards
    hi hello dear mr mrs ms dr sir attendees attendee bolo
""".split()) | frozenset({
    "original message", "forwarded by", "law enforcement sensitive", "for official use only",
    "first name", "last name", "full name", "e mail", "best regards", "kind regards",
    "thank you", "privileged & confidential communication", "page of",
})
_HEADER = re.compile(r"(?i)^(?:x-[\w-]+|content-[\w-]+|mime-version|message-id|in-reply-to)$")
# A column header: words run together (FirstName, EmailAddress, AgencyOrganizationName),
# one of them a header's word, so that PayPal, YouTube and McDonald stay names.
_CAMEL_PART = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_HEADER_WORDS = frozenset("""
    name first last full email mail address phone agency organization organisation id date
    number type city state zip code title description user password time stamp count
""".split())
_PAGE = re.compile(r"(?i)^page\s+\d+(?:\s+of\s+\d+)?$")
# A person's span holding one of these words is an organisation or a place the model
# mislabelled ("Alder Police Department", "Houston HIDTA").
_NOT_PERSON_WORDS = frozenset("""
    police department office sheriff county city state agency center centre bureau
    division unit task force fusion intelligence university college school bank inc llc
    ltd corp corporation company co group association council committee commission
    authority patrol court services service program management emergency team street
    avenue road highway airport hospital church district federal national regional
    st ln rd ave blvd pkwy dr hwy bulletin report notification reference outlook alert
    update summary advisory cartel movement operation training conference meeting
    collective network brotherhood gang crew militia front army cell trafficking
""".split())
_STREETS = frozenset("st ln rd ave blvd pkwy dr hwy street lane road avenue".split())
_DIGIT_START = re.compile(r"^\d")   # "9436 Pine St": an address, not an organisation


def fold(text: str) -> str:
    """Without case, accents, curly quotes or runs of whitespace."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip().casefold()


def trimmed(text: str, start: int) -> tuple[str, int]:
    """A span without what the model keeps at its edges: spaces, quotes, brackets, dashes
    ("--Tom McCullough"), a trailing possessive; and the new start."""
    stripped = text.lstrip(_EDGE)
    start += len(text) - len(stripped)
    stripped = stripped.rstrip(_TRAILING)
    if stripped.endswith(("'s", "'S", "\u2019s")):
        stripped = stripped[:-2].rstrip(_TRAILING)
    return stripped, start


def _folded(text: str) -> str:
    folded = fold(text)
    return folded[:-2].rstrip() if folded.endswith("'s") else folded


def person_key(text: str) -> str | None:
    """The key of a person's name, or None when it is not one to keep (one word)."""
    folded = _folded(text)
    if folded.count(",") == 1:
        last, first = (part.strip() for part in folded.split(","))
        if first and last and first.split(" ")[0].strip(".") not in _SUFFIXES:
            folded = f"{first} {last}"
    words = _untitled([w.strip(".") for w in re.split(r"[\s.]+", folded) if w.strip(".")])
    if len(words) < 2 or sum(1 for w in words if len(w) > 1) < 2:
        return None
    return " ".join(words)


def _untitled(words: list[str]) -> list[str]:
    """A name's words without the titles before it, while two words remain."""
    while len(words) > 2 and words[0].strip(".") in _HONORIFICS:
        words = words[1:]
    return words


def org_key(text: str) -> str | None:
    folded = _SPACES.sub(" ", _folded(text).replace("(", " ").replace(")", " ")).strip()
    if folded.startswith("the "):
        folded = folded[4:]
    return folded.rstrip(" .") or None


def key_of(kind: str, text: str) -> str | None:
    return person_key(text) if kind == "person" else org_key(text)


def display(kind: str, text: str) -> str:
    """How a named entity is shown: its first spelling tidied (whitespace collapsed, a
    person in ``First Last`` order)."""
    shown = _SPACES.sub(" ", text.translate(_QUOTES)).strip()
    if kind == "person" and shown.count(",") == 1:
        last, first = (part.strip() for part in shown.split(","))
        if first and last and first.split(" ")[0].strip(".").lower() not in _SUFFIXES:
            shown = f"{first} {last}"
    return shown


def junk(kind: str, text: str, strict: bool = True) -> bool:
    """Whether a span the model labelled `kind` is not a name to keep (`strict`: a name in
    running text starts its words with capitals; a table's cell need not)."""
    if len(text) < 2 or len(text) > MAX_CHARS[kind]:
        return True
    if not any(c.isalpha() for c in text) or any(c in text for c in "@/\\:\n\t|=<>{}[]"):
        return True
    folded = fold(text)
    if folded in BOILERPLATE or _HEADER.match(folded) or _PAGE.match(folded):
        return True
    words = folded.replace("-", " ").split()
    if all(len(w.strip(".'")) <= 1 for w in words):
        return True  # "J.", "A B"
    if " " not in text and ("_" in text or _header_like(text)):
        return True  # a column header: FirstName, Agency_Name
    if kind == "person":
        return _not_a_person(text, words, strict)
    return bool(text.isupper() and len(text) <= 2) or bool(_DIGIT_START.match(text)) or \
        words[-1].strip(".") in _STREETS


def _header_like(word: str) -> bool:
    parts = _CAMEL_PART.findall(word)
    return len(parts) > 1 and any(p.lower() in _HEADER_WORDS for p in parts)


def _not_a_person(text: str, words: list[str], strict: bool) -> bool:
    if any(c.isdigit() for c in text):
        return True
    words = _untitled(words)
    if len(words) > MAX_PERSON_WORDS or any(w.strip(".'") in _NOT_PERSON_WORDS for w in words):
        return True
    # Every word of a name starts with a capital (or is a particle: de, van, von, le...)
    written = text.replace("-", " ").split()[-len(words):]
    return strict and any(not (w[0].isupper() or w in _PARTICLES) for w in written)


_PARTICLES = frozenset("de del della van von der den le la du da di bin".split())
