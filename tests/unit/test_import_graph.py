"""The package's module-level import graph has no cycle.

import-linter checks what the pure core may import; this walks every module of the two packages
with `ast` and fails naming the cycle, so a newcomer can read the layout as a one-way flow
(plugin -> suite_run -> run/ and stores/ -> the core). Imports inside functions are left out:
they are how `open_store` loads a store lazily.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("pytest_bfd_locust", "lambda_entry")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def module_level_imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports at module level (a `from package import name` that
    names a submodule counts as importing that submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                found.add(submodule if submodule in modules else node.module)
    return found & modules


def import_graph() -> dict[str, set[str]]:
    paths = [path for package in PACKAGES for path in (ROOT / package).rglob("*.py")]
    modules = {module_name(path) for path in paths}
    return {module_name(path): module_level_imports(path, modules) - {module_name(path)} for path in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_planted_cycle() -> None:
    graph = import_graph()
    planted = "pytest_bfd_locust.judge.comparison"
    graph["pytest_bfd_locust.record"] = {*graph["pytest_bfd_locust.record"], planted}
    cycle = find_cycle(graph)
    assert cycle is not None and planted in cycle and "pytest_bfd_locust.record" in cycle


def test_the_graph_sees_the_known_edges() -> None:
    graph = import_graph()
    assert "pytest_bfd_locust.judge.comparison" in graph["pytest_bfd_locust.judge.baseline"]
    assert "pytest_bfd_locust.judge.baseline_query" in graph["pytest_bfd_locust.stores.file"]
    assert "pytest_bfd_locust.stores.s3.glue" in graph["lambda_entry.partition_handler"]
