"""Imports run one way — base → input → analysis → publish → application → CLI — and never in
a cycle; module-level and function-level imports alike (README, *Python API*)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "ordos_geo"
LAYERS = {
    "base": ["_version", "settings", "_errors", "_messages", "_schema", "_validate", "_atomic",
             "_styles", "utils", "projection", "dictionary", "_chain", "_yaml_schema",
             "_validate_params"],
    "input": ["io", "datasets", "corners", "sites", "imagery", "_registry_db", "_tables"],
    "analysis": ["adjacency", "zones", "rules", "plans", "reclamation", "_names",
                 "_register_checks", "_register_sequence", "_register_audit", "_register_tables", "_rectification", "_register_state",
                 "register",
                 "_supervision_rules", "_fund_capacity", "supervision", "terrain", "earthworks",
                 "suitability", "disturbance"],
    "publish": ["maps", "export", "sheets"],
    "application": ["samples", "synthetic", "demo"],
    "cli": ["cli", "_cli_supervision", "_cli_findings", "__main__", "__init__"],
}
RANK = {m: k for k, (_, mods) in enumerate(LAYERS.items()) for m in mods}


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                out.add(node.module.split(".")[0])
            else:
                out.update(a.name for a in node.names)
    return out


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules == set(RANK), (modules - set(RANK), set(RANK) - modules)


def test_imports_go_down_or_across_only():
    upward = []
    for path in PACKAGE.glob("*.py"):
        for target in _imports(path):
            if path.stem != "__init__" and RANK[target] > RANK[path.stem]:
                upward.append(f"{path.stem} ({RANK[path.stem]}) imports {target} ({RANK[target]})")
    assert not upward, upward


def test_no_import_cycles_at_module_level():
    graph = {}
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        top = set()
        for node in tree.body:  # module level only: imports inside functions run late
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                top.update([node.module.split(".")[0]] if node.module else
                           [a.name for a in node.names])
        graph[path.stem] = top
    seen, stack = set(), []

    def visit(node):
        assert node not in stack, " → ".join(stack[stack.index(node):] + [node])
        if node in seen:
            return
        stack.append(node)
        for nxt in graph.get(node, ()):
            visit(nxt)
        stack.pop()
        seen.add(node)

    for module in graph:
        visit(module)
