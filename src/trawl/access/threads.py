"""What a reader may see of a dataset's e-mail threads: the one decision, for the pages, the
API and the CLI (search/threads.py asks it about everything it returns).

Threads are made of a dataset's messages, and a message is a document: a caller who may not
read the dataset sees no thread of it (NotFound, as for a thread that does not exist), and a
thread never shows a message its caller could not open (search/threads.py reads each one
through the caller's scoped archive and leaves out what that refuses).

A caller who reads a public dataset through its redacted view reads its messages masked, as
on their document pages; of their threads:

* subjects go through the dataset's redactor, as titles do;
* participants (e-mail addresses: personal data, as access/entities.py treats them) are
  shown masked, each through the redactor, so the list says how many took part and nothing
  of who; counts of messages stay (a redacted document list shows them too);
* a participant filter cannot be used to test for a masked address: an address that the
  redactor would mask finds no thread, exactly as an address that never wrote.

Correspondents (who wrote to whom, search/correspondents.py) are made of the same messages.
A full reader gets them by address or by domain. A redacted reader gets domains only,
whatever was asked: an address is personal data and a masked one would be a node that says
nothing ("[email]" writing to "[email]"), while a domain names an organisation (an agency,
a company) as the masked documents do. Each domain still goes through the redactor (an
admin term masks it), and edges whose ends mask to the same labels are merged into one
aggregated edge, so no masked edge tells that two hidden parties differ. A source filter
that names a masked value matches nothing, as a path would.
"""

from __future__ import annotations

from trawl.access.entities import unchanged
from trawl.access.policy import Access
from trawl.access.redaction import Redactor


def visible_participants(access: Access, addresses: list[str],
                         redactor: Redactor | None) -> list[str]:
    """A thread's participants as a caller with `access` sees them."""
    if access is Access.FULL:
        return list(addresses)
    if access is not Access.REDACTED or redactor is None:
        return []
    return [redactor.text(a) for a in addresses]


def participant_filter(access: Access, address: str | None,
                       redactor: Redactor | None) -> tuple[bool, str | None]:
    """(whether anything may match, the address to filter on) for a participant filter a
    caller typed: for a redacted reader, a value the redactor masks matches nothing."""
    address = (address or "").strip().lower() or None
    if address is None or access is Access.FULL:
        return True, address
    if access is not Access.REDACTED or redactor is None:
        return False, address
    return unchanged(redactor, address), address


def correspondents_by(access: Access, asked: str) -> str:
    """The grouping a caller gets: a redacted reader gets domains whatever it asked."""
    return asked if access is Access.FULL else "domain"
