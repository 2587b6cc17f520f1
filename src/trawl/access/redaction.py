"""Redaction: personal data masked in everything a public reader sees.

A public dataset is read through a redacted view: document text, snippets, metadata, table
cells, facets and exports all go through one `Redactor`, configured per dataset by
`RedactionRules` (JSON, kept by the admin; the defaults cover the kinds of data below).

Masking of extracted text, not of files
---------------------------------------
Redaction works on what Trawl extracted (text, metadata, table cells), never on the original
files: a PDF or a spreadsheet cannot be masked reliably (text hidden in layers, images,
formulas, metadata streams), so in redacted mode originals are never served, only masked text.

Labels, not black boxes
-----------------------
A match becomes a label that says what was there (``[email]``, ``[phone]``, ``[ssn]``,
``[date of birth]``, ``[address]``, ``[ip]``; ``[redacted]`` for personal table columns,
admin terms and admin patterns). A reader still understands the sentence ("call [phone]"),
and a label is the same whatever it hides: it never keeps a character of the original, and
never tells its length (a black box as long as a name tells how long the name was). Labels
hold no digit, "@" or ":", so redacting twice changes nothing, and searching the masked text
for a redacted value finds nothing: the value is simply not in it.

Text as a reader sees it
------------------------
The detectors read what a reader reads (reader_text.py): URL-encoding, HTML references and
quoted-printable decoded, typographic dashes, spaces and fullwidth forms made plain, and the
two halves of a value that a page break and its footer cut apart joined. Each match is
masked where it is in the original, in its encoded form (``%28212%29+555-0183`` becomes one
``[phone]``); a page break or a footer between two halves is never masked (each half gets a
label), so a document keeps its pages. Where a decoding may be wrong (a ``=41`` that was
never quoted-printable) the original is read as well.

Detectors, compiled once, and what they knowingly miss. Names of people are not detected in
free text (no list of names is good enough, and a guess would mask half the words of a
bulletin): an admin adds them as terms; table columns of names are masked by their name.
Speed: the number-led shapes (phone, SSN, IPv4, street address) are found in one scan of the
text, the others only around a substring hint ("@", "::", "box", "dob"...): about 16 MB/s of
e-mail and report text on one core here (20 before the reader's view of issue #19: see
BENCHMARKS.md), so a large dataset's view is rebuilt in minutes.

* ``email``: ``local@domain.tld`` (TLD of letters; a domain needs a letter before its TLD, so
  ``76936@20140224123907.mpg`` file names are left alone), with a space either side of the
  "@" or a line break after it (or inside a label after a hyphen, or before a lower-case
  TLD), and obfuscated: ``name [at] domain [dot] org``, ``(at)``, ``{at}``, ``<at>``, and
  ``name at domain dot org`` spelled out with a common TLD. Misses addresses without a TLD
  (Lotus Notes ``Jeff Dasovich/NA/Enron@Enron``, ``user@host``), ``name at domain.com`` (a
  spelled "at" needs a spelled "dot": "look at example.com" is no address) and spaces around
  the dots (``jane . doe``).
* ``phone``: North American numbers with separators (``(555) 123-4567``, ``[555] 123-4567``,
  ``555-123-4567``, ``555 - 123 - 4567``, ``555.123.4567``, ``+1 555 123 4567``, optional
  extension), area and exchange codes starting 2-9 as the plan requires; glued to words as
  OCR and file names glue them (``tel555-0143``, ``Phone:(415)555-0162``, ``555-0162.0r``,
  ``scan_415-555-0162.pdf``), with OCR's O and l for 0 and 1 (two at most: ``555-O162``);
  a line break after a separator or ``)``, or for the separator before the last four digits
  (``415-555`` / ``0143``), any other line break only after a phone word (a column of
  figures, one a line, reads like ``426`` / ``521`` / ``1855``); ten bare digits, seven
  (``555-0143``), or an area code and seven (``415-5550162``) only next to a phone word
  (phone, tel, cell, mobile, fax, call, ``T:``...; ``(415) 5550162`` needs none) or, for
  seven, just after another number ("(415) 555-0142 or 555-0143"); international ``+CC``
  numbers of 8 to 15 digits. Dates, ZIP+4 codes, money and case numbers like 2020-12345 do
  not have that shape. Misses 7-digit local numbers without a label, ten bare digits without
  one (``4155550162_voicemail.wav``), ``00 33 ...`` prefixes, national formats without "+"
  (``01 23 45 67 89``), internal extensions (``x3-5660``), a blank line between the parts,
  ``415 555`` / ``0143`` without a phone word; a range like ``250-300-4000`` is taken for a
  phone number.
* ``ssn``: ``ddd-dd-dddd`` and ``ddd dd dddd`` (same separator twice, a line break after
  either allowed) without the numbers never issued (area 000, 666, 9xx; group 00; serial
  0000), glued to words too (``SSN219-09-9999``); nine bare digits only after an "SSN" /
  "social security" label. An identifier of the same shape is masked too.
* ``dob``: a date (01/02/1980, 1980-01-02, Jan 2, 1980, 2 January 1980, 02-JAN-80) within a
  few characters after DOB, D.O.B., date of birth, birth date, birthday or born; the date is
  masked, the label stays. Other dates are not personal data and stay. Misses a date far
  from its label (a table's "DOB" column is masked by its column name instead), dates
  written as 8 bare digits, labels glued to a word (SubjectDOB) and ages.
* ``address``: a US street address: house number, one to four capitalised (or numbered)
  words, a street suffix (Street/St, Avenue/Ave, Road/Rd, Boulevard/Blvd, Drive/Dr, ...),
  an optional direction and unit (Apt, Suite, #); P.O. Box forms. City, state and ZIP stay,
  and so do hundred-block addresses (6200 BLOCK PRESTON HWY), de-identified by the police.
  Misses lower-case addresses, streets without a suffix (Broadway), named numbers (One
  Main Street), "Avenue of the Americas". A year after a preposition is not a house number
  ("in 2019 Superior Court rulings"); "2019 Superior Court" alone is masked.
* ``ip``: IPv4 with valid octets (glued to a word too: ``ip203.0.113.7``), IPv6 full or
  compressed (checked by `ipaddress`, so times like 10:30:00 are not addresses). Dotted
  section numbers like 1.2.3.4 are masked too; MAC addresses are not masked.

Personal table columns (`PERSONAL_COLUMNS`) are masked entirely, whatever they hold: names
of people (the staff who wrote, entered, approved or were assigned a record too: Author,
EnteredBy, ApprovedBy, AssignedTo), e-mail addresses, phone numbers, credentials, identity
numbers, street addresses, IP addresses. Names are compared without case, separators or
trailing digits (first_name == FirstName; Address2 and Email_2 are Address and Email).
City, State, ZipCode and County are kept on purpose: they place a row on a map at the scale
a reader needs, and do not name anyone alone. AgencyName, OrganizationName, Title and the
generic Name are kept too: they name organisations or things at least as often as people.
Latitude/Longitude are kept: they locate incidents, not people (an admin can add them for a
dataset where they are homes). Free text in other columns still goes through the detectors.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from trawl.access.reader_text import reader_view

RULES_VERSION = 3  # part of the fingerprint: a change of the detectors rebuilds the views
DETECTORS: tuple[str, ...] = ("email", "phone", "ssn", "dob", "address", "ip")
LABELS = {"email": "[email]", "phone": "[phone]", "ssn": "[ssn]", "dob": "[date of birth]",
          "address": "[address]", "ip": "[ip]", "term": "[redacted]", "pattern": "[redacted]",
          "column": "[redacted]"}
MASK = LABELS["column"]
MAX_PATTERN_CHARS = 1000

PERSONAL_COLUMNS: tuple[str, ...] = (
    # people's names (BlueLeaks: Registrations, SARs, EventRegistration, Documents.Author)
    "FirstName", "LastName", "MiddleName", "MiddleInitial", "FullName", "PersonName",
    "MaidenName", "NickName", "Alias", "ContactName", "ContactFirstName", "ContactLastName",
    "SupervisorName", "SupervisorFirstName", "SupervisorLastName", "SupervisorFullName",
    "EmergencyContact", "EmergencyContactName", "Suspect", "SuspectName", "VictimName",
    "WitnessName", "SubjectName", "Author", "CreatedBy", "EnteredBy", "ApprovedBy",
    "ModifiedBy", "UpdatedBy", "LastModifiedBy", "AssignedTo", "Signature",
    # e-mail addresses
    "Email", "EmailAddress", "AlternateEmail", "PersonalEmail", "WorkEmail", "HomeEmail",
    "ContactEmail", "SupervisorEmail", "SupervisorEmailAddress", "CreatorEmail", "EmailFrom",
    "EmailFromName", "EmailTo", "ReplyTo", "CustomEmailList",
    # phone numbers
    "Phone", "PhoneNumber", "Telephone", "WorkPhone", "HomePhone", "MobilePhone", "CellPhone",
    "Cell", "Mobile", "Fax", "FaxNumber", "Pager", "ContactPhone", "SupervisorPhone",
    "EmergencyPhone",
    # credentials
    "Password", "PasswordHash", "PasswordSalt", "PasswordHint", "PasswordAnswer",
    "SecurityAnswer", "Username", "Login", "LoginName", "ScreenName", "PIN",
    # identity numbers and dates
    "SSN", "SocialSecurityNumber", "SocialSecurity", "DOB", "DateOfBirth", "BirthDate",
    "Birthday", "DriversLicense", "DriversLicenseNumber", "DriverLicense", "DLNumber",
    "PassportNumber", "BadgeNumber", "LicensePlate",
    # street addresses
    "Address", "StreetAddress", "HomeAddress", "MailingAddress", "ResidenceAddress", "Street",
    "LocationAddress",
    # network addresses
    "IPAddress", "IP", "IPAddr", "RemoteAddr", "RemoteAddress", "RemoteIP", "ClientIP",
)


def column_key(name: str) -> str:
    """A column name as rules compare it: no case, no separators, no trailing digits."""
    return re.sub(r"[\s_\-.]+", "", name).lower().rstrip("0123456789")


# -- rules ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RedactionRules:
    """What to mask in one dataset. Normalised on construction (sorted, without duplicates),
    so equal rules compare, serialise and fingerprint equal."""

    detectors: tuple[str, ...] = DETECTORS
    columns: tuple[str, ...] = PERSONAL_COLUMNS
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        detectors = _strings(self.detectors, "detectors")
        unknown = sorted(set(detectors) - set(DETECTORS))
        if unknown:
            raise ValueError(f"unknown redaction detector(s) {', '.join(unknown)}; "
                             f"known: {', '.join(DETECTORS)}")
        columns: dict[str, str] = {}
        for name in _strings(self.columns, "columns"):
            if column_key(name):
                columns.setdefault(column_key(name), name.strip())
        terms = {" ".join(t.split()) for t in _strings(self.terms, "terms")} - {""}
        patterns = tuple(dict.fromkeys(_strings(self.patterns, "patterns")))
        for pattern in patterns:
            compile_pattern(pattern)
        set_ = object.__setattr__  # frozen: normalised once, here
        set_(self, "detectors", tuple(d for d in DETECTORS if d in detectors))
        set_(self, "columns", tuple(sorted(columns.values(), key=str.lower)))
        set_(self, "terms", tuple(sorted(terms, key=str.lower)))
        set_(self, "patterns", tuple(sorted(patterns)))

    def to_json(self) -> str:
        return json.dumps({f.name: list(getattr(self, f.name)) for f in fields(self)},
                          sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | None) -> RedactionRules:
        """Rules from an admin's JSON; None or "" give the defaults, as does a missing key."""
        if not text or not text.strip():
            return cls()
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"redaction rules are not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError("redaction rules must be a JSON object")
        known = {f.name for f in fields(cls)}
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError(f"unknown redaction setting(s) {', '.join(extra)}; "
                             f"known: {', '.join(sorted(known))}")
        return cls(**{k: tuple(_strings(v, k)) for k, v in data.items()})

    def fingerprint(self) -> str:
        """A short, stable hash of the rules (and of the detectors' version): a redacted view
        built under another fingerprint must be rebuilt."""
        raw = f"v{RULES_VERSION}:{self.to_json()}".encode()
        return hashlib.sha256(raw).hexdigest()[:16]


def _strings(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"redaction {what} must be a list of strings")
    if not all(isinstance(v, str) for v in value):
        raise ValueError(f"redaction {what} must be a list of strings")
    return list(value)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """An admin's regular expression, refused (ValueError, with why) when it does not compile
    or can match the empty string (a pattern like "x*" matches between any two characters:
    surely not what was meant)."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise ValueError(f"redaction pattern longer than {MAX_PATTERN_CHARS} characters")
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"redaction pattern {pattern!r} is not a valid regular expression: "
                         f"{exc}") from None
    for probe in ("", "a", " ", "0", "word 12\n"):
        if any(m.start() == m.end() for m in compiled.finditer(probe)):
            raise ValueError(f"redaction pattern {pattern!r} matches the empty string: it "
                             "must match at least one character")
    return compiled


# -- detectors -----------------------------------------------------------------------------------
# Speed: every pattern starts with one character class or literal and checks what comes
# before it with a lookbehind *after* that first character (``[0-9](?<![\w][0-9])``), so that
# the regular expression engine jumps from candidate to candidate in C instead of trying the
# whole pattern at every position (4 to 9 times faster on this corpus). Rare shapes (an "@",
# a "::") are found first and only their surroundings examined.
Span = tuple[int, int, str]
_DIGIT = re.compile(r"[0-9]")

# A line may break after the "@", inside a label after a hyphen (exam-\nple.org), or after
# the last dot when a lower-case TLD follows (a new sentence would start with a capital).
_NL = r"(?>[ \t]{0,3}\r?\n[ \t]{0,8})"
_LABEL = r"[^\W_](?:[\w\-]{0,61}(?:-\r?\n[\w\-]{0,61})?[^\W_])?"
_EMAIL_DOMAIN = re.compile(
    rf"@(?:[ \t]|{_NL})?((?:{_LABEL}\.(?:\r?\n(?=[a-z]{{2,24}}\b))?)+[^\W\d_]{{2,24}})"
    r"(?![\w\-]|\.[^\W_])")
_LOCAL_REVERSED = re.compile(r"[\w.%+'\-]{1,128}")  # the local part, read backwards from "@"
_BRACKET_AT = r"[\[({<][ \t]*at[ \t]*[\])}>]"
_AT_HINT = re.compile(rf"(?i:{_BRACKET_AT})")
_DOT_HINT = re.compile(r"[ \t\[({<]dot[ \t\])}>]")  # in the lower-cased text
# jane [at] example [dot] org, jane(at)example.org, jane{at}..., and spelled out, "jane at
# example dot org": spelled, both words must be (and the TLD a common one), or "look at
# example.com" would be an address.
_EMAIL_AT = re.compile(
    rf"(?<![\w.+\-])[\w.+\-]{{1,64}}(?P<at>[ \t]*{_BRACKET_AT}[ \t]*|[ \t]+at[ \t]+)"
    r"(?:[^\W_][\w\-]*(?P<dot>[ \t]*(?:\.|[\[({<][ \t]*dot[ \t]*[\])}>])[ \t]*|[ \t]+dot[ \t]+))+"
    r"(?P<tld>[^\W\d_]{2,24})(?!\w)",
    re.IGNORECASE)
_SPELLED_TLDS = frozenset(
    "com org net edu gov mil int info biz io co us uk ca de fr es it nl be ch au nz ie".split())

# A separator: a space, or a dot or hyphen with a space either side or none (602 - 555 - 0143).
_SEP = r"(?>[.\-][ \u00a0]?|[ \u00a0](?:[.\-][ \u00a0]?)?)"
# A digit, or a letter OCR reads for one (O for 0, l and I for 1): 555-O162, (4l5). Not as a
# number's first digit (a number starts with a real one), and two at most (`_phone_ok`).
_D = r"[0-9OolI]"
# A line break may follow a separator (415-\n555-0143: a PDF line wraps there) or stand for
# one: after "(415)", or before the last four digits when the area code is written apart
# from the rest (415-555\n0143). Anywhere else a bare line break needs a phone word before
# the number (`_breaks_ok`): a column of figures, one a line, reads like 426 / 521 / 1855.
_SEP_OR_NL = rf"(?:{_SEP}(?:{_NL})?|{_NL})"
_PAREN_SEP = rf"(?:{_SEP}?{_NL}|{_SEP})"
_AREA = (rf"(?:[(\[][ ]?[2-9]{_D}{{2}}[ ]?[)\]]{_PAREN_SEP}?"
         rf"|[2-9]{_D}{{2}}(?:{_SEP_OR_NL}|/))")
# The end of a number: no digit after it, nor a separator and digits (a longer number), but
# OCR glues a word to it: 555-0162.0r ("or") is a phone number.
_NUMBER_END = r"(?![0-9]|[.\-/][0-9]+(?![^\W\d_]))"
# The exchange and the line; the last separator may be left out: (415) 5550162 (`_phone_ok`).
_EXCHANGE_LINE = (rf"[2-9]{_D}{{2}}{_SEP_OR_NL}?{_D}{{4}}{_NUMBER_END}"
                  r"(?:[ ]?(?i:x|ext\.?|extension)[ ]?[0-9]{1,6}(?![0-9]))?")
# Every detector of a number-led shape is one alternative after a shared first character, so
# that the text is scanned once for all of them. Each alternative checks that first character
# (and the one before it) with lookbehinds.
_NUMBER_PARTS = {
    "ssn": (r"(?P<ssn>(?<=[0-8])(?<![\-/][0-8])[0-9]{2}(?<!000)(?<!666)(?P<ssn_sep>[\- ])"
            rf"(?:{_NL})?(?!00)[0-9]{{2}}(?P=ssn_sep)(?:{_NL})?(?!0000)[0-9]{{4}}"
            r"(?![0-9]|-[0-9]))"),
    "phone": (r"(?P<phone>(?<![0-9][.\-/][+(1-9])"
              rf"(?:(?:(?<=\+)1{_SEP}?{_AREA}|(?<=1){_SEP}?{_AREA}"     # +1 555 ..., 1-800-...
              rf"|(?<=[(\[])[ ]?[2-9]{_D}{{2}}[ ]?[)\]]{_PAREN_SEP}?)"  # (555) ..., [555] ...
              rf"{_EXCHANGE_LINE}"
              rf"|(?<=[2-9]){_D}{{2}}(?:{_SEP_OR_NL}|/)"               # 555-..., 555/...
              # or a local number of seven digits, 555-0143: only after a phone word or
              # another number (`_number_kind`). Here, not an alternative of its own, it
              # costs a test only after three digits and a separator.
              rf"(?:{_EXCHANGE_LINE}|(?P<local>[0-9]{{4}}){_NUMBER_END})))"
              r"|(?P<intl>(?<=\+)(?<![\w+]\+)[1-9][0-9]{0,3}(?:[ \u00a0.\-]?\(?[0-9]{1,5}\)?){1,7}"
              r"(?![0-9]))"),
    "ip": r"(?P<ipv4>(?<=[0-9])(?<!\.[0-9])[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?![0-9]|\.[0-9]))",
    # House number, 1-4 capitalised or ordinal words (lazily: the first suffix ends it).
    "address": (r"(?P<address>(?<=[0-9])(?<![\w.,$/#\-][0-9])[0-9]{0,5}+[A-Za-z]?+"
                r"(?:-[0-9]{1,5})?(?:[ \t]+(?:[A-Z][\w'\-]*+\.?|[0-9]{1,3}(?i:st|nd|rd|th)))"
                r"{1,4}?"
                r"[ \t]+(?:<SUFFIX>)\b\.?"
                r"(?:[ \t]+(?:NE|NW|SE|SW|N|S|E|W)\b)?"
                r"(?:<UNIT>)?)"),
    # Bare digits: a phone number or an SSN only next to its label (checked in Python).
    "bare": r"(?P<bare>(?<=[0-9])(?<!-[0-9])[0-9]{8,10}+(?![0-9]|-[0-9]))",
}
# A phone word, glued to the number or not (tel555-0143, phone_4155550142, tel=...).
_PHONE_WORD_BEFORE = re.compile(  # (the lookahead first: most positions fail at once)
    r"(?=[TtPpCcMmFfDdHhW])(?:(?<![^\W\d_])(?i:tele?phone|phone|ph|tel|cell(?:phone)?|mobile|mob|fax|pager|call|"
    r"dial|contact|hotline)(?![^\W\d_])|\b[TPMFCHW](?=[ \t]?:))"
    r"[ \t.:#\-_=]{0,4}(?i:(?:no|num|number|nbr)(?![^\W\d_])\.?)?[ \t.:#\-_=]{0,3}\Z")
# What may stand between two phone numbers for the second to be taken as one unlabelled.
_PHONE_JOINER = re.compile(r"[ \t]*(?:[,;/|&]|or|and|ou)?[ \t]*\Z")
_BLANK = " \t\r\n\u00a0"
_YEAR_BEFORE = re.compile(
    r"(?i:\b(?:in|since|of|by|from|until|during|before|after|for|to)[ \t]+)\Z")
_PLAIN_PHONE_END = re.compile(r"[0-9]{3}[ \u00a0.\-][0-9]{4}\Z")  # 555-0162, no extension
_PHONE_PARTS = re.compile(
    r"[(\[]?[2-9][0-9OolI]{2}([)\]]?[^0-9OolI]*)[2-9][0-9OolI]{2}([^0-9OolI]*)[0-9OolI]{4}")
_PHONE_WORD_AFTER = re.compile(
    r"[ \t]{0,2}[(\[]?(?i:cell|mobile|fax|phone|tel|home|work|office)\b")
_SSN_LABEL = re.compile(
    r"(?i:\b(?:ssn|ss\#|s\.s\.n\.?|soc\.?[ \t]+sec\.?|social[ \t]+security)"
    r"(?:[ \t]+(?:number|num|no\.?|\#))?)[ \t:#.=\-]{0,4}\Z")

_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = (r"(?:[0-9]{1,2}[/.\-][0-9]{1,2}[/.\-](?:[0-9]{4}|[0-9]{2})"
         r"|[0-9]{4}[/.\-][0-9]{1,2}[/.\-][0-9]{1,2}"
         rf"|{_MONTH}[ \t]+[0-9]{{1,2}}(?:st|nd|rd|th)?,?[ \t]+[0-9]{{4}}"
         rf"|[0-9]{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{_MONTH},?[ \t]+[0-9]{{4}}"
         rf"|[0-9]{{1,2}}-{_MONTH}-(?:[0-9]{{4}}|[0-9]{{2}}))(?![0-9])")
_DOB = re.compile(
    r"[dDbB](?<!\w[dDbB])(?i:(?<=[dD])(?:\.?o\.?b\b\.?|ate[ \t]+of[ \t]+birth)"
    r"|(?<=[bB])(?:irth[ \t]*date|irthday|orn(?:[ \t]+on)?))"
    rf"\s{{0,3}}(?i:[:=\#\-\u2013(]|is\b|was\b)?\s{{0,3}}((?i:{_DATE}))")

_STREET_SUFFIXES = {
    "Street": "St", "Avenue": "Ave Av", "Road": "Rd", "Boulevard": "Blvd", "Drive": "Dr",
    "Lane": "Ln", "Court": "Ct", "Way": "", "Place": "Pl", "Parkway": "Pkwy Pky",
    "Highway": "Hwy", "Circle": "Cir", "Terrace": "Ter Terr", "Trail": "Trl", "Square": "Sq",
    "Plaza": "Plz", "Alley": "Aly", "Crescent": "Cres", "Expressway": "Expy",
    "Freeway": "Fwy", "Turnpike": "Tpke", "Pike": "", "Loop": "", "Crossing": "Xing",
    "Cove": "Cv"}
_SUFFIX = "|".join(sorted(
    {form for long, short in _STREET_SUFFIXES.items() for word in (long, *short.split())
     for form in (word, word.upper())}, key=lambda s: (-len(s), s)))
_UNIT = (r"(?:,?[ \t]*(?i:apt|apartment|suite|ste|unit|rm|room|bldg|fl|floor|lot)\.?[ \t]*\#?"
         r"|[ \t]*\#)[ \t]*[A-Za-z0-9][A-Za-z0-9\-]{0,5}(?!\w)")
_NUMBER_PARTS["address"] = _NUMBER_PARTS["address"].replace("<SUFFIX>", _SUFFIX).replace(
    "<UNIT>", _UNIT)
_PO_BOX = re.compile(
    r"[pP](?<!\w[pP])(?i:\.?[ \t]?o\.?|ost[ \t]+office)[ \t]*(?i:box)[ \t]*\#?[ \t]*[0-9]{1,7}"
    r"(?![0-9])")

_V6_HINT = re.compile(r":[0-9A-Fa-f]{0,4}:")
_V6_CHARS = frozenset("0123456789abcdefABCDEF:.")


def _find_email(text: str) -> Iterator[tuple[int, int]]:
    for m in _EMAIL_DOMAIN.finditer(text):
        domain = m.group(1)
        # A letter before the TLD: 76936@20140224123907.mpg is a file name.
        if not any(c.isalpha() for c in domain[:domain.rfind(".")]):
            continue
        at = _before_gap(text, m.start())
        local = _LOCAL_REVERSED.match(text[max(0, at - 128):at][::-1])
        if local is None:
            continue
        size = len(local.group().rstrip("."))  # a local part never starts with "."
        if size:
            yield at - size, m.end()


def _find_obfuscated_email(text: str) -> Iterator[tuple[int, int]]:
    for m in _EMAIL_AT.finditer(text):
        if m.group("at").strip().lower() == "at" and (
                "." in m.group("dot") or m.group("tld").lower() not in _SPELLED_TLDS):
            continue  # spelled out, "look at example.com" is not an address
        yield m.span()


def _before_gap(text: str, at: int) -> int:
    """Where the local part ends before the "@" at `at`: past one space (jane.doe @) or one
    line break with the spaces around it."""
    start = at
    while start > 0 and at - start < 16 and text[start - 1] in " \t\r\n":
        start -= 1
    gap = text[start:at]
    if gap.count("\n") == 1 or gap in (" ", "\t"):
        return start
    return at


def _obfuscated(text: str, lowered: str) -> bool:
    """Whether `text` may hold an address written with [at] or "dot"."""
    return bool(_AT_HINT.search(text)) or ("dot" in lowered and bool(_DOT_HINT.search(lowered)))


def _occurrences(lowered: str, hint: str) -> Iterator[int]:
    at = lowered.find(hint)
    while at >= 0:
        yield at
        at = lowered.find(hint, at + 1)


def _find_dob(text: str, lowered: str) -> Iterator[tuple[int, int]]:
    """The date after each label. Labels are found by substring search in the lower-cased
    text (any case), and the pattern tried there only."""
    if len(lowered) != len(text):  # lower() changed the length (rare letters): scan
        yield from (m.span(1) for m in _DOB.finditer(text))
        return
    end = 0
    for at in sorted({at for hint in _DOB_HINTS for at in _occurrences(lowered, hint)}):
        if at >= end and (m := _DOB.match(text, at)) is not None:
            end = m.end()
            yield m.span(1)  # the date; the label stays, so a reader knows what was there


def _find_po_box(text: str, lowered: str) -> Iterator[tuple[int, int]]:
    """P.O. Box forms: found from each "box", whose label starts with a "p" just before."""
    if len(lowered) != len(text):
        yield from (m.span() for m in _PO_BOX.finditer(text))
        return
    end = 0
    for at in _occurrences(lowered, "box"):
        for start in range(max(end, at - 16), at):
            if lowered[start] == "p" and (m := _PO_BOX.match(text, start)) is not None:
                end = m.end()
                yield m.span()
                break


def _find_ipv6(text: str, _lowered: str = "") -> Iterator[tuple[int, int]]:
    """Around each ":x:" or "::", the run of hex digits, colons and dots, if it is a valid
    IPv6 address (so 10:30:00 and MAC addresses are not)."""
    done = 0
    for hint in _V6_HINT.finditer(text):
        if hint.start() < done:
            continue
        start, end = hint.start(), hint.end()
        while start > 0 and text[start - 1] in _V6_CHARS and hint.start() - start < 40:
            start -= 1
        while end < len(text) and text[end] in _V6_CHARS and end - hint.end() < 40:
            end += 1
        done = end
        if (start and (text[start - 1].isalnum() or text[start - 1] == "_")) or \
                (end < len(text) and (text[end].isalnum() or text[end] == "_")):
            continue  # part of a longer word
        run = text[start:end]
        # The run may end with the sentence's "." or ":" (fe80::1: ...).
        for candidate in dict.fromkeys((run, run.rstrip("."), run.rstrip(".:"))):
            if len(candidate) >= 3 and _DIGIT.search(candidate) and _is_ipv6(candidate):
                yield start, start + len(candidate)
                break


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False  # 10:30:00, a MAC address
    return True


# The digit-holding shapes that are not number-led, each a scan of its own, run only on text
# (lower-cased) holding one of their hints: a substring search is many times faster.
_FINDERS: dict[str, Callable[[str, str], Iterator[tuple[int, int]]]] = {
    "dob": _find_dob, "address": _find_po_box, "ip": _find_ipv6}
_HINTS: dict[str, tuple[str, ...]] = {
    "dob": ("dob", "d.o.b", "birth", "born"), "address": ("box",), "ip": (":",)}
_DOB_HINTS = ("dob", "d.o.b", "date", "birth", "born")  # where a label can start


@lru_cache(maxsize=16)
def _numbers_regex(detectors: tuple[str, ...]) -> re.Pattern[str] | None:
    """The one scan for the number-led shapes of the enabled detectors."""
    parts = [_NUMBER_PARTS[k] for k in ("ssn", "phone", "ip", "address") if k in detectors]
    if "phone" in detectors or "ssn" in detectors:
        parts.append(_NUMBER_PARTS["bare"])
    if not parts:
        return None
    # A number, "(" or "+" that does not continue a longer number. It may continue a word:
    # OCR glues words to numbers (tel555-0143), file names join them with "_" (scan_415-...);
    # a street address alone needs a number of its own (its lookbehind says so).
    return re.compile(r"[+(\[0-9](?<![0-9][+(\[0-9])(?:" + "|".join(parts) + ")")


def _find_numbers(regex: re.Pattern[str], detectors: tuple[str, ...], text: str
                  ) -> Iterator[Span]:
    pos, last_phone = 0, -100
    while (m := regex.search(text, pos)) is not None:
        found = _number_kind(m, detectors, text, last_phone)
        if found is None:
            pos = m.start() + 1  # refused: what starts inside it may still be something
            continue
        yield found
        pos = m.end()
        if found[2] == "phone":
            last_phone = pos


def _number_kind(m: re.Match[str], detectors: tuple[str, ...], text: str,
                 last_phone: int) -> Span | None:
    """What a number-led match is, once the checks a regular expression cannot make are
    made: octets up to 255, 8 to 15 digits in an international number, a label next to
    bare digits or a local number, line breaks in a phone number."""
    start, end = m.span()
    group = m.lastgroup
    if group == "address" and (m.group().split(None, 2)[1].lower() == "block" or
                               _is_year_phrase(m.group(), text, start)):
        return None  # 6200 BLOCK PRESTON HWY: police data already cut to the hundred-block
    if group == "phone" and m.group("local") is not None:
        return (start, end, "phone") if _local_ok(m.group(), text, start, last_phone) \
            else None
    if group == "phone" and not _phone_ok(m.group(), text, start):
        return None
    if group in ("ssn", "phone", "address"):
        return start, end, group
    if group == "ipv4":
        return (start, end, "ip") if all(int(o) <= 255 for o in m.group().split(".")) \
            else None
    if group == "intl":
        return (start, end, "phone") if 8 <= sum(c.isdigit() for c in m.group()) <= 15 \
            else None
    digits = m.group()
    if "phone" in detectors and _is_phone_digits(digits) and (
            _phone_word_before(text, start) or _PHONE_WORD_AFTER.match(text, end)):
        return (start - 1 if start and text[start - 1] == "+" else start), end, "phone"
    if "ssn" in detectors and len(digits) == 9 and \
            _SSN_LABEL.search(text[max(0, start - 32):start]):
        return start, end, "ssn"
    return None


def _is_year_phrase(address: str, text: str, start: int) -> bool:
    """"In 2019 Superior Court ...": a year after a preposition, not a house number."""
    number = address.split(None, 1)[0]
    return len(number) == 4 and number[:2] in ("19", "20") and \
        bool(_YEAR_BEFORE.search(text[max(0, start - 10):start]))


def _phone_word_before(text: str, start: int) -> bool:
    return bool(_PHONE_WORD_BEFORE.search(text[max(0, start - 24):start].rstrip("+")))


def _local_ok(number: str, text: str, start: int, last_phone: int) -> bool:
    """A seven-digit number is a phone number after a phone word (tel555-0143) or just
    after another phone number ("(415) 555-0142 or 555-0143"), written plainly."""
    if not number[:3].isdigit() or "\n" in number or "/" in number:
        return False
    if _phone_word_before(text, start):
        return True
    return 0 <= start - last_phone <= 8 and bool(_PHONE_JOINER.match(text[last_phone:start]))


def _phone_ok(number: str, text: str, start: int) -> bool:
    """The checks of a phone number's shape that its expression leaves: two OCR letters at
    most; the last four digits glued to the exchange only after a parenthesised area code
    ((415) 5550162; 415-5550162 reads like an identifier) or a phone word; a line break
    after a separator or ")" (415-\n555, (415)\n555), or for the separator before the last
    four digits of a number whose area code has a separator of its own (415-555\n0143).
    Other line breaks need a phone word: a column of figures reads like 426 / 521 / 1855."""
    if _PLAIN_PHONE_END.search(number) and "\n" not in number and \
            not any(c in number for c in "OolI"):
        return True  # nearly every number: written plainly, nothing to check
    parts = _PHONE_PARTS.search(number)
    if parts is None or sum(c in "OolI" for c in parts.group()) > 2:
        return False
    area, line = parts.group(1), parts.group(2)
    area_mark, line_mark = area.strip(_BLANK), line.strip(_BLANK)
    loose = not line and not area_mark.startswith((")", "]"))
    if "\n" in number:
        loose = loose or number.count("\n") > 2 or ("\n" in area and not area_mark) or (
            "\n" in line and not line_mark and not area_mark)
    return not loose or _phone_word_before(text, start)


def _is_phone_digits(digits: str) -> bool:
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    return len(digits) == 10 and digits[0] not in "01" and digits[3] not in "01"


def _terms_regex(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    """One alternation of whole-word literal terms (any case, any run of spaces inside)."""
    if not terms:
        return None
    parts = [r"\s+".join(re.escape(w) for w in t.split())
             for t in sorted(terms, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def _outside_page_breaks(spans: list[Span], text: str) -> list[Span]:
    """Spans cut around the page breaks ("\n\f") in them: a mask never joins two pages."""
    if "\f" not in text:
        return spans
    out: list[Span] = []
    for start, end, kind in spans:
        at = text.find("\f", start, end)
        while at >= 0:
            cut = at - 1 if at > start and text[at - 1] == "\n" else at
            if cut > start:
                out.append((start, cut, kind))
            start = at + 1
            at = text.find("\f", start, end)
        if end > start:
            out.append((start, end, kind))
    return out


def _merge(spans: list[Span]) -> list[Span]:
    """Overlapping matches become one span (their union: no character of either is left
    out), labelled by the longer one."""
    spans.sort(key=lambda s: (s[0], -s[1]))
    out: list[Span] = []
    for start, end, kind in spans:
        if out and start < out[-1][1]:
            last_start, last_end, last_kind = out[-1]
            longer = kind if end - start > last_end - last_start else last_kind
            out[-1] = (last_start, max(end, last_end), longer)
        else:
            out.append((start, end, kind))
    return out


# -- the redactor --------------------------------------------------------------------------------
class Redactor:
    """Masks text, table cells and metadata under one dataset's rules."""

    def __init__(self, rules: RedactionRules = RedactionRules()) -> None:  # noqa: B008
        self.rules = rules
        self._email = "email" in rules.detectors
        self._numbers = _numbers_regex(rules.detectors)
        self._digit_finders = [(kind, _FINDERS[kind], _HINTS[kind])
                               for kind in rules.detectors if kind in _FINDERS]
        self._digits = self._numbers is not None or bool(self._digit_finders)
        self._columns = {column_key(c) for c in rules.columns}
        self._terms = _terms_regex(rules.terms)
        self._patterns = [compile_pattern(p) for p in rules.patterns]

    def spans(self, text: str) -> list[Span]:
        """(start, end, kind) of every match, merged: sorted and non-overlapping. The
        detectors read the text as a reader does (reader_text.py: decoded, and across page
        breaks and their footers); each match is mapped back to the original characters
        that hold it, its encoded form whole, never a page break."""
        if not text:
            return []
        view = reader_view(text)
        if view is None:
            return self._spans(text)
        found = [(start, end, kind) for v0, v1, kind in self._spans(view.text)
                 for start, end in view.pieces(v0, v1)]
        if view.unsure:
            found += _outside_page_breaks(self._spans(text), text)
        for join in view.joins():
            for w0, w1, kind in self._spans(join.text):
                for v0, v1 in join.crossing(w0, w1) or ():
                    found += [(start, end, kind) for start, end in view.pieces(v0, v1)]
        return _merge(found) if len(found) > 1 else found

    def _spans(self, text: str) -> list[Span]:
        """The detectors, terms and patterns on `text` as it is."""
        found: list[Span] = []
        lowered = text.lower()
        if self._email:
            if "@" in text:
                found += [(s, e, "email") for s, e in _find_email(text)]
            if _obfuscated(text, lowered):
                found += [(s, e, "email") for s, e in _find_obfuscated_email(text)]
        # Every other detector's shape holds a digit: most table cells have none.
        if self._digits and _DIGIT.search(text):
            if self._numbers is not None:
                found += _find_numbers(self._numbers, self.rules.detectors, text)
            for kind, finder, hints in self._digit_finders:
                if any(h in lowered for h in hints):
                    found += [(s, e, kind) for s, e in finder(text, lowered)]
        if self._terms is not None:
            found += [(m.start(), m.end(), "term") for m in self._terms.finditer(text)]
        for pattern in self._patterns:
            found += [(m.start(), m.end(), "pattern") for m in pattern.finditer(text)
                      if m.end() > m.start()]
        return _merge(found) if len(found) > 1 else found

    def text(self, text: str) -> str:
        """The text masked. A label can free a neighbour that the masked value hid: in
        ``fe80::1%44+444444444`` the digits before the "+" keep it from reading as a phone
        number, but not once the address is ``[ip]``. So the stretches around the labels are
        read again (and again, at most `MASK_PASSES` times) until nothing more is found:
        masking a masked text changes nothing (benchmarks/fuzz_parsers.py checks it)."""
        spans = self.spans(text)
        for _ in range(MASK_PASSES):
            if not spans:
                return text
            text, labels = _masked(text, spans)
            spans = self._spans_near(text, labels)
        return text

    def _spans_near(self, text: str, labels: list[tuple[int, int]]) -> list[Span]:
        """Spans found again in the windows of `NEAR` characters around each label."""
        found: list[Span] = []
        for low, high in _windows(labels, text):
            found += [(low + s, low + e, kind) for s, e, kind in self.spans(text[low:high])
                      if not _only_labels(text, low + s, low + e, labels)]
        return _merge(found) if len(found) > 1 else found

    def is_personal_column(self, name: str) -> bool:
        return column_key(name) in self._columns

    def cell(self, column: str, value: Any) -> Any:
        """A table cell: a personal column's value masked whole (an empty cell stays empty,
        so a reader still sees which cells were filled), other text through the detectors;
        numbers and dates as they are."""
        if value is None or value == "":
            return value
        if self.is_personal_column(column):
            return MASK
        return self.text(value) if isinstance(value, str) else value

    def metadata(self, value: Any) -> Any:
        """Document metadata: strings masked at any depth; a key named like a personal
        column (author, last_modified_by...) has its whole value masked."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self._masked_all(v) if isinstance(k, str) and self.is_personal_column(k)
                    else self.metadata(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.metadata(v) for v in value)
        return value

    def _masked_all(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._masked_all(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._masked_all(v) for v in value)
        return value if value is None or value == "" or isinstance(value, bool) else MASK


MASK_PASSES = 4
NEAR = 64  # characters either side of a label read again: more than any value detected


def _masked(text: str, spans: list[Span]) -> tuple[str, list[tuple[int, int]]]:
    """The text with each span replaced by its label, and where the labels are."""
    out, labels, last, at = [], [], 0, 0
    for start, end, kind in spans:
        piece, label = text[last:start], LABELS[kind]
        at += len(piece)
        out += [piece, label]
        labels.append((at, at + len(label)))
        at += len(label)
        last = end
    out.append(text[last:])
    return "".join(out), labels


def _windows(labels: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    """Stretches around the labels, widened to whitespace: a window must not cut a longer
    run of digits into something that reads as a number of its own."""
    windows: list[tuple[int, int]] = []
    for start, end in labels:
        low, high = _blank_before(text, start - NEAR), _blank_after(text, end + NEAR)
        if windows and low <= windows[-1][1]:
            windows[-1] = (windows[-1][0], high)
        else:
            windows.append((low, high))
    return windows


def _blank_before(text: str, at: int) -> int:
    if at <= 0:
        return 0
    found = max(text.rfind(" ", 0, at), text.rfind("\n", 0, at))
    return found + 1 if found >= 0 else 0


def _blank_after(text: str, at: int) -> int:
    if at >= len(text):
        return len(text)
    found = [i for i in (text.find(" ", at), text.find("\n", at)) if i >= 0]
    return min(found) if found else len(text)


def _only_labels(text: str, start: int, end: int, labels: list[tuple[int, int]]) -> bool:
    """Whether [start, end) is nothing but labels (a term that names a label's word)."""
    covered = sum(max(0, min(end, b) - max(start, a)) for a, b in labels)
    return covered >= end - start


@lru_cache(maxsize=64)
def redactor_for(rules: RedactionRules) -> Redactor:
    """The redactor of some rules, built once (its patterns are compiled once)."""
    return Redactor(rules)
