"""The pattern recogniser: every kind of step 1 in a text, one compiled scan per kind.

`Recogniser(region).find(text)` returns the mentions of a text in order of position:
e-mail addresses, phone numbers (phones.py), URLs with their domains, bare domains and
social accounts (links.py), IP addresses. Each finder skips in C to where its kind can
start (an "@", a digit, "://", "." + a TLD) and only there does Python look closer, so the
cost is one pass of the regular expression engine per kind, whatever the text's length.

* ``email``: ``local@domain.tld``, the key lower-cased (mail systems treat the whole
  address without case in practice, though RFC 5321 lets the local part have it). The
  domain needs a letter before its TLD, so ``76936@20140224123907.mpg`` file names are left
  alone; a ``mailto:`` before it is not part of it.
* ``ip``: IPv4 with valid octets (``ipaddress``); one whose four numbers are all below 20
  (``3.1.4.1``, ``4.1.1.2``: sections and versions, in this corpus) only after a word such
  as IP, host, DNS, from, by, or before a port or a prefix length (``10.0.0.1:8080``).
  IPv6 full or compressed, with at least three groups (so times like 10:30:00 and most
  ``a::b`` words are not), key in compressed form. The unspecified addresses 0.0.0.0 and
  :: are not entities.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator

from trawl.derive.entities.links import (
    PLATFORMS,
    find_bare_domains,
    find_handles,
    find_urls,
    url_key,
)
from trawl.derive.entities.model import Found
from trawl.derive.entities.names import NAMED_KINDS, display, key_of
from trawl.derive.entities.phones import DEFAULT_REGION, PhoneFinder, international

_EMAIL_DOMAIN = re.compile(
    r"@((?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+[^\W\d_]{2,24})(?![\w\-]|\.[^\W_])")
_LOCAL_REVERSED = re.compile(r"[\w.%+'\-]{1,64}")  # the local part, read backwards from "@"
_IPV4 = re.compile(r"[0-9](?<![\w.][0-9])[0-9]{0,2}(?:\.[0-9]{1,3}){3}(?![\w]|\.[0-9])")
# IPv6: found around a "::" or a run of three ":x:" groups (literal-led: the engine skips
# to each ":" in C); times (10:30:00) have neither.
_V6_HINT = re.compile(r":(?::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:)")
# An address whose four numbers are all small (3.1.4.1) is as often a section or a version
# number: it needs a word that says it is an address (IP, host, DNS, from, by...) or a port.
_SMALL_OCTET = 20
_ADDRESS_WORD_BEFORE = re.compile(
    r"(?i:\b(?:ip(?:v4)?|address|addr|host|server|dns|gateway|gw|router|resolver|"
    r"nameserver|proxy|client|src|dst|source|destination|from|by|via|to|ping|connect\w*))"
    r"[ \t]*[:=#\-]?[ \t]*\Z")
_PORT_AFTER = re.compile(r"(?::[0-9]{1,5}|/[0-9]{1,2})(?![0-9])")
_UNSPECIFIED = "0.0.0.0"  # noqa: S104 (no host: a placeholder, not an address to bind)
_V6_RUN = re.compile(r"[0-9A-Fa-f:.]{2,45}")


def find_emails(text: str) -> Iterator[Found]:
    if "@" not in text:
        return
    for m in _EMAIL_DOMAIN.finditer(text):
        domain = m.group(1)
        if not any(c.isalpha() for c in domain[:domain.rfind(".")]):
            continue  # 76936@20140224123907.mpg
        at = m.start()
        local = _LOCAL_REVERSED.match(text[max(0, at - 64):at][::-1])
        if local is None:
            continue
        size = len(local.group().rstrip(".'"))  # a local part never starts with "." or "'"
        if not size:
            continue
        start = at - size
        written = text[start:m.end()]
        yield Found("email", written.lower(), written, start, m.end())


def find_ips(text: str) -> Iterator[Found]:
    for m in _IPV4.finditer(text):
        written = m.group()
        octets = [int(octet) for octet in written.split(".")]
        if max(octets) > 255 or written == _UNSPECIFIED:
            continue
        if max(octets) < _SMALL_OCTET and not _said_to_be_an_address(text, m.start(), m.end()):
            continue  # 3.1.4.1, 2.18.2.1: a section, a version
        yield Found("ip", str(ipaddress.IPv4Address(written)), written, m.start(), m.end())
    if ":" not in text:
        return
    done = 0
    for hint in _V6_HINT.finditer(text):
        if hint.start() >= done and (found := _ipv6_around(text, hint.start())) is not None:
            done = found.end
            yield found


def _said_to_be_an_address(text: str, start: int, end: int) -> bool:
    return bool(_ADDRESS_WORD_BEFORE.search(text, max(0, start - 24), start)
                or _PORT_AFTER.match(text, end))


def _ipv6_around(text: str, at: int) -> Found | None:
    """The IPv6 address around the colon at `at`, if the run of hex digits and colons there
    is one."""
    start = at
    while start > 0 and text[start - 1] in _HEX_COLON and at - start < 40:
        start -= 1
    m = _V6_RUN.match(text, start)
    if m is None:
        return None
    end = m.end()
    if (start and (text[start - 1].isalnum() or text[start - 1] == "_")) or \
            (end < len(text) and (text[end].isalnum() or text[end] == "_")):
        return None  # part of a longer word
    run = m.group().rstrip(".:")
    if len([g for g in run.split(":") if g]) < 3:
        return None  # fe80::1, a::b: too little to tell from a word
    return _ipv6(run, start)


def _ipv6(run: str, start: int) -> Found | None:
    try:
        address = ipaddress.IPv6Address(run)
    except ValueError:
        return None  # a MAC address, a C++ name
    if address.is_unspecified:
        return None
    return Found("ip", address.compressed, run, start, start + len(run))


_HEX_COLON = frozenset("0123456789abcdefABCDEF:")


def display_value(kind: str, key: str, text: str = "") -> str:
    """How an entity is shown: its key, but a phone number in international format
    (+1 212-555-0123), which a reader takes in at a glance. A function of the key alone, so
    every run shows an entity the same way, whatever spelling it met first. A name's key
    has lost its case and accents: it is shown as first written, tidied (names.py)."""
    if kind in NAMED_KINDS:
        return display(kind, text) if text else key
    return international(key) if kind == "phone" else key


class Recogniser:
    """Finds every kind in a text; built once per process and region (its patterns are
    compiled once, its phone parses cached)."""

    def __init__(self, region: str = DEFAULT_REGION) -> None:
        self.phones = PhoneFinder(region)
        self.region = self.phones.region

    def find(self, text: str) -> list[Found]:
        if not text:
            return []
        emails = list(find_emails(text))
        links = list(find_urls(text))
        taken = [(f.start, f.end) for f in emails] + \
            [(f.start, f.end) for f in links if f.kind == "url"]
        links += find_bare_domains(text, taken)
        taken += [(f.start, f.end) for f in links if f.kind == "url"]
        found = [*emails, *links, *find_handles(text)]
        if _has_digit(text):
            # A phone or an IP inside an address or a URL is part of it, not one more.
            found += [f for f in self.phones.find(text) if not _inside(f, taken)]
            found += [f for f in find_ips(text) if not _inside(f, taken)]
        found.sort(key=lambda f: (f.start, -f.end, f.kind))
        return found


_DIGIT = re.compile(r"[0-9]")


def _has_digit(text: str) -> bool:
    return _DIGIT.search(text) is not None


def _inside(found: Found, spans: list[tuple[int, int]]) -> bool:
    return any(s <= found.start and found.end <= e for s, e in spans)


def keys_of(value: str, region: str = DEFAULT_REGION) -> list[tuple[str | None, str]]:
    """The (kind, key) pairs a value typed by a reader may name, most likely first (kind
    None: a key of any kind): the value as a key itself (``twitter:jdoe``,
    ``+12125550123``), what the recogniser finds in it (``(212) 555-0123``,
    ``Jane@Example.org``), a phone number in bare digits, for an ``@name`` that name on
    every platform, and the value as a name's key (``Doe, Jane`` is the person jane doe)."""
    text = value.strip()
    if not text:
        return []
    keys: list[tuple[str | None, str]] = [(None, text), (None, text.lower())]
    recogniser = Recogniser(region)
    keys += [(f.kind, f.key) for f in recogniser.find(text)]
    if (phone := recogniser.phones.parse_cell(text)) is not None:
        keys.append(("phone", phone))
    if "@" not in text and (url := url_key(text)) is not None:
        keys.append(("url", url))
    if text.startswith("@") and " " not in text:
        keys += [("handle", f"{platform}:{text[1:].lower()}") for platform in PLATFORMS]
    keys += [(kind, key) for kind in NAMED_KINDS  # "Doe, Jane Q." is jane q doe
             if "@" not in text and (key := key_of(kind, text)) is not None]
    return list(dict.fromkeys(keys))
