"""Correspondents: who wrote to whom in a dataset, computed from the thread store's messages
(storage/threads.py) by one grouped query, so there is no table or stage to keep in step:
every message the thread stage has read already holds its sender and participants (sender
first, then To, Cc, Bcc: derive/threads.py `message_facts`).

An edge is (sender, recipient): each other participant of a message the sender wrote, with
the messages that carry it and their first and last dates. By domain, both ends are the part
after the "@" and a message counts once per pair of domains however many recipients of one
domain it had. Filters: a date range (on the message's date, ISO text, so a day compares as a
prefix: the thread store's index on (dataset, date) serves it) and a source (a top folder: a
message counts if one of its dataset's paths is under it). The answer is bounded (the top
`limit` edges in the order asked, and the number of edges there are: a window count, in the
same pass); the work is not: every message of the dataset in the filters is read, about
0.3 s at 20,000 messages (BENCHMARKS.md). An aggregate kept by the thread stage is the
next step where that is too slow.
"""

from __future__ import annotations

from dataclasses import dataclass

from trawl.storage.catalog import Catalog

BY = ("address", "domain")
# Sort keys -> ORDER BY (a fixed list: nothing a caller types reaches the SQL text).
SORTS = {
    "messages": "messages DESC, first, sender, recipient",
    "first": "first IS NULL, first, messages DESC, sender, recipient",
    "last": "last IS NULL, last DESC, messages DESC, sender, recipient",
    "from": "sender, messages DESC, recipient",
    "to": "recipient, messages DESC, sender",
}
_DOMAIN = "lower(substr({0}, instr({0}, '@') + 1))"


@dataclass(frozen=True)
class EdgeFilter:
    start: str | None = None    # a date (prefix of ISO text), inclusive
    end: str | None = None      # a date, inclusive: every time of that day
    source: str | None = None   # a top folder


@dataclass
class Edge:
    sender: str
    recipient: str
    messages: int
    first: str | None
    last: str | None


class CorrespondentStore:
    """Read-only queries on the thread tables of one catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.db = catalog.db

    @property
    def present(self) -> bool:
        return self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                               "AND name = 'thread_messages'").fetchone() is not None

    def edges(self, dataset_id: int, by: str = "address", where: EdgeFilter = EdgeFilter(),  # noqa: B008
              sort: str = "messages", limit: int = 100) -> tuple[list[Edge], int]:
        """The top `limit` edges of a dataset in the order `sort` names, and how many."""
        if by not in BY or sort not in SORTS:
            raise ValueError(f"by={by!r} sort={sort!r}")
        if not self.present:
            return [], 0
        sender, recipient, count = "m.sender", "p.value", "COUNT(*)"
        if by == "domain":
            sender, recipient = _DOMAIN.format("m.sender"), _DOMAIN.format("p.value")
            count = "COUNT(DISTINCT m.document_id)"
        conditions, args = _conditions(dataset_id, where)
        rows = self.db.execute(
            f"SELECT {sender} AS sender, {recipient} AS recipient, {count} AS messages, "
            "MIN(m.date) AS first, MAX(m.date) AS last, COUNT(*) OVER () "
            "FROM thread_messages m, json_each(m.participants) p "
            f"WHERE {conditions} GROUP BY 1, 2 ORDER BY {SORTS[sort]} LIMIT ?",
            (*args, limit)).fetchall()
        total = rows[0][5] if rows else 0
        return [Edge(r[0], r[1], r[2], r[3] or None, r[4] or None) for r in rows], total


def _conditions(dataset_id: int, where: EdgeFilter) -> tuple[str, list[object]]:
    parts = ["m.dataset_id = ?", "m.thread_id != ''", "m.sender != ''",
             "p.value != m.sender", "instr(p.value, '@') > 0"]
    args: list[object] = [dataset_id]
    if where.start:
        parts.append("m.date >= ?")
        args.append(where.start)
    if where.end:
        parts.append("m.date <= ?")
        args.append(where.end + "\uffff")  # the whole last day (and any time in it)
    if where.source:
        # '/' + 1 is '0': the paths under the folder, as a range of the (dataset, path)
        # index. Uncorrelated, so the contents under it are read once (correlated, it read
        # the folder's paths again for every message: seconds at 20,000 messages).
        parts.append("m.sha256 IN (SELECT f.sha256 FROM files f WHERE f.dataset_id = ? "
                     "AND f.path >= ? AND f.path < ?)")
        args += [dataset_id, where.source + "/", where.source + "0"]
    return " AND ".join(parts), args
