"""A CLI that forgives: suggestions for typos, usage errors reported by the command they
belong to (exit 2, its own usage), help for a bare `quarterdeck`, examples in every
--help. Runs the real entry point; the last test runs the console script."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from quarterdeck.cli import main, root
from tests.cli_runs import run_cli as run


def test_a_mistyped_command_suggests_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["reveiw"], capsys)
    assert code == 2
    assert err.startswith("Usage: quarterdeck [OPTIONS] [COMMAND]")
    assert "No such command 'reveiw'. Did you mean 'review'?" in err


def test_a_mistyped_subcommand_suggests_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["goals", "snyc"], capsys)
    assert code == 2
    assert err.startswith("Usage: quarterdeck goals ")
    assert "Did you mean 'sync'?" in err


def test_a_mistyped_option_suggests_it_with_the_subcommands_usage(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["review", "--fromat", "json"], capsys)
    assert code == 2
    assert err.startswith("Usage: quarterdeck review ")  # not the top level's usage
    assert "No such option '--fromat'. Did you mean '--format'?" in err
    # An option like no other gets the subcommand's usage, and no guess.
    code, _, err = run(["review", "--zzzzzz"], capsys)
    assert code == 2
    assert err.startswith("Usage: quarterdeck review ")
    assert "Did you mean" not in err


def test_a_mistyped_option_of_a_nested_subcommand_is_reported_by_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(["goals", "sync", "--github", "acme/web", "--dyr-run"], capsys)
    assert code == 2
    assert err.startswith("Usage: quarterdeck goals sync ")
    assert "Did you mean '--dry-run'?" in err


@pytest.mark.parametrize("month", ["2026-13", "2026-00"])
def test_a_month_that_does_not_exist_says_the_month_must_be_01_to_12(
    month: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["review", "--month", month], capsys)
    assert code == 2
    assert err.startswith("Usage: quarterdeck review ")
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
    assert err.startswith("Usage: quarterdeck quarter-report ")
    assert "2026-Q5" in err


def test_bare_quarterdeck_prints_help_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run([], capsys)
    assert code == 0
    assert out.startswith("Usage: quarterdeck ")
    assert "review" in out
    assert "demo" in out
    assert err == ""


@pytest.mark.parametrize("command", ["review", "demo"])
def test_with_bodies_without_json_is_a_usage_error(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run([command, "--with-bodies"], capsys)
    assert code == 2
    assert err.startswith(f"Usage: quarterdeck {command} ")
    assert "--with-bodies keeps each PR's description in the JSON output; add --format json" in err
    assert out == ""


def _subcommands(group: click.Group, path: str = "") -> dict[str, click.Command]:
    """Every subcommand at every depth ("review", "goals", "goals sync", …)."""
    found: dict[str, click.Command] = {}
    ctx = click.Context(group)
    # list/get, not `group.commands`: the root builds most of its commands on first use.
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        where = f"{path} {name}".strip()
        found[where] = command
        if isinstance(command, click.Group):
            found.update(_subcommands(command, where))
    return found


def _examples(command: click.Command) -> list[str]:
    """The example lines at the end of a command's epilog."""
    head, _, body = (command.epilog or "").partition("\n")
    assert head == "examples:", f"{command.name}'s --help has no examples"
    return [line.strip() for line in body.splitlines()]


SUBCOMMANDS = sorted(_subcommands(root))


def test_every_command_is_listed_here() -> None:
    # The App's commands and completion are commands like the others: none is missing.
    assert {"review", "goals sync", "serve", "worker", "schedule", "completion"} <= set(SUBCOMMANDS)


@pytest.mark.parametrize("path", SUBCOMMANDS)
def test_every_subcommands_help_ends_with_its_examples(path: str) -> None:
    examples = _examples(_subcommands(root)[path])
    assert examples
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck", *path.split(), "--help"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent,
    )
    tail = done.stdout.rstrip().splitlines()[-len(examples) - 1 :]
    assert tail == ["examples:", *(f"  {line}" for line in examples)]
    # Each example is a command line this parser accepts (its help aside, nothing else).
    for line in examples:
        # `eval "$(quarterdeck completion bash)"`: the command line inside.
        words = shlex.split(line.replace('"$(', "").replace(')"', ""), comments=True)
        words = words[words.index("quarterdeck") + 1 :]
        if ">" in words:  # a redirection, not an argument
            words = words[: words.index(">")]
        _parse(words)


def _parse(words: list[str]) -> None:
    """Parse `quarterdeck words` down to its last subcommand, running nothing: click
    raises a UsageError for a line it would refuse."""
    command: click.Command = root
    ctx = root.make_context("quarterdeck", words)
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]  # what the group left to its command
        name, found, rest = command.resolve_command(ctx, rest)
        assert found is not None
        assert name is not None
        command, ctx = found, found.make_context(name, rest, parent=ctx)


def test_bare_subgroup_and_parsing_reach_the_real_main(capsys: pytest.CaptureFixture[str]) -> None:
    # `goals` without its command is a usage error that shows its commands.
    code, _, err = run(["goals"], capsys)
    assert code == 2
    assert "sync" in err or "sync" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == "quarterdeck 0.1.0\n"
