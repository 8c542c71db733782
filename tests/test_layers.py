"""The rooms import each other in one direction only: no import cycle between spiders, monitor,
storage, settings and scheduler; settings imports nothing of newsmon's; storage imports nothing
above it. Read from the source (every import a module can run, in functions too; imports under
`if TYPE_CHECKING:` are for the type checker only and do not count)."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.helpers.workspace import REPO

PACKAGES = ("spiders", "monitor", "storage")
MODULES = ("settings", "scheduler")
Graph = dict[str, set[str]]


def module_files(root: Path) -> dict[str, Path]:
    """Dotted module name → file, for newsmon's own code under ROOT (generated data left out)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if "mirror_sites" in parts:
                continue
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    for module in MODULES:
        if (root / f"{module}.py").exists():
            found[module] = root / f"{module}.py"
    return found


def _type_checking_only(tree: ast.Module) -> set[int]:
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def _imported_names(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> Iterable[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:  # relative: resolve against this module's package
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        module = ".".join([*base, *([node.module] if node.module else [])])
    else:
        module = node.module or ""
    # `from a import b` may import the module a.b as well as a name of a.
    return [module, *(f"{module}.{alias.name}" for alias in node.names)]


def import_graph(root: Path) -> Graph:
    """Module → the newsmon modules it imports at run time (with the packages that importing them
    runs first: importing a.b.c runs a and a.b)."""
    files = module_files(root)
    graph: Graph = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        targets: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in skipped or not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in _imported_names(node, name, path.name == "__init__.py"):
                while target and target not in files:
                    target = target.rpartition(".")[0]
                while target:
                    if target != name and not name.startswith(target + "."):
                        targets.add(target)
                    target = target.rpartition(".")[0]
        graph[name] = targets
    return graph


def cycles_across_rooms(graph: Graph) -> list[list[str]]:
    """The import cycles (strongly connected sets of modules) that span more than one room."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative (no recursion limit)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [c for c in components if len({m.split(".")[0] for m in c}) > 1]


def imports_from(graph: Graph, room: str, forbidden: Iterable[str]) -> dict[str, list[str]]:
    """Modules of ROOM that import a module of a FORBIDDEN room, with what they import."""
    rooms = tuple(forbidden)
    found = {}
    for name, targets in sorted(graph.items()):
        if name.split(".")[0] == room:
            bad = sorted(t for t in targets if t.split(".")[0] in rooms)
            if bad:
                found[name] = bad
    return found


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(REPO)


def test_the_graph_sees_every_room(graph: Graph) -> None:
    assert {"settings", "scheduler", "storage.db", "spiders.base", "monitor.cli"} <= set(graph)
    # The pipeline stores through storage and judges with monitor's relevance model.
    assert {"storage", "monitor.relevance"} <= graph["spiders.pipelines"]


def test_no_import_cycle_between_the_rooms(graph: Graph) -> None:
    assert cycles_across_rooms(graph) == []


def test_settings_imports_nothing_of_newsmons(graph: Graph) -> None:
    assert graph["settings"] == set()


def test_storage_imports_nothing_above_it(graph: Graph) -> None:
    assert imports_from(graph, "storage", ("spiders", "monitor", "settings", "scheduler")) == {}


def test_deliveries_name_sources_without_the_spiders(graph: Graph) -> None:
    """The digest and the chat messages read display names from the spiders package's own data
    (its __init__ imports nothing): a process that only delivers never loads Scrapy or a spider."""
    delivering = {
        name: sorted(t for t in targets if t.split(".")[0] == "spiders")
        for name, targets in graph.items()
        if name.startswith(("monitor.digest", "monitor.notify"))
    }
    assert "monitor.digest.service" in delivering
    assert {t for targets in delivering.values() for t in targets} == {"spiders"}
    assert graph["spiders"] == set()


# ----------------------------------------------------------------------------- the checker itself


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for package in PACKAGES:
        (root / package).mkdir(exist_ok=True)
        (root / package / "__init__.py").touch()
    return root


def test_the_checker_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "storage/db.py": "def f():\n    from monitor.relevance import judge\n",
            "monitor/relevance.py": "from storage.db import f\n\ndef judge(): ...\n",
            "settings.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from monitor import x\n",
        },
    )
    graph = import_graph(root)
    assert cycles_across_rooms(graph) == [["monitor.relevance", "storage.db"]]
    assert imports_from(graph, "storage", ("monitor",)) == {"storage.db": ["monitor", "monitor.relevance"]}
    assert graph["settings"] == set()  # an import for type checking only does not count


def test_the_checker_resolves_relative_imports_and_leaves_cycles_inside_one_room(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "storage/__init__.py": "from .db import f\n",
            "storage/db.py": "from . import models\n\ndef f(): ...\n",
            "storage/models.py": "import storage.db\n",
        },
    )
    graph = import_graph(root)
    assert graph["storage"] == {"storage.db"}
    assert graph["storage.db"] == {"storage.models"}
    assert cycles_across_rooms(graph) == []
