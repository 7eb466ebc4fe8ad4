"""The house's layout (README, "How the code is laid out"): imports run one way, from the kernel to the demo, with no
cycle between files and no project import hidden inside a function."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lower first: a package may import only itself and the packages before it.
ORDER = ("extensions", "core", "candidates", "election", "ballots", "training", "chapters", "home", "demo", "app",
         "wsgi")
SKIP = {"tests", "bench", "migrations", ".venv", "translations", "static", "templates", "instance"}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in SKIP or relative.parts[0].startswith("."):
            continue
        name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        modules[name] = path
    return modules


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, int, bool]]:
    """(imported project module, line, inside a function) for every import statement of a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nested = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
              for n in ast.walk(f) if n is not f}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from election import views` imports the module election.views.
            targets = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                       for alias in node.names]
        else:
            continue
        for target in targets:
            if target in MODULES:
                found.append((target, node.lineno, id(node) in nested))
    return found


GRAPH = {name: _imports(path) for name, path in MODULES.items()}


def _package(module: str) -> str:
    return module.split(".")[0]


def test_every_package_is_in_the_order():
    assert {_package(m) for m in MODULES} <= set(ORDER)


def test_imports_run_one_way_from_the_kernel_to_the_demo():
    upward = [f"{module} imports {target} (line {line})"
              for module, imports in GRAPH.items() for target, line, _ in imports
              if ORDER.index(_package(target)) > ORDER.index(_package(module))]
    assert upward == []


def test_no_import_cycle_between_files():
    edges = {m: sorted({t for t, _, _ in imports if t != m}) for m, imports in GRAPH.items()}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in edges[module]:
            if state.get(target) == 1:
                cycles.append(" → ".join(path[path.index(target):] + [module, target]) if target in path
                              else f"{module} → {target}")
            elif target not in state:
                visit(target, path + [module])
        state[module] = 2

    for module in sorted(edges):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_no_project_import_inside_a_function_without_a_reason():
    """An import inside a function must say why on its line (e.g. an optional heavy library); never to dodge a
    cycle, which means something lives in the wrong home."""
    hidden = []
    for module, imports in GRAPH.items():
        lines = MODULES[module].read_text(encoding="utf-8").splitlines()
        for target, line, inside in imports:
            if inside and "#" not in lines[line - 1]:
                hidden.append(f"{module}:{line} imports {target}")
    assert hidden == []


def test_templates_are_named_after_their_endpoint(app):
    """templates/<package>/<endpoint>.html (or <endpoint>_<variant>.html, or _<partial>.html for includes): from a
    page one finds its view, and from a view its page."""
    endpoints = set(app.view_functions)
    misnamed = []
    for path in sorted((ROOT / "templates").glob("*/*.html")):
        package, name = path.parent.name, path.stem
        if name.startswith("_"):
            continue
        if not any(f"{package}.{name}" == endpoint or name.startswith(endpoint.split(".", 1)[1] + "_")
                   for endpoint in endpoints if endpoint.startswith(package + ".")):
            misnamed.append(f"{package}/{name}.html")
    assert misnamed == []


# The one documented exception to the one data-access model (core/dbapi.py's docstring, README): the ballot scan's
# driver-level connection. Only these modules may use it; nothing else opens a raw driver connection.
DBAPI_USERS = {"app", "core.accounts", "ballots.scanning", "ballots.scan_views", "ballots.api"}


def test_only_the_scan_path_uses_the_driver_connection():
    users = {module for module, imports in GRAPH.items() for target, _, _ in imports if target == "core.dbapi"}
    assert users <= DBAPI_USERS, sorted(users - DBAPI_USERS)
    raw = [module for module, path in MODULES.items()
           if module != "core.dbapi" and "raw_connection(" in path.read_text(encoding="utf-8")]
    assert raw == []
