"""`trawl user|group|token|dataset ...`: accounts, groups, API tokens, visibility and grants.

    trawl user add NAME [--admin] [--generate | --password-stdin]
    trawl user passwd NAME [--generate | --password-stdin]
    trawl user remove NAME | list [--json] | admin NAME yes|no | unlock NAME
    trawl group add NAME | remove NAME | member GROUP USER [--remove] | list
    trawl token create USER NAME [--days N] | revoke USER NAME | list [USER]
    trawl dataset list [--json]
    trawl dataset visibility NAME private|restricted|public
    trawl dataset grant NAME (--user U | --group G)   and   trawl dataset revoke ...
    trawl dataset redaction NAME [--add-column C] [--remove-column C] [--add-term T]
                                 [--add-pattern RE] [--disable DETECTOR] [--enable DETECTOR]
                                 [--reset] [--test TEXT]

Passwords are typed twice at a prompt (never on the command line, where `ps` shows them),
read from standard input, or generated and printed once. Every change is audited as
"cli:<os user>".
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys
from collections.abc import Callable
from typing import Any

from trawl.access.audit import AuditLog
from trawl.access.passwords import generated_password
from trawl.access.policy import VISIBILITIES
from trawl.access.redaction import DETECTORS, RedactionRules, Redactor
from trawl.access.store import AccessStore
from trawl.cli.audit_commands import cli_actor
from trawl.cli.groups import Command, command_group
from trawl.cli.wording import when
from trawl.errors import NotFound
from trawl.storage.catalog import Catalog
from trawl.storage.datadir import DataDir


def register(sub: Any, command: Command) -> None:
    _register_users(command)
    _register_groups(command)
    _register_tokens(command)
    _register_datasets(command)


def _register_users(command: Command) -> None:
    leaf = command_group(command, "user", "Accounts: add, remove, change passwords.")
    p = leaf("add", cmd_user_add, "Add an account (a reader, or an admin with --admin).")
    p.add_argument("name")
    p.add_argument("--admin", action="store_true", help="may read everything and manage access")
    _password_options(p)
    p = leaf("passwd", cmd_user_passwd, "Set an account's password (ends its sessions).")
    p.add_argument("name")
    _password_options(p)
    p = leaf("remove", cmd_user_remove, "Remove an account, its sessions, tokens, grants, "
             "tags and notes.")
    p.add_argument("name")
    p = leaf("admin", cmd_user_admin, "Make an account an admin (yes) or a reader (no).")
    p.add_argument("name")
    p.add_argument("value", choices=("yes", "no"))
    p = leaf("unlock", cmd_user_unlock, "Lift a login lockout after failed attempts.")
    p.add_argument("name")
    p = leaf("list", cmd_user_list, "List accounts.")
    p.add_argument("--json", action="store_true")


def _register_groups(command: Command) -> None:
    leaf = command_group(command, "group", "Groups of accounts, to grant datasets to.")
    p = leaf("add", cmd_group_add, "Add a group.")
    p.add_argument("name")
    p = leaf("remove", cmd_group_remove, "Remove a group and its grants.")
    p.add_argument("name")
    p = leaf("member", cmd_group_member, "Put an account in a group (or take it out).")
    p.add_argument("group")
    p.add_argument("user")
    p.add_argument("--remove", action="store_true")
    leaf("list", cmd_group_list, "List groups and their members.")


def _register_tokens(command: Command) -> None:
    leaf = command_group(command, "token", "API tokens (sent as Authorization: Bearer ...).")
    p = leaf("create", cmd_token_create, "Create a token; it is printed once.")
    p.add_argument("user")
    p.add_argument("name", help="what the token is for (e.g. laptop-script)")
    p.add_argument("--days", type=float, help="expires after this many days (default: never)")
    p = leaf("revoke", cmd_token_revoke, "Revoke a token.")
    p.add_argument("user")
    p.add_argument("name")
    p = leaf("list", cmd_token_list, "List tokens (never their values).")
    p.add_argument("user", nargs="?")


def _register_datasets(command: Command) -> None:
    leaf = command_group(command, "dataset", "Who may read a dataset: visibility, grants, "
                         "redaction of public datasets.")
    p = leaf("list", cmd_dataset_list, "Datasets with their visibility and grants.")
    p.add_argument("--json", action="store_true")
    p = leaf("visibility", cmd_dataset_visibility, "private (admins and grants), restricted "
             "(grants), or public (anyone, redacted; builds the redacted view first).")
    p.add_argument("name")
    p.add_argument("visibility", choices=VISIBILITIES)
    for verb, handler in (("grant", cmd_dataset_grant), ("revoke", cmd_dataset_revoke)):
        p = leaf(verb, handler, f"{verb.capitalize()} full read access for a user or a group.")
        p.add_argument("name")
        who = p.add_mutually_exclusive_group(required=True)
        who.add_argument("--user")
        who.add_argument("--group")
    p = leaf("redaction", cmd_dataset_redaction, "Show or change what is masked for public "
             "readers (a public dataset's view is rebuilt at once).")
    p.add_argument("name")
    p.add_argument("--add-column", action="append", default=[], metavar="COLUMN")
    p.add_argument("--remove-column", action="append", default=[], metavar="COLUMN")
    p.add_argument("--add-term", action="append", default=[], metavar="TERM",
                   help="a word or name masked wherever it appears")
    p.add_argument("--remove-term", action="append", default=[], metavar="TERM")
    p.add_argument("--add-pattern", action="append", default=[], metavar="REGEX")
    p.add_argument("--remove-pattern", action="append", default=[], metavar="REGEX")
    p.add_argument("--disable", action="append", default=[], choices=DETECTORS)
    p.add_argument("--enable", action="append", default=[], choices=DETECTORS)
    p.add_argument("--reset", action="store_true", help="back to the default rules")
    p.add_argument("--test", metavar="TEXT", help="print TEXT as a public reader would see it")
    p.add_argument("--json", action="store_true")


def _password_options(p: argparse.ArgumentParser) -> None:
    how = p.add_mutually_exclusive_group()
    how.add_argument("--generate", action="store_true", help="generate one and print it once")
    how.add_argument("--password-stdin", action="store_true",
                     help="read the password from standard input (one line)")


# -- helpers --------------------------------------------------------------------------------------
def _data(args: argparse.Namespace) -> DataDir:
    return DataDir.open(getattr(args, "data_dir", None))


def _in_annotations(data: DataDir, change: Callable[[Any], Any]) -> Any:
    """`change(store)` on the readers' tags and notes, when there are any (None else)."""
    if not data.annotations_path.exists():
        return None
    from trawl.storage.annotations import AnnotationStore

    store = AnnotationStore(data.annotations_path)
    try:
        return change(store)
    finally:
        store.close()


def _record(data: DataDir, action: str, **fields: Any) -> None:
    with AuditLog(data.audit_path, data.secret_key_path) as log:
        log.record(cli_actor(), action, **fields)


def _password(args: argparse.Namespace) -> str:
    if args.generate:
        password = generated_password()
        print(f"password: {password}")
        return password
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the two passwords differ")
    return first


def _with_store(args: argparse.Namespace, body: Callable[[AccessStore, DataDir], int]) -> int:
    data = _data(args)
    store = AccessStore(data.access_path)
    try:
        return body(store, data)
    finally:
        store.close()


def _change(args: argparse.Namespace, change: Callable[[AccessStore], object], message: str,
            action: str, **audited: Any) -> int:
    """One change of the account store, audited, then said."""
    def body(store: AccessStore, data: DataDir) -> int:
        change(store)
        _record(data, action, **audited)
        print(message)
        return 0
    return _with_store(args, body)


# -- users ----------------------------------------------------------------------------------------
def cmd_user_add(args: argparse.Namespace) -> int:
    def body(store: AccessStore, data: DataDir) -> int:
        user = store.add_user(args.name, _password(args), is_admin=args.admin)
        _record(data, "user_add", target=user.name, detail={"admin": user.is_admin})
        print(f"added {'admin' if user.is_admin else 'reader'} {user.name}")
        return 0
    return _with_store(args, body)


def cmd_user_passwd(args: argparse.Namespace) -> int:
    return _change(args, lambda store: store.set_password(args.name, _password(args)),
                   f"password of {args.name} changed; its sessions are ended",
                   "password", target=args.name)


def cmd_user_remove(args: argparse.Namespace) -> int:
    def body(store: AccessStore, data: DataDir) -> int:
        store.remove_user(args.name)
        # Its tags and notes go too: an account made later under the same name must not
        # inherit another person's private notes (storage/annotations.py keeps names).
        tags, notes = _in_annotations(data, lambda a: a.remove_author(args.name)) or (0, 0)
        _record(data, "user_remove", target=args.name, detail={"tags": tags, "notes": notes})
        print(f"removed {args.name}" + (f" and their {tags} tags and {notes} notes"
                                        if tags or notes else ""))
        return 0
    return _with_store(args, body)


def cmd_user_admin(args: argparse.Namespace) -> int:
    admin = args.value == "yes"
    return _change(args, lambda store: store.set_admin(args.name, admin),
                   f"{args.name} is {'an admin' if admin else 'a reader'}",
                   "grant" if admin else "revoke", target=args.name, detail={"admin": admin})


def cmd_user_unlock(args: argparse.Namespace) -> int:
    return _change(args, lambda store: store.unlock(args.name),
                   f"{args.name} may try to log in again", "user_unlock", target=args.name)


def cmd_user_list(args: argparse.Namespace) -> int:
    def body(store: AccessStore, data: DataDir) -> int:
        users = store.users()
        if args.json:
            print(json.dumps([{"name": u.name, "admin": u.is_admin, "groups": sorted(u.groups),
                               "created": when(u.created_at)} for u in users], indent=2))
            return 0
        for u in users:
            groups = ", ".join(sorted(u.groups))
            print(f"{u.name:<24} {'admin' if u.is_admin else 'reader':<7} {groups}")
        if not users:
            print("no accounts yet: trawl user add NAME --admin")
        return 0
    return _with_store(args, body)


# -- groups ---------------------------------------------------------------------------------------
def cmd_group_add(args: argparse.Namespace) -> int:
    return _change(args, lambda store: store.add_group(args.name), f"added group {args.name}",
                   "group", target=args.name, detail={"added": True})


def cmd_group_remove(args: argparse.Namespace) -> int:
    def change(store: AccessStore) -> None:
        store.remove_group(args.name)
        # What its members shared with it is private again: a group made later under that
        # name must not read it (storage/annotations.py keeps the group's name).
        _in_annotations(_data(args), lambda a: a.unshare_group(args.name))

    return _change(args, change, f"removed group {args.name}", "group", target=args.name,
                   detail={"removed": True})


def cmd_group_member(args: argparse.Namespace) -> int:
    return _change(args, lambda store: store.set_membership(args.group, args.user,
                                                            member=not args.remove),
                   f"{args.user} {'left' if args.remove else 'is in'} {args.group}", "group",
                   target=args.group, detail={"member": args.user, "removed": args.remove})


def cmd_group_list(args: argparse.Namespace) -> int:
    def body(store: AccessStore, data: DataDir) -> int:
        for name, members in store.groups().items():
            print(f"{name:<24} {', '.join(members)}")
        return 0
    return _with_store(args, body)


# -- tokens ---------------------------------------------------------------------------------------
def cmd_token_create(args: argparse.Namespace) -> int:
    def body(store: AccessStore, data: DataDir) -> int:
        secret, token = store.create_token(args.user, args.name, args.days)
        _record(data, "token_create", target=f"{token.name}@{token.user}",
                detail={"expires": when(token.expires_at)})
        print(secret)
        print(f"(the token of {token.user} named {token.name}; it is shown only now)",
              file=sys.stderr)
        return 0
    return _with_store(args, body)


def cmd_token_revoke(args: argparse.Namespace) -> int:
    return _change(args, lambda store: store.revoke_token(args.user, args.name),
                   f"revoked {args.name} of {args.user}", "token_revoke",
                   target=f"{args.name}@{args.user}")


def cmd_token_list(args: argparse.Namespace) -> int:
    def body(store: AccessStore, data: DataDir) -> int:
        for t in store.tokens(args.user):
            state = "revoked" if t.revoked_at else "active"
            print(f"{t.user:<20} {t.name:<24} {state:<8} created {when(t.created_at)} "
                  f"expires {when(t.expires_at)} used {when(t.last_used_at)}")
        return 0
    return _with_store(args, body)


# -- datasets -------------------------------------------------------------------------------------
def _catalog(data: DataDir) -> Catalog:
    if not data.exists():
        raise ValueError(f"no Trawl data in {data.root} (run `trawl ingest` first)")
    return Catalog(data.catalog_path, readonly=True)


def cmd_dataset_list(args: argparse.Namespace) -> int:
    from trawl.access.published import view_is_current

    def body(store: AccessStore, data: DataDir) -> int:
        catalog = _catalog(data)
        try:
            rows = [{"name": ds.name, "visibility": ds.visibility,
                     "grants": [f"{g.principal}:{g.name}" for g in store.grants(ds.name)],
                     "redacted_view_current": view_is_current(catalog, ds)
                     if ds.visibility == "public" else None}
                    for ds in catalog.datasets()]
        finally:
            catalog.close()
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        for row in rows:
            stale = " (redacted view out of date)" if row["redacted_view_current"] is False \
                else ""
            print(f"{row['name']:<24} {row['visibility']:<10} "
                  f"{', '.join(row['grants']) or '-'}{stale}")
        return 0
    return _with_store(args, body)


def cmd_dataset_visibility(args: argparse.Namespace) -> int:
    from trawl.derive.redacted_view import set_visibility

    data = _data(args)
    dataset = set_visibility(data, args.name, args.visibility)
    _record(data, "visibility", dataset=dataset.name, detail={"visibility": args.visibility})
    print(f"{dataset.name} is {dataset.visibility}")
    return 0


def cmd_dataset_grant(args: argparse.Namespace) -> int:
    return _change_grant(args, grant=True)


def cmd_dataset_revoke(args: argparse.Namespace) -> int:
    return _change_grant(args, grant=False)


def _change_grant(args: argparse.Namespace, grant: bool) -> int:
    principal, who = ("user", args.user) if args.user else ("group", args.group)

    def body(store: AccessStore, data: DataDir) -> int:
        catalog = _catalog(data)
        try:
            if catalog.dataset(args.name) is None:
                raise NotFound(f"no dataset named {args.name!r}")
        finally:
            catalog.close()
        changed = store.grant(args.name, principal, who, by=cli_actor()) if grant \
            else store.revoke(args.name, principal, who)
        _record(data, "grant" if grant else "revoke", dataset=args.name,
                target=f"{principal}:{who}")
        verb = "may read" if grant else "may no longer read"
        print(f"{principal} {who} {verb} {args.name}" + ("" if changed else " (unchanged)"))
        return 0
    return _with_store(args, body)


def cmd_dataset_redaction(args: argparse.Namespace) -> int:
    from trawl.access.published import redaction_rules
    from trawl.derive.redacted_view import set_redaction_rules

    data = _data(args)
    catalog = _catalog(data)
    try:
        dataset = catalog.dataset(args.name)
        if dataset is None:
            raise NotFound(f"no dataset named {args.name!r}")
        rules = redaction_rules(catalog, dataset)
    finally:
        catalog.close()
    changed = _changed_rules(rules, args)
    if changed != rules:
        set_redaction_rules(data, args.name, changed)
        _record(data, "redaction", dataset=args.name, detail=json.loads(changed.to_json()))
        rules = changed
    if args.test is not None:
        print(Redactor(rules).text(args.test))
        return 0
    shown = json.loads(rules.to_json())
    print(json.dumps(shown, indent=2) if args.json else
          "\n".join(f"{key}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
                    for key, value in shown.items()))
    return 0


def _changed_rules(rules: RedactionRules, args: argparse.Namespace) -> RedactionRules:
    if args.reset:
        rules = RedactionRules()

    def edit(values: tuple[str, ...], add: list[str], remove: list[str]) -> tuple[str, ...]:
        kept = [v for v in values if v not in remove]
        return tuple(kept + [v for v in add if v not in kept])

    return dataclasses.replace(
        rules,
        detectors=edit(rules.detectors, args.enable, args.disable),
        columns=edit(rules.columns, args.add_column, args.remove_column),
        terms=edit(rules.terms, args.add_term, args.remove_term),
        patterns=edit(rules.patterns, args.add_pattern, args.remove_pattern))
