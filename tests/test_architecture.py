"""The house as drawn in docs/architecture.md: each layer imports only the layers below it,
no module imports itself back through others, and only storage/ speaks SQL.

The imports are read from the source (every `import`, at the top of a module or inside a
function: a lazy import is still a dependency), so a change that runs against the rule fails
here, with the offending module and line named.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "trawl"

# Who may import whom. "shared" is the modules at the top of the package (trawl/errors.py,
# trawl/paths.py, ...): small helpers every layer uses, which import nothing of Trawl's.
BELOW: dict[str, set[str]] = {
    "shared": set(),
    "storage": {"shared"},
    "index": {"shared"},
    "access": {"shared", "storage"},
    "derive": {"shared", "storage", "index", "access"},
    "ingestion": {"shared", "storage", "index", "access", "derive"},
    # search reads what derive writes, and reads what a reader types with derive's
    # recognisers (an e-mail or a phone in any spelling names one entity).
    "search": {"shared", "storage", "index", "access", "derive"},
    "web": {"shared", "storage", "index", "access", "derive", "search"},
    "cli": {"shared", "storage", "index", "access", "derive", "search", "ingestion", "web"},
}
SQL = re.compile(r"^\s*import sqlite3|\bsqlite3\.connect\(|\.execute(many|script)?\(")


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "shared"  # the package itself (trawl/__init__.py)
    if (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "shared"


def _imports(path: Path, module: str) -> list[tuple[str, int]]:
    """(imported trawl module, line) of one source file, lazy imports included."""
    tree = ast.parse(path.read_text(), str(path))
    nodes = list(ast.walk(tree))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("trawl")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from .x import y
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.startswith("trawl"):
                # `from trawl.storage import browse` imports the module trawl.storage.browse
                found += [(f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target,
                           node.lineno) for a in node.names]
    return found


MODULES = _modules()


def test_every_layer_imports_only_the_layers_below_it():
    wrong = []
    for module, path in MODULES.items():
        mine = layer_of(module)
        assert mine in BELOW, f"{module}: a folder that docs/architecture.md does not place"
        for target, line in _imports(path, module):
            theirs = layer_of(target)
            if theirs != mine and theirs not in BELOW[mine]:
                wrong.append(f"{path.relative_to(SRC)}:{line}: {mine} imports {theirs} "
                             f"({target})")
    assert not wrong, "imports that run against the layers:\n" + "\n".join(wrong)


def test_shared_modules_import_nothing_of_trawl():
    for module, path in MODULES.items():
        if layer_of(module) == "shared" and module != "trawl":
            assert not _imports(path, module), f"{module} must import nothing of Trawl"


def test_no_import_cycles_between_modules():
    """Lazy imports count: a module that imports its importer inside a function is still
    tied to it both ways."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for target, _line in _imports(path, module):
            if target in MODULES and target != module:
                graph[module].add(target)
    cycles = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_only_storage_speaks_sql():
    found = []
    for module, path in MODULES.items():
        if layer_of(module) == "storage":
            continue
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if SQL.search(line):
                found.append(f"{path.relative_to(SRC)}:{n}: {line.strip()}")
    assert not found, "SQL outside storage/:\n" + "\n".join(found)


def test_the_rule_itself_catches_a_wrong_import(tmp_path):
    """The checker is not vacuous: an index module importing ingestion is reported."""
    bad = tmp_path / "bad.py"
    bad.write_text("from trawl.ingestion.walk import walk\n\ndef f():\n"
                   "    from trawl.web import app\n")
    targets = [t for t, _ in _imports(bad, "trawl.index.bad")]
    assert targets == ["trawl.ingestion.walk", "trawl.web.app"]
    assert {layer_of(t) for t in targets} - BELOW["index"] == {"ingestion", "web"}


def test_a_search_from_the_cli_loads_no_ingestion_and_no_parsers():
    """`trawl search`, `show` and `status` start fast because they import only what they use:
    the CLI and the search service, without the ingestion layer, the web, or the parsers and
    file-type sniffers (PyMuPDF, PIL, libmagic) that cost most of a second to load."""
    import subprocess
    import sys

    probe = ("import sys, trawl.cli.main, trawl.search.service; "
             "print('\\n'.join(sorted(sys.modules)))")
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                            text=True, env={"PYTHONPATH": str(SRC)}).stdout.split()
    heavy = [m for m in loaded if m.split(".")[0] in ("pymupdf", "fitz", "PIL", "magic")
             or m.startswith(("trawl.ingestion", "trawl.web", "trawl.derive"))]
    assert "trawl.search.service" in loaded
    assert not heavy, f"loaded at the start of a search: {heavy}"
