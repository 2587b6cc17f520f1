"""`trawl tag ...` and `trawl note ...`: readers' tags and notes (search/annotations.py).

    trawl tag add ID_OR_PATH TAG [--dataset NAME] [--user USER] [--group G] [--json]
    trawl tag remove ID_OR_PATH TAG [--dataset NAME] [--user USER]
    trawl tag list [ID_OR_PATH] [--dataset NAME] [--user USER] [--prefix P] [--json]
    trawl note add ID_OR_PATH TEXT [--dataset NAME] [--user USER] [--group G] [--json]
    trawl note edit NOTE_ID TEXT [--user USER] [--group G]
    trawl note remove NOTE_ID [--user USER]
    trawl note list [ID_OR_PATH] [--dataset NAME] [--user USER] [--search WORDS] [--json]

ID_OR_PATH is a document's id or one of its paths in --dataset (as `trawl show` takes it),
or `row:TABLE:ROW` for a row of a table. With --user the command acts as that account: its
read scope (what it may read, in full), its own and its groups' tags and notes, and it is
their author. Without, it is the data folder's owner at the terminal: every tag and note is
listed, and what is written is written by `cli:<os user>`. Writes are audited (actions
`tag` and `note`) as `cli:<os user>`, with the account acted for.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from trawl.cli.audit_commands import cli_actor
from trawl.cli.entity_commands import _audit
from trawl.cli.groups import Command, command_group
from trawl.cli.wording import counted
from trawl.errors import BadRequest, NotFound
from trawl.storage.datadir import DataDir


def register(command: Command) -> None:
    leaf = command_group(command, "tag", "Readers' tags on documents and rows of tables: "
                         "add, remove, list (`trawl search 'tag:NAME'` finds them).")
    p = leaf("add", cmd_tag_add, "Tag a document (or row:TABLE:ROW).")
    _target(p)
    p.add_argument("tag", help="the tag (lower-cased, spaces as -)")
    _who(p, share=True)
    p = leaf("remove", cmd_tag_remove, "Remove your tag from a document (or row).")
    _target(p)
    p.add_argument("tag")
    _who(p)
    p = leaf("list", cmd_tag_list, "The tags of a document (or row), or every tag seen.")
    _target(p, optional=True)
    p.add_argument("--prefix", help="only tag names starting with this, with their counts")
    _who(p)

    leaf = command_group(command, "note", "Readers' notes on documents and rows of tables.")
    p = leaf("add", cmd_note_add, "Write a note on a document (or row:TABLE:ROW).")
    _target(p)
    p.add_argument("text")
    _who(p, share=True)
    p = leaf("edit", cmd_note_edit, "Change the text (and sharing) of your note.")
    p.add_argument("note_id", type=int)
    p.add_argument("text")
    _who(p, share=True)
    p = leaf("remove", cmd_note_remove, "Delete your note.")
    p.add_argument("note_id", type=int)
    _who(p)
    p = leaf("list", cmd_note_list, "The notes of a document (or row), or every note seen.")
    _target(p, optional=True)
    p.add_argument("--search", default="", metavar="WORDS",
                   help="only the notes holding every one of these words")
    _who(p)


def _target(p: argparse.ArgumentParser, optional: bool = False) -> None:
    p.add_argument("id_or_path", nargs="?" if optional else None, metavar="ID_OR_PATH",
                   help="a document's id, its path in --dataset, or row:TABLE:ROW")
    p.add_argument("--dataset", help="the dataset (for a path; narrows a listing)")


def _who(p: argparse.ArgumentParser, share: bool = False) -> None:
    p.add_argument("--user", help="act as this account (its scope, tags and notes)")
    if share:
        p.add_argument("--group", help="share with this group (default: private)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _annotations(args: argparse.Namespace):  # noqa: ANN202 (the read side, imported lazily)
    from trawl.access.policy import Principal, read_scope
    from trawl.access.store import AccessStore
    from trawl.search.annotations import Annotations
    from trawl.search.service import Archive

    data = DataDir.open(args.data_dir, create=False)
    archive = Archive(data)
    if args.user:
        store = AccessStore(data.access_path)
        try:
            user = store.user(args.user)
            if user is None:
                raise NotFound(f"no account named {args.user!r}")
            principal = Principal(user.name, user.is_admin, user.groups,
                                  store.granted_datasets(user))
        finally:
            store.close()
        archive = archive.scoped(read_scope(principal, archive.catalog.datasets()))
    return data, Annotations(archive, owner=cli_actor())


def _resolve(notes: Any, args: argparse.Namespace):  # noqa: ANN202
    value = args.id_or_path
    if value.startswith("row:"):
        parts = value.split(":")
        if len(parts) != 3 or not all(p.isdigit() for p in parts[1:]):
            raise BadRequest(f"{value!r}: a row is row:TABLE:ROW (numbers)")
        return notes.row(int(parts[1]), int(parts[2]))
    return notes.document(value, args.dataset)


def _record(data: DataDir, args: argparse.Namespace, action: str, dataset: str,
            target: str, detail: dict[str, Any]) -> None:
    _audit(data, action, dataset, target, {**detail, **({"as": args.user} if args.user
                                                         else {})})


def _print(args: argparse.Namespace, value: Any, line: str) -> int:
    print(json.dumps(value, indent=2, ensure_ascii=False) if args.json else line)
    return 0


def cmd_tag_add(args: argparse.Namespace) -> int:
    data, notes = _annotations(args)
    target = _resolve(notes, args)
    tag = notes.add_tag(target, args.tag, args.group)
    _record(data, args, "tag", target.dataset, target.key, {"op": "add", "tag": tag.name})
    shared = f" (shared with {tag.shared_with})" if tag.shared_with else ""
    return _print(args, asdict(tag), f"tagged {target.key} {tag.name}{shared}")


def cmd_tag_remove(args: argparse.Namespace) -> int:
    from trawl.access.annotations import normalise_tag

    data, notes = _annotations(args)
    target = _resolve(notes, args)
    name = normalise_tag(args.tag)
    if not notes.remove_tag(target, name):
        raise NotFound(f"{target.key} has no tag {name!r} of yours")
    _record(data, args, "tag", target.dataset, target.key, {"op": "remove", "tag": name})
    return _print(args, {"removed": name}, f"removed {name} from {target.key}")


def cmd_tag_list(args: argparse.Namespace) -> int:
    _data, notes = _annotations(args)
    datasets = [args.dataset] if args.dataset else None
    if args.prefix is not None:
        names = notes.complete(args.prefix, datasets, limit=100)
        return _print(args, [{"tag": n, "count": c} for n, c in names],
                      "\n".join(f"{c:>6}  {n}" for n, c in names) or "no tags")
    tags = notes.tags(_resolve(notes, args)) if args.id_or_path else \
        notes.listing(datasets)
    if args.json:
        return _print(args, [asdict(t) for t in tags], "")
    print(counted(len(tags), "tag"))
    for t in tags:
        shared = f"  [{t.shared_with}]" if t.shared_with else ""
        print(f"{t.name}  {t.dataset}:{t.target}  by {t.author}{shared}")
    return 0


def cmd_note_add(args: argparse.Namespace) -> int:
    data, notes = _annotations(args)
    target = _resolve(notes, args)
    note = notes.add_note(target, args.text, args.group)
    _record(data, args, "note", target.dataset, target.key, {"op": "add", "note": note.id})
    return _print(args, asdict(note), f"note {note.id} on {target.key}")


def cmd_note_edit(args: argparse.Namespace) -> int:
    data, notes = _annotations(args)
    note = notes.update_note(args.note_id, args.text, args.group)
    _record(data, args, "note", note.dataset, note.target, {"op": "edit", "note": note.id})
    return _print(args, asdict(note), f"note {note.id} changed")


def cmd_note_remove(args: argparse.Namespace) -> int:
    data, notes = _annotations(args)
    note = notes.remove_note(args.note_id)
    _record(data, args, "note", note.dataset, note.target, {"op": "remove", "note": note.id})
    return _print(args, {"removed": note.id}, f"note {note.id} removed")


def cmd_note_list(args: argparse.Namespace) -> int:
    _data, notes = _annotations(args)
    found = notes.notes(_resolve(notes, args)) if args.id_or_path else \
        notes.search_notes(args.search, [args.dataset] if args.dataset else None)
    if args.id_or_path and args.search:
        words = args.search.lower().split()
        found = [n for n in found if all(w in n.text.lower() for w in words)]
    if args.json:
        return _print(args, [asdict(n) for n in found], "")
    print(counted(len(found), "note"))
    for n in found:
        shared = f" [{n.shared_with}]" if n.shared_with else ""
        print(f"\n#{n.id}  {n.dataset}:{n.target}  by {n.author}{shared}")
        print("  " + "\n  ".join(n.text.splitlines()))
    return 0
