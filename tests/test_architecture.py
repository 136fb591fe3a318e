"""The architecture as a test: no import cycle among the project's modules, counting imports
inside functions (grimp reads every import statement of a module, wherever it stands), and the
layers contract of pyproject.toml (``lint-imports``, which CI runs too)."""

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import networkx as nx

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES: list[str] = CONFIG["root_packages"]


def import_graph() -> nx.DiGraph:
    """Every module of the project's packages, and an edge for each module it imports."""
    found = grimp.build_graph(*PACKAGES, cache_dir=None)
    graph = nx.DiGraph()
    for module in found.modules:
        graph.add_node(module)
        for imported in found.find_modules_directly_imported_by(module):
            graph.add_edge(module, imported)
    return graph


def cycles(graph: nx.DiGraph) -> list[str]:
    """One cycle, written out, for every group of modules that import each other."""
    found = []
    for group in nx.strongly_connected_components(graph):
        module = next(iter(group))
        if len(group) == 1 and not graph.has_edge(module, module):
            continue
        edges = nx.find_cycle(graph.subgraph(group), source=min(group))
        found.append(" -> ".join([edges[0][0], *(target for _, target in edges)]))
    return sorted(found)


def test_the_graph_covers_the_project():
    graph = import_graph()
    assert {"core.tasks", "marketplace.services", "marketplace.tasks", "config.urls"} <= set(graph)
    # Imports inside functions are edges too: quality's AppConfig imports its tasks in ready().
    assert graph.has_edge("quality.apps", "quality.tasks")


def test_no_module_imports_one_that_imports_it_back():
    assert cycles(import_graph()) == []


def test_a_cycle_inside_a_function_is_found():
    graph = nx.DiGraph([("a.services", "a.tasks"), ("a.tasks", "a.services"), ("a.tasks", "b")])
    assert cycles(graph) == ["a.services -> a.tasks -> a.services"]


def test_the_layers_contract_is_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout
