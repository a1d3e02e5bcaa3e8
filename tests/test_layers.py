"""The layers of design.md, enforced by reading every module's imports.

entry points (cli/, webhook/) -> services/ -> core/ (pure); sources/ hold all I/O,
and sources/github/ (the gateway) is the only code that imports PyGithub.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "app" / "quarterdeck"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
# Modules that touch the world; core may use none of them, nor the sources.
IO_MODULES = {"subprocess", "requests", "flask", "github", "github_webhook", "redis", "rq"}


def imports(path: Path) -> set[str]:
    """Every module `path` imports, absolute, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_the_modules_are_read() -> None:
    assert len(MODULES) > 50
    assert "quarterdeck.core.model" in imports(PACKAGE / "core" / "review" / "linking.py")
    # The folders the rules below name exist, so a move cannot make a rule check nothing.
    for folder in ("cli", "core", "services", "sources", "sources/github", "webhook"):
        assert any(relative(p).startswith(f"{folder}/") for p in MODULES), folder


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_only_the_gateway_imports_pygithub(path: Path) -> None:
    if relative(path).startswith("sources/github/"):
        return
    pygithub = {m for m in imports(path) if m == "github" or m.startswith("github.")}
    assert pygithub == set(), f"{relative(path)} imports PyGithub; go through sources.github"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if relative(p).startswith("core/")], ids=relative
)
def test_core_is_pure(path: Path) -> None:
    bad = {
        m
        for m in imports(path)
        if m.split(".")[0] in IO_MODULES
        or m.startswith(("quarterdeck.sources", "quarterdeck.services", "quarterdeck.webhook"))
        or m.startswith("quarterdeck.cli")
    }
    assert bad == set(), f"{relative(path)} is core, so pure: it must not import {sorted(bad)}"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if relative(p).startswith(("services/", "sources/"))], ids=relative
)
def test_nothing_points_back_up(path: Path) -> None:
    layer = relative(path).split("/")[0]
    above = {"quarterdeck.webhook", "quarterdeck.cli"}
    if layer == "sources":
        above.add("quarterdeck.services")
    bad = {m for m in imports(path) if m.startswith(tuple(above))}
    assert bad == set(), f"{relative(path)} ({layer}) imports a layer above it: {sorted(bad)}"


@pytest.mark.parametrize(
    "path", [p for p in MODULES if relative(p).startswith("webhook/")], ids=relative
)
def test_the_app_never_imports_the_cli(path: Path) -> None:
    # Entry points apart (issue 24): the App's command lines live with the CLI, and the
    # App's runtime does not reach back into them, at module level or in a function.
    bad = {m for m in imports(path) if m == "quarterdeck.cli" or m.startswith("quarterdeck.cli.")}
    assert bad == set(), f"{relative(path)} is the App; it must not import the CLI: {sorted(bad)}"


def _module_level_imports(path: Path) -> set[str]:
    """The modules `path` imports when it is imported (not inside a function)."""
    found: set[str] = set()
    todo = list(ast.parse(path.read_text(encoding="utf-8")).body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            todo.extend(ast.iter_child_nodes(node))
    return found


@pytest.mark.parametrize(
    "path", [p for p in MODULES if relative(p).startswith("cli/")], ids=relative
)
def test_the_cli_imports_the_app_only_in_the_commands_that_run_it(path: Path) -> None:
    # `serve`, `worker` and `schedule` (cli/app.py) import the App's runtime once they
    # run; no other CLI module imports it, and none at import time (start-up).
    app = {m for m in imports(path) if m.startswith("quarterdeck.webhook")}
    if relative(path) != "cli/app.py":
        assert app == set(), f"{relative(path)} imports the App: {sorted(app)}"
    eager = {m for m in _module_level_imports(path) if m.startswith("quarterdeck.webhook")}
    assert eager == set(), f"{relative(path)} imports the App at start-up: {sorted(eager)}"


def test_no_two_modules_share_a_name() -> None:
    # One name per job (issue 24): a module's file name says what it does, so a
    # traceback, a grep or a doc naming `schedule.py` never leaves a newcomer asking
    # which of three. Package markers are the only names allowed twice.
    by_name: dict[str, list[str]] = {}
    for path in MODULES:
        if path.name not in {"__init__.py", "__main__.py"}:
            by_name.setdefault(path.name, []).append(relative(path))
    shared = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert shared == {}, f"modules that share a name; rename each to say its job: {shared}"


def _module_name(path: Path) -> str:
    parts = ("quarterdeck", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Each module's imports of other quarterdeck modules, inside functions too.

    `from quarterdeck.a import b` points at the module `quarterdeck.a.b` when there is
    one (a submodule), else at `quarterdeck.a` (a name defined there).
    """
    names = {_module_name(p): p for p in MODULES}
    graph: dict[str, set[str]] = {}
    for name, path in names.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name in names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in names else node.module)
        graph[name] = {t for t in targets if t in names and t != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    graph = _import_graph()
    # Imports inside functions count: cli/app.py runs the App only inside its commands.
    assert "quarterdeck.webhook.run" in graph["quarterdeck.cli.app"]


def test_no_import_cycles() -> None:
    # Issue 24: no import placed inside a function to hide a cycle. The graph counts
    # every import wherever it stands, so a cycle shows here even when Python would
    # resolve it at run time.
    assert _cycles(_import_graph()) == [], (
        "modules that import each other, directly or round a loop"
    )
