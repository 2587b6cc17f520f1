"""Seeded bulletin prose: template filling, document model, and near-duplicate variants.

A :class:`Doc` is format-independent (title, header, sections of paragraphs); the writers in
:mod:`benchmarks.corpus.formats` and :mod:`benchmarks.corpus.images` render it. Shared
bulletins are built from their own seed key so that any site can re-create them, and a
*variant* re-dates, re-heads and rewrites one paragraph of the original.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from . import names
from . import words as W

START = datetime(2010, 1, 4)
END = datetime(2020, 6, 6, 18, 0)
SPAN_S = int((END - START).total_seconds())
COVID_START = datetime(2020, 1, 21)
UNREST_START = datetime(2020, 5, 26)
TOPIC_NAMES = tuple(W.TOPICS)
TOPIC_WEIGHTS = (14, 14, 8, 10, 6, 12, 10, 5, 6, 6, 9)
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def rand_date(rng: random.Random, topic: str = "") -> datetime:
    """A time in 2010..mid-2020, skewed to later years; COVID and unrest topics in 2020."""
    if topic == "covid":
        span = int((END - COVID_START).total_seconds())
        return COVID_START + timedelta(seconds=rng.randrange(span))
    if topic == "protest" and rng.random() < 0.6:
        return UNREST_START + timedelta(seconds=rng.randrange(11 * 86400))
    frac = rng.random() ** 0.6  # more activity in later years
    return START + timedelta(seconds=int(SPAN_S * frac))


def codename(rng: random.Random) -> str:
    return "".join(rng.choice(W.CODE_SYLL) for _ in range(rng.choice((2, 2, 3)))).title()


class Slots(dict[str, str]):
    """Fills template fields lazily: every ``{field}`` gets a freshly drawn value."""

    def __init__(self, prose: Prose) -> None:
        super().__init__()
        self.p = prose

    def __missing__(self, key: str) -> str:
        return self.p.slot(key)


@dataclass
class Prose:
    rng: random.Random
    state: str
    when: datetime
    site_title: str = "Regional Intelligence Center"

    def _date(self, spread_days: int = 40) -> datetime:
        delta = timedelta(days=self.rng.randrange(-spread_days, 5))
        return max(START, min(END, self.when + delta))

    def slot(self, key: str) -> str:  # noqa: C901 - a flat dispatch table reads best here
        r = self.rng
        simple = _SIMPLE.get(key)
        if simple is not None:
            return r.choice(simple)
        if key.endswith("_t"):
            return self.slot(key[:-2]).title()
        match key:
            case "town":
                return names.town(r)
            case "state":
                return self.state
            case "state_name":
                return names.state_row(self.state)[1]
            case "agency":
                return names.agency(r, self.state)
            case "date":
                return self._date().strftime(r.choice(("%B %d, %Y", "%m/%d/%Y", "%d %B %Y")))
            case "time":
                return f"{r.randrange(24):02d}{r.randrange(0, 60, 5):02d} hours"
            case "month" | "month2":
                return MONTHS[self._date(200).month - 1]
            case "n":
                return str(r.randrange(2, 60))
            case "n2":
                return f"{r.randrange(60, 20000):,}"
            case "pct":
                return str(r.randrange(5, 300))
            case "plate":
                return names.plate(r)
            case "person":
                return f"{r.choice(names.FIRST_NAMES)} {names.surname(r)}"
            case "phone":
                return names.phone(r)
            case "email":
                return f"intel{r.randrange(10, 99)}@example.org"
            case "ip" | "ip2":
                return names.ip(r)
            case "street":
                return names.address(r)
            case "case":
                return f"{self.when.year}-{r.randrange(100000):05d}"
            case "codename":
                return codename(r)
            case "group":
                return f"{r.choice(W.GROUPS_HEAD)} {r.choice(W.GROUPS_TAIL)}"
            case "moniker":
                return f"'{codename(r)}{r.randrange(10, 99)}'"
            case "cve":
                return f"CVE-{r.randrange(2009, self.when.year + 1)}-{r.randrange(1000, 30000)}"
            case "hashtag":
                return codename(r) + r.choice(("Now", "Strong", "Rising", "Justice", "Unite"))
            case "domain":
                return f"{codename(r).lower()}-secure-login.example.com"
            case "filename":
                return f"{codename(r).lower()}_{r.randrange(1000)}.{r.choice(('exe', 'js', 'doc'))}"
            case "hash":
                return f"{r.getrandbits(128):032x}"
            case "site_title":
                return self.site_title
            case "title":
                return r.choice(names.RANKS)
        return key


_SIMPLE: dict[str, tuple[str, ...]] = {
    "weapon": W.WEAPONS, "drug": W.DRUGS, "drug2": W.DRUGS, "vehicle": W.VEHICLES,
    "color": W.COLORS, "malware": W.MALWARE, "platform": W.PLATFORMS, "infra": W.INFRA,
    "event": W.EVENTS, "venue": W.VENUES, "course": W.COURSES, "rare": W.RARE,
    "topic_word": W.KEYWORDS, "threat": W.THREATS, "unit": W.UNITS, "subject": W.SUBJECTS,
}


@dataclass
class Doc:
    topic: str
    title: str
    date: datetime
    agency: str
    tracking: str
    caveat: str
    sections: list[tuple[str, list[str]]]
    keywords: list[str]
    author: str
    needle: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        first = self.sections[0][1][0] if self.sections and self.sections[0][1] else self.title
        return first[:240]

    def paragraphs(self) -> list[str]:
        return [p for _, paras in self.sections for p in paras]

    def text_lines(self) -> list[str]:
        """Logical lines (headings and paragraphs), header and footer included."""
        out = [self.caveat, self.agency, self.title, self.date.strftime("%B %d, %Y"),
               f"Tracking Number: {self.tracking}", ""]
        for head, paras in self.sections:
            out.append(head)
            out.extend(paras)
            out.append("")
        if self.needle:
            out.append(f"Reference tag: {self.needle}")
        out.append(self.caveat)
        return out


def paragraph(p: Prose, topic: str, sentences: int) -> str:
    """``sentences`` sentences on ``topic`` (no template twice), some generic ones mixed in."""
    pool = W.TOPICS[topic]["sentences"]
    slots = Slots(p)
    rng = p.rng
    picks = rng.sample(pool, min(sentences, len(pool)))
    parts = []
    for tpl in picks:
        if rng.random() < 0.22:
            tpl = rng.choice(W.GENERIC)
        parts.append(tpl.format_map(slots))
    return " ".join(parts)


def pick_topic(rng: random.Random) -> str:
    return rng.choices(TOPIC_NAMES, weights=TOPIC_WEIGHTS)[0]


def make_doc(rng: random.Random, state: str, issuer: str, paras: int,
             topic: str | None = None, site_title: str = "") -> Doc:
    """A bulletin of about ``paras`` paragraphs on ``topic`` (random when None)."""
    topic = topic or pick_topic(rng)
    when = rand_date(rng, topic)
    p = Prose(rng, state, when, site_title or issuer)
    title = rng.choice(W.TOPICS[topic]["titles"]).format_map(Slots(p))
    sections: list[tuple[str, list[str]]] = []
    left = max(1, paras)
    heads = list(W.SECTION_HEADS)
    rng.shuffle(heads)
    while left > 0:
        n = min(left, rng.randrange(1, 5))
        head = heads[len(sections) % len(heads)]
        sections.append((head, [paragraph(p, topic, rng.randrange(3, 8)) for _ in range(n)]))
        left -= n
    kws = rng.sample(W.KEYWORDS, 3) + [rng.choice(W.RARE)]
    prefix = "".join(w[0] for w in issuer.split() if w[:1].isalpha()).upper()[:6] or "IB"
    return Doc(
        topic=topic,
        title=title,
        date=when,
        agency=issuer,
        tracking=f"{prefix}-{when.year}-{rng.randrange(10000):04d}",
        caveat=rng.choice(W.CAVEATS),
        sections=sections,
        keywords=kws,
        author=f"{rng.choice(names.RANKS)} {rng.choice(names.FIRST_NAMES)} {names.surname(rng)}",
    )


def variant(doc: Doc, rng: random.Random, issuer: str, state: str) -> Doc:
    """A near-duplicate: re-dated, re-headed by ``issuer``, one paragraph rewritten."""
    when = min(END, doc.date + timedelta(days=rng.randrange(1, 30)))
    p = Prose(rng, state, when, issuer)
    sections = [(h, list(ps)) for h, ps in doc.sections]
    si = rng.randrange(len(sections))
    pi = rng.randrange(len(sections[si][1]))
    sections[si][1][pi] = paragraph(p, doc.topic, rng.randrange(3, 7))
    title = doc.title if rng.random() < 0.5 else f"{doc.title} (Update)"
    return replace(doc, date=when, agency=issuer, sections=sections, title=title)


def replace_needle(doc: Doc, needle: str) -> Doc:
    return replace(doc, needle=needle)


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap; much faster than :mod:`textwrap` for our plain prose."""
    lines: list[str] = []
    cur: list[str] = []
    n = 0
    for w in text.split():
        if n + len(w) > width and cur:
            lines.append(" ".join(cur))
            cur, n = [], 0
        cur.append(w)
        n += len(w) + 1
    if cur:
        lines.append(" ".join(cur))
    return lines


def short_text(rng: random.Random, state: str, topic: str | None = None,
               sentences: int = 2, when: datetime | None = None, site_title: str = "") -> str:
    """One paragraph of prose, for table cells (descriptions, summaries)."""
    topic = topic or pick_topic(rng)
    prose = Prose(rng, state, when or rand_date(rng, topic), site_title or "Fusion Center")
    return paragraph(prose, topic, sentences)


def needle_word(rng: random.Random) -> str:
    """A made-up word that is OCR-friendly (no easily confused letters) and unique enough."""
    cons, vows = "bcdfghkmnprstvwxz", "aeu"
    return "".join(rng.choice(cons) + rng.choice(vows) for _ in range(5)).capitalize()
