"""The ground truth of entities: every e-mail address, phone number, IP address, URL,
domain, person and organisation the generator writes where a reader (or Trawl) can read it,
with the sites it is in.

The generator's values have fixed, fictitious formats (names.py, text.py): addresses at
``example.org/.com/.net``, phones ``(AAA) 555-01NN``, IPs from the RFC 5737 ranges, URLs
``https://<site>.example.org/`` and ``https://www.example.org/<page>``, look-alike domains
``<word>-secure-login.example.com``; people are a first name of `names.FIRST_NAMES` and a
made-up surname (`SURNAME_HEADS` + `SURNAME_TAILS`: "Alex Brinworth"), organisations an
agency of `names.AGENCY_KINDS` ("Cedarville Police Department") or a portal's title
(`KNOWN_SITES`, "<Head> Regional Intelligence Center"...). A table row's ``FirstName`` and
``LastName`` are one person (the generator tells `saw` the name they make). So the truth is
read off the logical texts the generator writes (a document's lines before they are laid
out on pages, a table's cells, an e-mail's headers and body), by those formats and nothing
else: no general recogniser is involved, and a phone the layout wraps across two lines of
a PDF is still one phone.

Left out on purpose: text that exists only as pixels (scanned pages, photo captions, flyers,
screenshots and the handles in them: finding it needs OCR), and an e-mail's own headers
that name no address of the generator's (Message-ID at mail.example.org).

Written into the manifest as ``entities``: ``{kind: {value as written: [site, ...]}}``. No
random number is drawn here, so recording the truth changes no byte of the corpus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from . import names

KINDS = ("email", "phone", "ip", "url", "domain", "person", "org")


def _any(words: Iterable[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


_TOWN = _any(names.TOWN_HEADS) + _any(names.TOWN_TAILS)


def _agency_pattern() -> str:
    states = _any(state[1] for state in names.STATES)
    kinds = []
    for kind in names.AGENCY_KINDS:
        pattern = re.escape(kind).replace(re.escape("{town}"), _TOWN)
        kinds.append(pattern.replace(re.escape("{state}"), states))
    titles = [re.escape(title) for _name, title, _state in names.KNOWN_SITES]
    heads = _any(head.title() for head in names.SITE_HEADS)
    tails = _any(tail for _short, tail in names.SITE_TAILS)
    return "(?:" + "|".join([*kinds, *titles, f"{heads} {tails}"]) + ")"

_FORMATS = {
    "email": re.compile(r"(?<![\w.\-])[a-z0-9][a-z0-9.]*@example\.(?:org|com|net)(?![\w\-])"),
    "phone": re.compile(r"\([0-9]{3}\) 555-01[0-9]{2}(?![0-9])"),
    "ip": re.compile(r"(?<![0-9.])(?:192\.0\.2|198\.51\.100|203\.0\.113)\.[0-9]{1,3}"
                     r"(?![0-9])"),
    "url": re.compile(r"https://[a-z0-9.\-]+\.example\.org/[a-z]*"),
    "domain": re.compile(r"(?<![\w.\-])[a-z0-9]+-secure-login\.example\.com"),
    "person": re.compile(r"(?<![\w])" + _any(names.FIRST_NAMES) + " " + _any(names.SURNAME_HEADS)
                         + _any(names.SURNAME_TAILS) + r"(?![\w])"),
    "org": re.compile(r"(?<![\w])" + _agency_pattern() + r"(?![\w])"),
}


class Truth:
    def __init__(self) -> None:
        self.values: dict[str, dict[str, set[str]]] = {kind: {} for kind in KINDS}

    def saw(self, site: str, texts: Iterable[object]) -> None:
        """Texts written where they can be read, in the site (folder) `site`."""
        for text in texts:
            if not isinstance(text, str) or len(text) < 7:
                continue
            for kind, pattern in _FORMATS.items():
                for value in pattern.findall(text):
                    self.values[kind].setdefault(value, set()).add(site)

    def to_dict(self) -> dict[str, dict[str, list[str]]]:
        return {kind: {value: sorted(sites) for value, sites in sorted(values.items())}
                for kind, values in self.values.items()}
