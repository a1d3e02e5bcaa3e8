"""Shell completion: click's own protocol (`_QUARTERDECK_COMPLETE`), driven as a shell
drives it — the real `quarterdeck` in a child process, and the script `quarterdeck
completion bash` prints, sourced in a real bash. `--team` completes the slugs of the
config of the repo in the working directory or `--repo`; a typo is offered the team
it most likely meant, and a mistyped `--team` run is told the same."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runs import run_cli
from tests.gitrepo import GitRepo

CONFIG = """\
teams:
  product-analytics:
    members: [alice, carol]
  growth:
    members: [bob]
  platform:
    members: [dan]
"""
SLUGS = ["product-analytics", "growth", "platform"]
SCRIPT = Path(sys.executable).parent / "quarterdeck"  # the console script pip installed


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """A clone whose config names three teams."""
    made = GitRepo.init(tmp_path / "web")
    made.commit("Config", files={".github/quarterdeck.yml": CONFIG})
    return made


def complete(words: list[str], cwd: Path, shell: str = "bash") -> list[str]:
    """What `quarterdeck` answers the shell for the last of `words` (the word being
    typed, "" for a new one), through click's completion protocol in a child process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("_QUARTERDECK")}
    env |= {
        "_QUARTERDECK_COMPLETE": f"{shell}_complete",
        "COMP_WORDS": " ".join(["quarterdeck", *words]),
        "COMP_CWORD": str(len(words)),
    }
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    # bash's answer: one "type,value" line per completion.
    return [line.partition(",")[2] for line in done.stdout.splitlines() if line]


def test_commands_and_options_complete(tmp_path: Path) -> None:
    assert complete(["re"], tmp_path) == ["review"]
    assert {"review", "goals", "serve", "worker", "schedule", "completion"} <= set(
        complete([""], tmp_path)
    )
    assert complete(["goals", "s"], tmp_path) == ["sync"]
    assert complete(["review", "--mo"], tmp_path) == ["--month"]
    assert complete(["review", "--format", ""], tmp_path) == ["md", "json"]


def test_team_completes_the_slugs_of_the_working_directorys_config(repo: GitRepo) -> None:
    assert complete(["review", "--team", ""], repo.path) == SLUGS
    assert complete(["review", "--team", "gr"], repo.path) == ["growth"]
    # From a subfolder of the clone, as from its top.
    (repo.path / "web").mkdir()
    assert complete(["quarter-report", "--team", "p"], repo.path / "web") == [
        "product-analytics",
        "platform",
    ]


def test_team_completes_from_the_repo_option(repo: GitRepo, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert complete(["review", "--team", ""], elsewhere) == []  # no clone here: nothing
    words = ["review", "--repo", str(repo.path), "--team", ""]
    assert complete(words, elsewhere) == SLUGS


def test_a_mistyped_team_completes_to_the_team_meant(repo: GitRepo) -> None:
    assert complete(["review", "--team", "grwoth"], repo.path) == ["growth"]
    assert complete(["review", "--team", "product-analytcs"], repo.path) == ["product-analytics"]


def test_a_mistyped_team_is_told_the_team_meant(
    repo: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["quarter-report", "--repo", str(repo.path), "--quarter", "2026-Q4"]
    code, _, err = run_cli([*argv, "--team", "grwoth"], capsys)
    assert code == 1
    assert "no team 'grwoth' in the config; did you mean 'growth'?" in err
    assert "(teams: product-analytics, growth, platform)" in err


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script_click_sources(shell: str, tmp_path: Path) -> None:
    code = subprocess.run(
        [sys.executable, "-m", "quarterdeck", "completion", shell],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    env = {**os.environ, "_QUARTERDECK_COMPLETE": f"{shell}_source"}
    sourced = subprocess.run(
        [sys.executable, "-m", "quarterdeck"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert code.strip() == sourced.strip()
    assert f"_QUARTERDECK_COMPLETE={shell}_complete" in code


def test_bash_completes_teams_through_the_printed_script(repo: GitRepo) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    assert SCRIPT.exists(), "the console script is installed with the package"
    script = subprocess.run(
        [str(SCRIPT), "completion", "bash"], capture_output=True, text=True, check=True
    ).stdout
    # What bash does on Tab after `quarterdeck review --team g`: call the function the
    # script registered for `quarterdeck` with the words typed so far.
    line = (
        f"{script}\n"
        "COMP_WORDS=(quarterdeck review --team g); COMP_CWORD=3\n"
        f"_quarterdeck_completion {SCRIPT}\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(
        [bash, "--norc", "--noprofile", "-c", line],
        cwd=repo.path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.split() == ["growth"]
    assert "complete -o nosort -F _quarterdeck_completion quarterdeck" in script


def test_a_bad_shell_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(["completion", "tcsh"], capsys)
    assert code == 2
    assert err.startswith("Usage: quarterdeck completion ")
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in err
    assert out == ""
