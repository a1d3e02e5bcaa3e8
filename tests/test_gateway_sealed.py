"""The GitHub gateway is sealed: no PyGithub object is visible above `sources/github/`.

Three checks (issue 24): no module outside the gateway imports PyGithub, directly or
through a re-export (imports inside functions count); no annotation there names a
PyGithub type; and at run time, no function of the handlers, services or CLI is
handed a PyGithub object, for a merged-PR delivery through the real App and for a
`review --github --publish` through the real CLI (both against the fake GitHub).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import quarterdeck
from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.errors import GitHubNotFound, GitHubRefused
from quarterdeck.sources.github.gateway import doing
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.reviewrepos import seed_github
from tests.test_webhook_events import deliver, make_app
from tests.webhooks import FILES, REPO, merged_pr

APP = Path(quarterdeck.__file__).parent
GATEWAY = APP / "sources" / "github"
# What the runtime check watches: the layers above the gateway that take GitHub's data.
WATCHED = tuple(str(APP / layer) for layer in ("services", "webhook", "cli"))


def _outside_gateway() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if GATEWAY not in p.parents)


def _module_name(path: Path) -> str:
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_pygithub(value: object) -> bool:
    """A PyGithub module, class or object (the package `github`, not `github_webhook`)."""
    if isinstance(value, type(sys)):
        name = value.__name__
    elif isinstance(value, type):
        name = value.__module__
    else:
        name = type(value).__module__
    return name == "github" or name.startswith("github.")


def _resolved(module: str, name: str) -> object:
    """What `from module import name` binds (None when it can't be imported here)."""
    try:
        found = importlib.import_module(module)
    except ImportError:
        return None
    if hasattr(found, name):
        return getattr(found, name)
    try:
        return importlib.import_module(f"{module}.{name}")
    except ImportError:
        return None


def _imports(tree: ast.AST, module: str) -> Iterator[tuple[int, str, str | None]]:
    """(line, module, name) of every import in `tree`, inside functions too."""
    package = module if module.endswith("__init__") else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                yield node.lineno, base, alias.name


def pygithub_imports(source: str, module: str) -> list[str]:
    """Every import in `source` (module `module`) that brings in PyGithub: `github` or
    one of its modules, or a name another module re-exports from it."""
    found = []
    for line, base, name in _imports(ast.parse(source), module):
        if base == "github" or base.startswith("github."):
            found.append(f"{module}:{line} imports {base}{'.' + name if name else ''}")
        elif name and base.startswith("quarterdeck") and _is_pygithub(_resolved(base, name)):
            found.append(f"{module}:{line} imports {name} (PyGithub's) from {base}")
    return found


def _annotations(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
            yield from (a.annotation for a in every if a is not None and a.annotation)
            if node.returns is not None:
                yield node.returns
        elif isinstance(node, ast.AnnAssign):
            yield node.annotation


def _names(annotation: ast.expr) -> Iterator[str]:
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:  # a quoted annotation: "Repository"
                yield from _names(ast.parse(node.value, mode="eval").body)
            except SyntaxError:
                continue


def pygithub_annotations(source: str, module: str) -> list[str]:
    """Every annotation in `source` naming a PyGithub type, by where its name comes from
    (so `core.model.PullRequest` is not PyGithub's `PullRequest`)."""
    tree = ast.parse(source)
    origin: dict[str, str] = {}
    for _, base, name in _imports(tree, module):
        # `from x import N` binds N; `import github.Issue` binds `github`.
        key = name if name is not None else base.partition(".")[0]
        origin[key] = base if name is not None else key
    found = []
    for annotation in _annotations(tree):
        for name in _names(annotation):
            base = origin.get(name)
            if base is None:
                continue  # defined here, or a builtin
            if base == "github" or base.startswith("github."):
                found.append(f"{module}:{annotation.lineno} annotates with {name} ({base})")
            elif base.startswith("quarterdeck") and _is_pygithub(_resolved(base, name)):
                found.append(f"{module}:{annotation.lineno} annotates with {name} (PyGithub's)")
    return found


def test_the_checks_see_a_pygithub_import_and_annotation_anywhere() -> None:
    """The two static checks catch what they look for (so a pass means something)."""
    source = (
        "from __future__ import annotations\n"
        "from quarterdeck.core.model import PullRequest\n"
        "def f(pr: PullRequest) -> None:\n"
        "    from github.Issue import Issue\n"
        "    from quarterdeck.sources.github.writes import IssueComment\n"
        "def g(repo: 'IssueComment', issue: Issue) -> None: ...\n"
    )
    imports = pygithub_imports(source, "quarterdeck.services.example")
    annotations = pygithub_annotations(source, "quarterdeck.services.example")

    assert imports == [
        "quarterdeck.services.example:4 imports github.Issue.Issue",
        "quarterdeck.services.example:5 imports IssueComment (PyGithub's) from "
        "quarterdeck.sources.github.writes",
    ]
    assert annotations == [
        "quarterdeck.services.example:6 annotates with IssueComment (PyGithub's)",
        "quarterdeck.services.example:6 annotates with Issue (github.Issue)",
    ]


def test_no_module_outside_the_gateway_imports_pygithub() -> None:
    found = [
        problem
        for path in _outside_gateway()
        for problem in pygithub_imports(path.read_text(), _module_name(path))
    ]

    assert found == []


def test_no_annotation_outside_the_gateway_names_a_pygithub_type() -> None:
    found = [
        problem
        for path in _outside_gateway()
        for problem in pygithub_annotations(path.read_text(), _module_name(path))
    ]

    assert found == []


def _inside(value: object, depth: int = 0) -> Iterator[object]:
    """`value`, and one level into containers and dataclasses (a `Context`'s fields)."""
    yield value
    if depth:
        return
    items: list[object] = []
    if isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    elif isinstance(value, dict):
        items = list(value.values())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        items = [getattr(value, f.name) for f in dataclasses.fields(value)]
    for item in items:
        yield from _inside(item, depth + 1)


class Watch:
    """Records every call into the watched layers, and any PyGithub object it is handed."""

    def __init__(self) -> None:
        self.calls: set[tuple[str, str]] = set()  # (file under app/, function)
        self.leaks: list[str] = []

    def __call__(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call" or not frame.f_code.co_filename.startswith(WATCHED):
            return
        where = str(Path(frame.f_code.co_filename).relative_to(APP))
        self.calls.add((where, frame.f_code.co_name))
        for name, value in frame.f_locals.items():
            for seen in _inside(value):
                if _is_pygithub(seen):
                    self.leaks.append(
                        f"{where}:{frame.f_code.co_name}({name}=) holds a "
                        f"{type(seen).__module__}.{type(seen).__name__}"
                    )

    def __enter__(self) -> Watch:
        threading.setprofile(self)  # the App's background queue runs deliveries in threads
        sys.setprofile(self)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]


def test_a_merged_pr_delivery_hands_the_handlers_no_pygithub_object(
    tmp_path: Path, github: FakeGitHub
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading", body="Why: people stop reading.\n")
    github.add_issue(fake, "Update the README with new information.")

    with Watch() as watch:
        app = make_app(tmp_path, github)
        assert deliver(app, "pull_request", merged_pr(), "d-sealed") == 202

    (comment,) = fake.comments_on(2)  # the delivery did its work through the gateway
    assert "<!-- quarterdeck:pr-link pr=2 -->" in comment["body"]
    assert "- 2019-05-15 · #2 Update the README" in fake.issues[1]["body"]
    handlers = {name for where, name in watch.calls if where.startswith("webhook/handlers/")}
    assert {"handle", "record_shipped"} <= handlers
    assert watch.leaks == []


def test_a_published_review_hands_the_cli_and_services_no_pygithub_object(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    remote: FakeRepo = seed_github(github)
    monkeypatch.setattr(cli, "_github", lambda args: github.client())

    with Watch() as watch:
        code = main(["review", "--github", "acme/web", "--month", "2026-11", "--publish"])

    assert code == 0
    assert any("quarterdeck:review " in i["body"] for i in remote.issues.values())
    services = {name for where, name in watch.calls if where.startswith("services/")}
    assert {"github_home_reviews", "publish_reviews", "_update", "_create"} & services
    assert {"github_home_reviews", "publish_reviews"} <= services
    assert watch.leaks == []


def test_a_gateway_call_reports_githubs_failure_once_in_the_callers_words(
    github: FakeGitHub,
) -> None:
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    issue = github.gateway().repo(REPO).issue(1)

    github.fail("PATCH", r"/issues/1$", 422, body={"message": "Validation Failed"})
    with pytest.raises(GitHubRefused) as refused, doing("recording the goal's progress"):
        issue.edit(body="new")
    github.fail("PATCH", r"/issues/1$", 404, body={"message": "Not Found"})
    with pytest.raises(GitHubNotFound) as gone:  # no words given: the gateway's own
        issue.edit(body="newer")

    assert str(refused.value).startswith(
        "GitHub answered 422 while recording the goal's progress: Validation Failed;"
    )
    assert str(gone.value).startswith("GitHub answered 404 while editing issue #1: Not Found;")
    assert fake.issues[1]["body"] not in ("new", "newer")  # GitHub did neither edit
