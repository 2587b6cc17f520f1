"""Fictitious identities: people, agencies, places, phones, e-mails, plates and addresses.

Everything here is invented and plainly so: surnames are made-up words, phones are in the
555-0100..0199 block reserved for fiction, e-mails live at example.org/example.com, licence
plates start with FAKE/TEST, IPs come from the documentation ranges of RFC 5737.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST_NAMES = _words(
    "Alex Jordan Casey Morgan Taylor Riley Jamie Avery Quinn Dana Robin Terry Lee Drew Jesse "
    "Cameron Parker Reese Hayden Skyler Emerson Rowan Sage Blake Kendall Logan Peyton Shawn "
    "Marion Frankie Kerry Leslie Carmen Toni Noel Ellis Harper Micah Corey Dale Tracy Jody "
    "Francis Adrian Ashton Brett Carol Daniel Elena Fiona George Helen Irene James Karen Linda "
    "José Renée Zoë Maria Nathan Oscar Paula Ramon Sandra Thomas Ursula Victor Wendy Xavier "
    "Yolanda Zachary"
)

SURNAME_HEADS = _words(
    "Brin Quill Fenn Marr Tobb Wick Lark Dunn Hask Pell Corv Jass Mott Renn Sall Tarv Vell "
    "Yarb Zell Grott Hollo Kemb Lisk Nesb Ostr Plim Rusk Stodd Threl Umb Wexl Abb Crann Dreck"
)
SURNAME_TAILS = _words(
    "worth more ley ford wick stead ham by ridge combe ton vale brook holt mere field shaw "
    "thorpe well ings den hurst win low cott"
)

TOWN_HEADS = _words(
    "Alder Birch Cedar Elm Fair Glen Hazel Iron Juniper Kings Laurel Maple North Oak Pine "
    "Quarry Red River Silver Stone Sun Timber Willow West East South Clear Copper Eagle"
)
TOWN_TAILS = _words(
    "ton ville haven field brook ford port dale wood crest ridge springs falls creek mont "
    "view bend harbor point mill"
)
STREETS = _words(
    "Main St|Oak Ave|Pine St|Maple Dr|Cedar Ln|Elm St|Park Ave|Lake Rd|Hill St|Church St|"
    "Washington Blvd|Industrial Pkwy|Commerce Dr|Airport Rd|Harbor Way|Mill Rd|2nd St|5th Ave"
, "|")
# (state code, state name, approximate latitude, longitude) used to place invented towns.
STATES = (
    ("CA", "California", 37.5, -121.5),
    ("TX", "Texas", 30.5, -97.5),
    ("ME", "Maine", 44.5, -69.5),
    ("DE", "Delaware", 39.0, -75.5),
    ("AZ", "Arizona", 33.5, -112.0),
    ("IL", "Illinois", 41.5, -88.5),
    ("FL", "Florida", 28.0, -82.0),
    ("NY", "New York", 42.5, -75.0),
    ("CO", "Colorado", 39.5, -105.0),
    ("GA", "Georgia", 33.5, -84.0),
    ("OH", "Ohio", 40.0, -82.5),
    ("WA", "Washington", 47.0, -121.5),
    ("MO", "Missouri", 38.5, -92.5),
    ("NM", "New Mexico", 35.0, -106.5),
    ("PA", "Pennsylvania", 40.5, -77.5),
    ("MN", "Minnesota", 45.5, -94.0),
)
AREA_CODES = ("201", "212", "303", "312", "404", "415", "512", "602", "713", "916", "207", "302")
EMAIL_DOMAINS = ("example.org", "example.com", "example.net")
AGENCY_KINDS = (
    "{town} Police Department",
    "{town} County Sheriff's Office",
    "{state} State Police",
    "{town} Fire Department",
    "{town} Emergency Management Agency",
    "{town} Unified School District Police",
    "{state} Department of Corrections",
    "{town} Transit Police",
    "{town} Port Authority",
    "{state} Highway Patrol",
    "{town} Public Health Department",
    "Federal Task Force ({town} Field Office)",
)
RANKS = (
    "Officer", "Detective", "Sergeant", "Lieutenant", "Captain", "Deputy", "Analyst",
    "Intelligence Analyst", "Special Agent", "Trooper", "Investigator", "Program Manager",
    "Fire Captain", "Emergency Planner", "Dispatcher", "Chief", "Corporal",
)

# Real portal names from the public reporting, then invented ones to fill larger corpora.
KNOWN_SITES = (
    ("ncric", "Northern California Regional Intelligence Center", "CA"),
    ("jric", "Joint Regional Intelligence Center", "CA"),
    ("arictexas", "Austin Regional Intelligence Center", "TX"),
    ("memiac", "Maine Information and Analysis Center", "ME"),
    ("dediac", "Delaware Information and Analysis Center", "DE"),
    ("houstonhidta", "Houston High Intensity Drug Trafficking Area", "TX"),
    ("miacx", "MIAC Exchange Portal", "MO"),
    ("fbinaatexas", "FBI National Academy Associates of Texas", "TX"),
)
SITE_HEADS = (
    "alder", "bayshore", "cascade", "delta", "eastfork", "flint", "granite", "harbor", "ironwood",
    "juniper", "keystone", "lakeshore", "mesa", "northgate", "ozark", "prairie", "quarry",
    "redrock", "sierra", "tidewater", "upland", "valley", "westbay", "yellowpine", "summit",
)
SITE_TAILS = (
    ("ric", "Regional Intelligence Center"),
    ("iac", "Information and Analysis Center"),
    ("fc", "Fusion Center"),
    ("hidta", "High Intensity Drug Trafficking Area"),
    ("isac", "Information Sharing and Analysis Center"),
    ("lea", "Law Enforcement Alliance"),
    ("cop", "Community Policing Network"),
    ("tlo", "Terrorism Liaison Officer Program"),
)
USAO_DISTRICTS = ("flm", "nwd", "sek", "wdp", "edn", "cdr", "mdq", "sdv")


_ASCII = str.maketrans("éë", "ee")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    email: str
    phone: str
    title: str
    agency: str

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class SiteInfo:
    path: str  # relative folder, e.g. "ncric" or "usao/usaoflmtraining"
    name: str  # short name, e.g. "ncric"
    title: str  # long name
    state: str  # state code
    csv: bool = True  # False for the odd portal folder that holds files but no tables


def surname(rng: random.Random) -> str:
    return rng.choice(SURNAME_HEADS) + rng.choice(SURNAME_TAILS)


def town(rng: random.Random) -> str:
    return rng.choice(TOWN_HEADS) + rng.choice(TOWN_TAILS)


def state_row(code: str) -> tuple[str, str, float, float]:
    return next((s for s in STATES if s[0] == code), STATES[0])


def phone(rng: random.Random) -> str:
    return f"({rng.choice(AREA_CODES)}) 555-01{rng.randrange(100):02d}"


def plate(rng: random.Random) -> str:
    return f"{rng.choice(('FAKE', 'TEST', 'FAKE', 'XMPL'))}{rng.randrange(100, 1000)}"


def ip(rng: random.Random) -> str:
    prefix = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{prefix}.{rng.randrange(1, 255)}"


def agency(rng: random.Random, state: str) -> str:
    return rng.choice(AGENCY_KINDS).format(town=town(rng), state=state_row(state)[1])


def person(rng: random.Random, state: str, agency_name: str | None = None) -> Person:
    first, last = rng.choice(FIRST_NAMES), surname(rng)
    local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", f"{last}{rng.randrange(99)}"))
    local = local.translate(_ASCII)
    return Person(
        first=first,
        last=last,
        email=f"{local.lower()}@{rng.choice(EMAIL_DOMAINS)}",
        phone=phone(rng),
        title=rng.choice(RANKS),
        agency=agency_name or agency(rng, state),
    )


def address(rng: random.Random) -> str:
    return f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}"


def site_list(rng: random.Random, count: int) -> list[SiteInfo]:
    """The portal folders: the known names first, then invented ones, some under usao/."""
    sites = [SiteInfo(name, name, title, st) for name, title, st in KNOWN_SITES[:count]]
    used = {s.name for s in sites}
    while len(sites) < count:
        if len(sites) % 12 == 11:
            dist = rng.choice(USAO_DISTRICTS) + rng.choice(("", "2", "3"))
            name = f"usao{dist}training"
            title = f"U.S. Attorney's Office {dist.upper()} Training Portal"
            info = SiteInfo(f"usao/{name}", name, title, rng.choice(STATES)[0])
        else:
            head, (tail, long_tail) = rng.choice(SITE_HEADS), rng.choice(SITE_TAILS)
            name = head + tail
            info = SiteInfo(name, name, f"{head.title()} {long_tail}", rng.choice(STATES)[0])
        if info.name in used:
            info = SiteInfo(info.path + str(len(sites)), info.name + str(len(sites)),
                            info.title, info.state)
        used.add(info.name)
        sites.append(info)
    if count >= 8:  # one portal folder without tables, as in the real dump
        last = sites[-1]
        sites[-1] = SiteInfo(last.path, last.name, last.title, last.state, csv=False)
    return sites
