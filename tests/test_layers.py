"""The shape of the package (README, *Layout*): subpackages by concern, imported one way —
base → input → analysis → publish → application → CLI — never in a cycle, and never into
another module's private names; module-level and function-level imports alike."""

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ordos_geo"
#: rank of each subpackage: a module may import its own subpackage or one of a lower rank only
#: (siblings of one rank — zoning, imagery, register — do not import each other).
RANKS = {"core": 0, "io": 1, "sites": 2, "zoning": 3, "imagery": 3, "register": 3, "joint": 4, "programme": 4,
         "publish": 5, "demo": 6, "cli": 7}
#: top-level modules: the version (a leaf), the moved paths' stand-ins (stdlib only), the
#: package itself and ``python -m ordos_geo``.
TOP = {"_version": -1, "_moved": -1, "__init__": 8, "__main__": 8}


def _modules() -> dict[str, Path]:
    """``'zoning.zones'`` → path, ``'zoning'`` → its ``__init__.py``, ``'_version'`` → path."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(parts[:-1]) if parts[-1] == "__init__" and len(parts) > 1 else \
            ".".join(parts)
        out[name] = path
    return out


MODULES = _modules()


def _package_of(module: str) -> str:
    """The subpackage a module belongs to ('' for the top-level modules)."""
    head = module.split(".")[0]
    return head if head in RANKS else ""


def _resolve(module: str, node: ast.ImportFrom) -> list[tuple[str, str]]:
    """(imported module, imported name or '') for one relative import of ``module``."""
    path = MODULES[module]
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if module in TOP or module == "__init__":
        base = []
    base = base[:len(base) - (node.level - 1)] if node.level > 1 else base
    target = ".".join(base + ([node.module] if node.module else []))
    out = []
    for alias in node.names:
        sub = f"{target}.{alias.name}" if target else alias.name
        if sub in MODULES:  # `from . import zones`: a module
            out.append((sub, ""))
        else:
            out.append((target, alias.name))
    return out


def _imports(module: str, *, top_level_only: bool = False):
    """Every import of ours in ``module``, relative or absolute: (line, imported module,
    name)."""
    tree = ast.parse(MODULES[module].read_text("utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            for target, name in _resolve(module, node):
                yield node.lineno, target, name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ordos_geo":
            target = node.module.removeprefix("ordos_geo").lstrip(".")  # absolute: ours too
            for alias in node.names:
                sub = f"{target}.{alias.name}" if target else alias.name
                yield (node.lineno, sub, "") if sub in MODULES else \
                    (node.lineno, target or "__init__", alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ordos_geo"):
                    yield node.lineno, alias.name.removeprefix("ordos_geo").lstrip("."), ""


def test_every_module_is_in_a_known_subpackage():
    stray = [m for m in MODULES if not _package_of(m) and m not in TOP]
    assert not stray, f"modules outside the subpackages: {stray}"
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders == set(RANKS), (folders ^ set(RANKS))


def test_the_wheel_lists_every_subpackage():
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"][
        "packages"]
    assert set(listed) == {"ordos_geo", "ordos_geo.data"} | {f"ordos_geo.{p}" for p in RANKS}


def test_every_import_resolves_to_a_module_of_ours():
    missing = [f"{m}:{line} imports {t!r}" for m in MODULES for line, t, _ in _imports(m)
               if t not in MODULES]
    assert not missing, missing


def _rank(module: str) -> int:
    return TOP[module] if module in TOP else RANKS[_package_of(module)]


def test_subpackages_import_down_only():
    wrong = []
    for module in MODULES:
        for line, target, _ in _imports(module):
            same = _package_of(module) and _package_of(target) == _package_of(module)
            if not same and target != "_version" and _rank(target) >= _rank(module):
                wrong.append(f"{module}:{line} ({_rank(module)}) imports {target} "
                             f"({_rank(target)})")
    assert not wrong, wrong


def test_no_private_name_of_another_module_is_used():
    """No ``from .x import _y``, no ``x._y`` on a module of ours, and underscore modules only
    from inside their own subpackage."""
    wrong = []
    for module in MODULES:
        tree = ast.parse(MODULES[module].read_text("utf-8"))
        ours = {}  # local name → module of ours it is bound to
        for line, target, name in _imports(module):
            if name.startswith("_") and name != "__version__":
                wrong.append(f"{module}:{line} imports private {target}.{name}")
            last = target.split(".")[-1]
            if last.startswith("_") and target not in TOP and \
                    _package_of(target) != _package_of(module):
                wrong.append(f"{module}:{line} imports {target}, internal to "
                             f"{_package_of(target)}")
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level >= 1:
                for (target, name), alias in zip(_resolve(module, node), node.names):
                    if not name:
                        ours[alias.asname or alias.name] = target
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and \
                    node.value.id in ours and node.attr.startswith("_") and \
                    not node.attr.startswith("__"):
                wrong.append(f"{module}:{node.lineno} uses {ours[node.value.id]}.{node.attr}")
    assert not wrong, wrong


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    seen, stack = set(), []

    def visit(node):
        if node in stack:
            return stack[stack.index(node):] + [node]
        if node in seen:
            return None
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            found = visit(nxt)
            if found:
                return found
        stack.pop()
        seen.add(node)
        return None

    for node in sorted(graph):
        found = visit(node)
        if found:
            return found
    return None


def test_no_import_cycles_between_modules_at_module_level():
    graph = {m: {t for _, t, _ in _imports(m, top_level_only=True)
                 if t in MODULES and t != m and t != _package_of(m)} for m in MODULES}
    found = _cycle(graph)
    assert found is None, " → ".join(found)


def test_no_import_cycles_between_modules_at_any_level():
    """Imports inside functions too: a lazy import that closes a circle is still a circle."""
    graph = {m: {t for _, t, _ in _imports(m)
                 if t in MODULES and t != m and t != _package_of(m)} for m in MODULES}
    found = _cycle(graph)
    assert found is None, " → ".join(found)


def test_no_import_cycles_between_subpackages_at_any_level():
    graph: dict[str, set[str]] = {}
    for module in MODULES:
        for _, target, _ in _imports(module):
            a, b = _package_of(module), _package_of(target)
            if a and b and a != b:
                graph.setdefault(a, set()).add(b)
    found = _cycle(graph)
    assert found is None, " → ".join(found)


def test_the_checks_catch_what_they_claim(tmp_path, monkeypatch):
    """The layer checks on a package built to break them: an upward import, a private name, an
    internal module from another subpackage and a cycle are each found."""
    fake = {"core.a": "from ..zoning import b\n", "zoning.b": "def f():\n    from ..core.a import _hidden\n",
            "zoning.c": "from ..register import _storage\n", "register._storage": "",
            "core.x": "from . import y\n", "core.y": "from . import x\n",
            "core.z": "def f():\n    from ordos_geo.publish.maps import m\n",
            "publish.maps": ""}
    paths = {}
    for name, text in fake.items():
        path = tmp_path.joinpath(*name.split(".")).with_suffix(".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        paths[name] = path
    for pkg in ("core", "zoning", "register", "publish"):
        (tmp_path / pkg / "__init__.py").write_text("")
        paths[pkg] = tmp_path / pkg / "__init__.py"
    monkeypatch.setattr(__import__(__name__), "MODULES", paths)
    with pytest.raises(AssertionError, match=r"core\.a:1 \(0\) imports zoning"):
        test_subpackages_import_down_only()
    with pytest.raises(AssertionError, match=r"imports private core\.a\._hidden") as caught:
        test_no_private_name_of_another_module_is_used()
    assert re.search(r"zoning\.c:1 imports register\._storage, internal", str(caught.value))
    with pytest.raises(AssertionError, match=r"core\.x → core\.y → core\.x"):
        test_no_import_cycles_between_modules_at_module_level()
    with pytest.raises(AssertionError, match=r"core\.z:2 \(0\) imports publish"):
        test_subpackages_import_down_only()  # an absolute import inside a function


def test_the_readme_layout_table_is_a_map_of_every_module():
    """README, *Layout*: one row per subpackage naming every module in it (and no module that
    is not there) — the newcomer's map of the code."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        found = re.match(r"\| `(\w+)/` \| (\w+) \|[^|]*\|(.*)\|\s*$", line)
        if found:
            rows[found.group(1)] = set(re.findall(r"`(\w+)`", re.sub(r"\([^)]*\)", "",
                                                                   found.group(3))))
    assert set(rows) == set(RANKS), set(rows) ^ set(RANKS)
    for package, named in rows.items():
        files = {p.stem for p in (PACKAGE / package).glob("*.py") if p.stem != "__init__"}
        assert named == files, (package, "missing", files - named, "not there", named - files)


def test_lint_unused_names_and_import_order():
    """ruff (pyproject.toml, [tool.ruff]): no unused or undefined name, imports sorted."""
    import subprocess
    import sys

    found = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "ordos_geo",
                            "tests", "benchmarks", "scripts", "data"], cwd=ROOT,
                           capture_output=True, text=True)
    assert found.returncode == 0, found.stdout + found.stderr
