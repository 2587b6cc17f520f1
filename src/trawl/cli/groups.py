"""Commands with sub-commands (`trawl user add`, `trawl audit verify`): one way to make them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

Command = Callable[[str, Any, str], argparse.ArgumentParser]
Leaf = Callable[[str, Any, str], argparse.ArgumentParser]


def command_group(command: Command, name: str, help_text: str) -> Leaf:
    """Add `trawl NAME` (which prints its usage) and return a function that adds its
    sub-commands, each with its own --data-dir."""
    parent = command(name, None, help_text)
    parent.set_defaults(handler=lambda _args: _usage(parent))
    nested = parent.add_subparsers(title=f"{name} commands", metavar="COMMAND")

    def leaf(sub_name: str, handler: Any, sub_help: str) -> argparse.ArgumentParser:
        p = nested.add_parser(sub_name, help=sub_help, description=sub_help)
        # SUPPRESS: given after the sub-command it counts, and when absent it does not erase
        # a --data-dir given before it (`trawl user --data-dir X list`).
        p.add_argument("--data-dir", default=argparse.SUPPRESS,
                       help="where Trawl keeps its data (env TRAWL_DATA, default ./trawl-data)")
        p.set_defaults(handler=handler)
        return p

    return leaf


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2
