"""A CLI that forgives: suggestions for typos, usage errors reported by the command they
belong to (exit 2, its own usage), help for a bare `quarterdeck`, examples in every
--help. Runs the real entry point; the last test runs the console script."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from quarterdeck.cli import build_parser
from quarterdeck.cli.forgiving import EXAMPLES
from tests.cli_runs import run_cli as run


def test_a_mistyped_command_suggests_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["reveiw"], capsys)
    assert code == 2
    assert "invalid choice: 'reveiw'" in err
    assert "did you mean 'review'?" in err


def test_a_mistyped_subcommand_suggests_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["goals", "snyc"], capsys)
    assert code == 2
    assert err.startswith("usage: quarterdeck goals ")
    assert "did you mean 'sync'?" in err


def test_a_mistyped_option_suggests_it_with_the_subcommands_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["review", "--fromat", "json"], capsys)
    assert code == 2
    assert err.startswith("usage: quarterdeck review ")  # not the top level's usage
    assert "quarterdeck review: error: unrecognized arguments: --fromat json" in err
    assert "did you mean '--format'?" in err
    # An option like no other gets the subcommand's usage, and no guess.
    code, _, err = run(["review", "--zzzzzz"], capsys)
    assert code == 2
    assert err.startswith("usage: quarterdeck review ")
    assert "did you mean" not in err


def test_a_mistyped_option_of_a_nested_subcommand_is_reported_by_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["goals", "sync", "--github", "acme/web", "--dyr-run"], capsys)
    assert code == 2
    assert err.startswith("usage: quarterdeck goals sync ")
    assert "did you mean '--dry-run'?" in err


@pytest.mark.parametrize("month", ["2026-13", "2026-00"])
def test_a_month_that_does_not_exist_says_the_month_must_be_01_to_12(
    month: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["review", "--month", month], capsys)
    assert code == 2
    assert err.startswith("usage: quarterdeck review ")
    assert f"month '{month}' does not exist: the month must be 01–12" in err
    assert "not in the form" not in err
    # A month in another form is still told the form.
    code, _, err = run(["review", "--month", "Nov 2026"], capsys)
    assert code == 2
    assert "is not in the form YYYY-MM" in err


def test_a_quarter_that_does_not_exist_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["quarter-report", "--quarter", "2026-Q5"], capsys)
    assert code == 2
    assert err.startswith("usage: quarterdeck quarter-report ")
    assert "2026-Q5" in err


def test_bare_quarterdeck_prints_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([], capsys)
    assert code == 0
    assert out.startswith("usage: quarterdeck ")
    assert "review" in out
    assert "demo" in out
    assert err == ""


@pytest.mark.parametrize("command", ["review", "demo"])
def test_with_bodies_without_json_is_a_usage_error(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([command, "--with-bodies"], capsys)
    assert code == 2
    assert err.startswith(f"usage: quarterdeck {command} ")
    assert "--with-bodies keeps each PR's description in the JSON output; add --format json" in err
    assert out == ""


def _subcommands(parser: argparse.ArgumentParser, path: str = "") -> list[str]:
    found: list[str] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                where = f"{path} {name}".strip()
                found += [where, *_subcommands(sub, where)]
    return found


@pytest.mark.parametrize("path", sorted(EXAMPLES))
def test_every_subcommands_help_ends_with_its_examples(path: str) -> None:
    assert sorted(_subcommands(build_parser())) == sorted(EXAMPLES)  # none is missing
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck", *path.split(), "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent,
    )
    tail = done.stdout.rstrip().splitlines()[-len(EXAMPLES[path]) - 1 :]
    assert tail == ["examples:", *(f"  {line}" for line in EXAMPLES[path])]
    # Each example is a command line this parser accepts (its help aside, nothing else).
    for line in EXAMPLES[path]:
        words = shlex.split(line, comments=True)
        words = words[words.index("quarterdeck") + 1 :]
        if ">" in words:  # a redirection, not an argument
            words = words[: words.index(">")]
        build_parser().parse_args(words)
