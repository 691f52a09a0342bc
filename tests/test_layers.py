"""Imports go one way (gateway -> schema -> resolvers -> models) and no folder has cycles.

Read from the source with `ast`, so the rule holds for every module, including ones no test
imports. Type-only imports (under `if TYPE_CHECKING:`) do not count: they never run.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["gateway", "schema", "resolvers", "models"]  # each may import only those after it


def _modules() -> dict[str, Path]:
    out = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            rel = path.relative_to(ROOT).with_suffix("")
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str) -> set[str]:
    """Modules imported at run time, at module level or inside functions."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = (
                    module.split(".")[: -node.level]
                    if not path.name == "__init__.py"
                    else (module.split(".")[: len(module.split(".")) - node.level + 1])
                )
                base = ".".join([*pkg, base] if base else pkg)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    return {m: {i for i in _imports(p, m) if i in mods and i != m} for m, p in mods.items()}


def test_imports_run_one_way_down_the_layers() -> None:
    wrong = []
    for module, targets in _graph().items():
        rank = LAYERS.index(module.split(".")[0])
        for target in targets:
            if LAYERS.index(target.split(".")[0]) < rank:
                wrong.append(f"{module} imports {target}")
    assert not wrong, wrong


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                dfs(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            dfs(node)
    assert not cycles, cycles


def test_the_executor_knows_nothing_of_schema_or_models() -> None:
    # gateway/execution is handed the application's conventions (gateway/guards.py), so it
    # can be read, tested and reused without the layers below; type-only imports count too.
    wrong = []
    for path in (ROOT / "gateway" / "execution").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            wrong += [f"{path.name} imports {n}" for n in names if n.split(".")[0] in LAYERS[1:]]
    assert not wrong, wrong


def test_the_layers_import_no_tools() -> None:
    # scripts/ and bench/ are built on the layers, never under them: the app's demo data
    # lives in resolvers/demo/, which scripts/seed.py calls too.
    wrong = []
    for module, path in _modules().items():
        tools = {i for i in _imports(path, module) if i.split(".")[0] in ("scripts", "bench")}
        wrong += [f"{module} imports {t}" for t in sorted(tools)]
    assert not wrong, wrong
