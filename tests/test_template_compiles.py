"""Render once, compile once: one template environment per run, compiled code kept
between runs in Jinja2's bytecode cache (issue 24; services/templates.py).

Compiles are counted by wrapping Jinja2's `Environment.compile` (what a loader calls
when the bytecode cache has nothing), writing one line per compile to a file, so the
forked children that render a repo's own templates are counted too.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest

from quarterdeck.resources import resource
from quarterdeck.services.templates import bundled_environment
from quarterdeck.sources.template_cache import cache_folder
from tests.cli_runs import run_cli
from tests.reviewrepos import small_repo

MONTH = "2026-11"
MARKER = "repo-own-line"  # what the repo's `_pr_line.md.j2` writes before each PR line


class Compiles:
    """Every template Jinja2 compiles from source, in this process and its forks."""

    def __init__(self, log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log = log
        log.write_text("")
        original = jinja2.Environment.compile

        def counted(
            env: jinja2.Environment, source: str, name: str | None = None, *a: Any, **k: Any
        ) -> Any:
            with open(log, "a", encoding="utf-8") as f:  # O_APPEND: forks add, none overwrite
                f.write(f"{name}\n")
            return original(env, source, name, *a, **k)

        monkeypatch.setattr(jinja2.Environment, "compile", counted)

    def take(self) -> Counter[str]:
        """The compiles since the last call, by template name."""
        names = Counter(self.log.read_text(encoding="utf-8").split())
        self.log.write_text("")
        return names


@pytest.fixture
def compiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Compiles]:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    bundled_environment.cache_clear()  # as a new process starts: no environment yet
    counter = Compiles(tmp_path / "compiles.log", monkeypatch)
    yield counter
    bundled_environment.cache_clear()  # the next test gets its own cache folder


def _review(repo: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["review", "--repo", str(repo), "--month", MONTH, "-o", str(out)]
    code, _, err = run_cli(argv, capsys)
    assert code == 0, err
    return out.read_text(encoding="utf-8")


def _with_repo_template(repo: Path) -> None:
    """A repo's own `_pr_line.md.j2`: every team's render then runs in a limited child."""
    bundled = (resource("templates") / "_pr_line.md.j2").read_text(encoding="utf-8")
    folder = repo / ".github" / "quarterdeck" / "templates"
    folder.mkdir(parents=True)
    (folder / "_pr_line.md.j2").write_text(MARKER + bundled, encoding="utf-8")


def test_a_run_of_several_teams_compiles_each_template_once(
    tmp_path: Path, compiles: Compiles, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = small_repo(tmp_path / "web").path
    text = _review(repo, tmp_path / "review.md", capsys)
    assert "Growth review: analytics" in text
    assert "Growth review: growth" in text
    first = compiles.take()
    assert "review.md.j2" in first
    assert "_pr_line.md.j2" in first
    assert max(first.values()) == 1, f"compiled more than once in one run: {first}"


def test_a_repo_template_is_compiled_in_each_child_and_never_kept(
    tmp_path: Path, compiles: Compiles, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = small_repo(tmp_path / "web").path
    _with_repo_template(repo)
    text = _review(repo, tmp_path / "review.md", capsys)
    teams = ("analytics", "growth")
    for team in teams:
        assert f"Growth review: {team}" in text
    assert MARKER in text
    first = compiles.take()
    # Each team's review renders in its own limited child. Quarterdeck's templates are
    # compiled by the first and loaded by the next; the repo's is compiled in each.
    assert first.pop("_pr_line.md.j2") == len(teams)
    assert first["review.md.j2"] == 1
    assert max(first.values()) == 1, f"compiled more than once in one run: {first}"
    folder = cache_folder()
    assert folder is not None
    kept = b"".join(entry.read_bytes() for entry in folder.iterdir())
    assert MARKER.encode() not in kept  # the repo template's text is in no entry
    assert len(list(folder.iterdir())) == len(first)


def test_a_second_process_compiles_nothing_and_renders_the_same(
    tmp_path: Path, compiles: Compiles, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = small_repo(tmp_path / "web").path
    before = _review(repo, tmp_path / "first.md", capsys)
    assert compiles.take()["review.md.j2"] == 1
    # A real second process, with the same counter around Jinja2's compile.
    script = (
        "import sys, jinja2\n"
        "original = jinja2.Environment.compile\n"
        "def counted(env, source, name=None, *a, **k):\n"
        "    open(sys.argv[1], 'a').write(f'{name}\\n')\n"
        "    return original(env, source, name, *a, **k)\n"
        "jinja2.Environment.compile = counted\n"
        "from quarterdeck.cli import main\n"
        "sys.exit(main(sys.argv[2:]))\n"
    )
    argv = ["review", "--repo", str(repo), "--month", MONTH, "-o", str(tmp_path / "second.md")]
    done = subprocess.run(
        [sys.executable, "-c", script, str(compiles.log), *argv],
        capture_output=True,
        text=True,
        env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")},
    )
    assert done.returncode == 0, done.stderr
    assert compiles.take() == Counter()
    assert (tmp_path / "second.md").read_text(encoding="utf-8") == before
    # A repo's own template: only it is compiled, once in each team's child.
    _with_repo_template(repo)
    _review(repo, tmp_path / "third.md", capsys)
    assert compiles.take() == Counter({"_pr_line.md.j2": 2})


def test_the_cache_folder_is_private_and_a_shared_one_is_never_read(
    tmp_path: Path, compiles: Compiles, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = small_repo(tmp_path / "web").path
    expected = _review(repo, tmp_path / "first.md", capsys)
    folder = cache_folder()
    assert folder == tmp_path / "cache" / "quarterdeck" / "templates"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert list(folder.iterdir())
    compiles.take()
    # Someone made it writable by others: whatever is in it may be planted; compile.
    folder.chmod(0o777)
    bundled_environment.cache_clear()
    assert cache_folder() is None
    assert _review(repo, tmp_path / "shared.md", capsys) == expected
    assert compiles.take()["review.md.j2"] == 1


def test_no_cache_or_a_broken_one_still_renders(
    tmp_path: Path, compiles: Compiles, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    repo = small_repo(tmp_path / "web").path
    expected = _review(repo, tmp_path / "first.md", capsys)
    folder = cache_folder()
    assert folder is not None
    for entry in folder.iterdir():  # truncated files, as a full disk leaves them
        entry.write_bytes(entry.read_bytes()[:40])
    bundled_environment.cache_clear()
    compiles.take()
    assert _review(repo, tmp_path / "broken.md", capsys) == expected
    assert compiles.take()["review.md.j2"] == 1
    # No place for a cache at all (the cache home is a file): compiled in memory.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    bundled_environment.cache_clear()
    assert cache_folder() is None
    assert _review(repo, tmp_path / "none.md", capsys) == expected
    assert compiles.take()["review.md.j2"] == 1
