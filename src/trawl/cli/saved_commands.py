"""`trawl saved`: an account's saved searches at the terminal.

    trawl saved add NAME QUERY [--dataset NAME ...] [--filter name:value ...] [--user U]
    trawl saved list [--user U] [--json]        each with how many results are new
    trawl saved run NAME [--user U] [--json]    the new results; marks the search viewed
    trawl saved remove NAME [--user U]

The account is `--user`, else TRAWL_USER, else the one named like the system user. Its
searches run through its own scope (search/saved.py), so the terminal shows what the website
shows that account, not what the data folder's owner could read. The parameters are checked
and kept by web/params.py, the parser of the search page and the API.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
from typing import Any
from urllib.parse import parse_qsl, urlencode

from trawl.cli.entity_commands import _audit
from trawl.cli.groups import Command, command_group
from trawl.cli.wording import counted
from trawl.storage.datadir import DataDir


def register(command: Command) -> None:
    leaf = command_group(command, "saved", "An account's saved searches and what is new in "
                         "them since they were last viewed.")
    p = leaf("add", cmd_add, "Save a search for an account.")
    p.add_argument("name")
    p.add_argument("query", help="the query, as the search box takes it (* for everything)")
    p.add_argument("--dataset", action="append", default=[], help="restrict to a dataset "
                   "(repeatable)")
    p.add_argument("--filter", action="append", default=[], metavar="NAME:VALUE",
                   help="a filter of the search page (type:pdf, year:2020...; repeatable)")
    _user(p)
    p = leaf("list", cmd_list, "The account's saved searches, each with its new results.")
    _user(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = leaf("run", cmd_run, "The results new since the search was last viewed (then it is "
             "marked viewed).")
    p.add_argument("name")
    p.add_argument("--limit", type=int, default=50)
    _user(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p = leaf("remove", cmd_remove, "Delete a saved search.")
    p.add_argument("name")
    _user(p)


def _user(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", help="the account (default: TRAWL_USER, else the system user)")


def _searches(args: argparse.Namespace) -> Any:
    from trawl.access.store import AccessStore
    from trawl.search.saved import SavedSearches, user_scope
    from trawl.search.service import Archive
    from trawl.web.params import saved_query

    data = DataDir.open(args.data_dir, create=False)
    archive = Archive(data)
    store = AccessStore(data.access_path)
    name = args.user or os.environ.get("TRAWL_USER") or getpass.getuser()
    user_id, scope = user_scope(store, archive, name)
    return SavedSearches(store, archive.scoped(scope), user_id, saved_query)


def cmd_add(args: argparse.Namespace) -> int:
    from trawl.web.params import saved_params

    pairs = [("q", args.query), *[("dataset", d) for d in args.dataset],
             *[("filter", f) for f in args.filter]]
    saved = _searches(args).add(args.name, saved_params(urlencode(pairs)))
    print(f"saved {saved.name!r}: {_described(saved.params)}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    counts = _searches(args).listing()
    if args.json:
        print(json.dumps({"saved": [_count_json(c) for c in counts]}, indent=2,
                         ensure_ascii=False))
        return 0
    for c in counts:
        new = ("at least " if c.capped else "") + f"{c.new} new"
        print(f"{c.saved.name}\t{new}\t{_described(c.saved.params)}")
    if not counts:
        print("no saved search (trawl saved add NAME QUERY)")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    searches = _searches(args)
    saved = searches.named(args.name)
    result = searches.run(saved, limit=max(1, min(args.limit, 200)))
    _audit(DataDir.open(args.data_dir, create=False), "search", None, saved.params[:500],
           {"saved": saved.name, "user": args.user, "new": result.total})
    if args.json:
        print(json.dumps({"name": saved.name, "new": result.total,
                          "hits": [{"id": h.id, "dataset": h.dataset, "path": h.path,
                                    "title": h.title, "type": h.family}
                                   for h in result.hits]}, indent=2, ensure_ascii=False))
        return 0
    print(counted(result.total, "new document") + f" for {saved.name!r}")
    for h in result.hits:
        print(f"{h.id}  {h.dataset}:{h.path}" + (f"  {h.title}" if h.title else ""))
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    searches = _searches(args)
    searches.delete(searches.named(args.name).id)
    print(f"removed {args.name!r}")
    return 0


def _described(params: str) -> str:
    return " ".join(f"{k}={v}" for k, v in parse_qsl(params))


def _count_json(c: Any) -> dict[str, Any]:
    return {"id": c.saved.id, "name": c.saved.name, "params": c.saved.params,
            "new": c.new, "at_least": c.capped, "viewed_at": c.saved.viewed_at}
