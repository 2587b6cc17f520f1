"""Which table columns hold which kind of entity, by their names, and how their cells read.

A cell of a column named for a kind (`EmailAddress`, `WorkPhone`, `Fax`, `URL`, `Twitter`,
`IPAddress` ...) is read as that kind whole: a phone column's ``2125550123`` is a number
there, though bare digits in free text are not taken for one; a `Twitter` column's ``jdoe``
is the account twitter:jdoe. Every other text column goes through the recogniser like a
document's text (a SARs summary that gives a phone number, an e-mail body's addresses).
Names are compared as redaction compares them (access/redaction.py `column_key`): without
case, separators or trailing digits, so `Email_2` and `email` are `Email`.

Names: a `FullName`, `fullname`, `SupervisorFullName`, `ContactName`, `EmailFromName`,
`ApprovedBy`, `AssignedTo` or `Author` cell is a person (one that holds an address or an
agency is not), an
`AgencyOrganization`, `AgencyOrganizationName`, `Organization`, `Agency`, `LeadAgency` or
`Company` cell an organisation, a `City` or `County` cell a place, each read whole, through
the same filter and keys as the model's names (names.py), so that the person of a
registration and the same person named in a bulletin are one entity. A `FirstName` and a
`LastName` of the same prefix (`FirstName`/`LastName`, `SupervisorFirstName`/...) make one
person per row ("Jane" + "Doe" = "Jane Doe"; its field is both columns joined by "+"). A bare
`Name` column is left out: in this schema it names a form, a category or a file as often as
a person. `State` is left out too: its cells are mostly codes ("CA").
"""

from __future__ import annotations

import re

from trawl.derive.entities.links import handle_key, url_key
from trawl.derive.entities.model import Found
from trawl.derive.entities.names import NAMED_KINDS, junk, key_of, trimmed
from trawl.derive.entities.patterns import Recogniser

# What a name ends with, after `column_key`: the column's kind.
_ENDINGS: tuple[tuple[str, str], ...] = (
    ("emailaddress", "email"), ("email", "email"), ("emailfrom", "email"),
    ("emailto", "email"), ("replyto", "email"), ("emaillist", "email"), ("e-mail", "email"),
    ("phonenumber", "phone"), ("phone", "phone"), ("telephone", "phone"), ("fax", "phone"),
    ("faxnumber", "phone"), ("cell", "phone"), ("cellphone", "phone"), ("mobile", "phone"),
    ("pager", "phone"), ("url", "url"), ("website", "url"), ("webpage", "url"),
    ("homepage", "url"), ("link", "url"), ("weblink", "url"), ("ipaddress", "ip"),
    ("ip", "ip"), ("ipaddr", "ip"), ("remoteaddr", "ip"), ("remoteip", "ip"),
    ("clientip", "ip"),
    ("fullname", "person"), ("contactname", "person"), ("fromname", "person"),
    ("approvedby", "person"), ("assignedto", "person"), ("author", "person"),
    ("agencyorganization", "org"),
    ("agencyorganizationname", "org"), ("organization", "org"), ("organisation", "org"),
    ("organizationname", "org"), ("agency", "org"), ("agencyname", "org"),
    ("company", "org"), ("companyname", "org"),
)
# Whole names only: "ethnicity" and "capacity" end with "city".
_EXACT = {"city": "place", "county": "place", "cityname": "place", "countyname": "place"}
FIRST_NAME, LAST_NAME = "firstname", "lastname"
_PLATFORMS = {"twitter": "twitter", "facebook": "facebook", "instagram": "instagram",
              "tiktok": "tiktok", "youtube": "youtube", "telegram": "telegram"}
_NOT_ENTITIES = ("emailbody", "emailsubject", "emailname", "emailtable", "emailcount",
                 "emailtemplate", "linkcolor", "linkcategory")


def column_key(name: str) -> str:
    """A column name as it is compared: no case, no separators, no trailing digits."""
    return re.sub(r"[\s_\-.]+", "", name).lower().rstrip("0123456789")


def column_kind(name: str) -> str | None:
    """The kind a column's name says its cells hold (a platform's name for an account
    column: "twitter"), or None for any other column."""
    key = column_key(name)
    if not key or key in _NOT_ENTITIES:
        return None
    for platform, kind in _PLATFORMS.items():
        if key.startswith(platform) and not key.endswith(("count", "id", "date")):
            return kind
    if key in _EXACT:
        return _EXACT[key]
    for ending, kind in _ENDINGS:
        if key.endswith(ending):
            return kind
    return None


def whole_cell(recogniser: Recogniser, kind: str, value: str) -> Found | None:
    """A cell of a column named for `kind` (or for a platform), read whole: what the
    recogniser does not take from free text (bare digits in a phone column, "jdoe" in a
    Twitter column, "example.org" in a URL column)."""
    whole = value.strip()
    if not whole or len(whole) > 300:
        return None
    start = value.index(whole[0])
    key: str | None = None
    found_kind = kind
    if kind in NAMED_KINDS:
        return name_cell(kind, whole, start)
    if kind == "phone":
        key = recogniser.phones.parse_cell(whole)
    elif kind == "url":
        key = url_key(whole) if "." in whole and " " not in whole else None
    elif kind in _PLATFORMS.values():
        key, found_kind = handle_key(kind, whole), "handle"
    if key is None:
        return None
    return Found(found_kind, key, whole, start, start + len(whole))


def name_cell(kind: str, value: str, start: int = 0) -> Found | None:
    """A cell that holds a name of `kind`, as the model's names are kept (names.py): not a
    column header or boilerplate; case need not be a name's, a table may be in capitals or
    in lower case."""
    text, start = trimmed(value, start)
    if junk(kind, text, strict=False):
        return None
    key = key_of(kind, text)
    return None if key is None else Found(kind, key, text, start, start + len(text))


def name_pairs(names: list[str]) -> list[tuple[int, int]]:
    """(first, last) indexes of the `FirstName`/`LastName` columns of the same prefix."""
    keys = [column_key(name) for name in names]
    pairs = []
    for first, key in enumerate(keys):
        if key.endswith(FIRST_NAME):
            wanted = key[:-len(FIRST_NAME)] + LAST_NAME
            if wanted in keys:
                pairs.append((first, keys.index(wanted)))
    return pairs


def cell_mentions(recogniser: Recogniser, kind: str | None, value: str) -> list[Found]:
    """The mentions of one cell: what the recogniser finds, and for a column named for a
    kind, the cell whole when the recogniser found nothing of that kind in it."""
    found = recogniser.find(value)
    if kind is None or any(f.kind in (kind, "handle") for f in found):
        return found
    whole = whole_cell(recogniser, kind, value)
    return found if whole is None else [*found, whole]
