"""The CLI's command classes on click: examples at the end of every --help, `-v` after
any command, and the values a command runs with.

click gives the rest people expect of a command line: "did you mean" for a mistyped
command or option, a usage error reported with the (sub)command's own usage (exit 2),
and shell completion. A command's callback is wrapped by `runs`, which hands the
command's function one `Args` (the parsed values by name) once the checks every
command shares have passed.
"""

from __future__ import annotations

import functools
import logging
import sys
import threading
from collections.abc import Callable, Mapping
from types import SimpleNamespace
from typing import Any

import click

from quarterdeck.core.vocabulary import is_login
from quarterdeck.redact import RedactFilter

# The parsed values of one command, by their Python names (`args.dry_run`).
Args = SimpleNamespace

_VERBOSE_HELP = "log what happens"


def examples(*lines: str) -> str:
    """A command's epilog: its examples, printed as written at the end of its --help."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


class Command(click.Command):
    """A subcommand: `-v/--verbose` accepted after it too, examples kept as written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not any("--verbose" in p.opts for p in self.params):
            self.params.append(click.Option(["-v", "--verbose"], is_flag=True, help=_VERBOSE_HELP))

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The examples as written (click would re-wrap them into one paragraph)."""
        _write_epilog(self, formatter)


class Group(click.Group):
    """A command with subcommands; those it declares are `Command`s."""

    command_class = Command

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """As `Command.format_epilog`."""
        _write_epilog(self, formatter)


class LazyGroup(Group):
    """A `Group` whose listed subcommands are built on first use (click's lazy-loading
    pattern): a command line names one command, so the others' modules (the App's
    `serve`, `app register`, `goals`, ...) are not imported to run it. `lazy` maps each
    such command's name to a function that imports and returns it; `--help`, shell
    completion and "did you mean" still see every name."""

    def __init__(
        self,
        *args: Any,
        lazy: Mapping[str, Callable[[], click.Command]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, Callable[[], click.Command]] = dict(lazy or {})
        # Runs of `main` in threads (tests, an embedding program) build a command once:
        # a second run must not find it popped from `lazy` but not yet added.
        self._building = threading.Lock()

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, built or not, sorted as click lists them."""
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command named `cmd_name`, built (and kept) the first time it is asked for."""
        with self._building:
            load = self.lazy.pop(cmd_name, None)
            if load is not None:
                self.add_command(load(), cmd_name)
        return super().get_command(ctx, cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """As click's, with the unbuilt commands among the "did you mean" candidates
        (click offers only the built ones)."""
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            raise click.exceptions.NoSuchCommand(
                exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None


def _write_epilog(command: click.Command, formatter: click.HelpFormatter) -> None:
    if command.epilog:
        formatter.write("\n" + command.epilog + "\n")


def runs(handler: Callable[[Args], int]) -> Callable[..., int]:
    """The click callback of a command whose work is `handler(args)`: it checks what
    every command shares, sets up logging and returns the handler's exit code."""

    @functools.wraps(handler)
    def callback(**values: Any) -> int:
        ctx = click.get_current_context()
        root = ctx.find_root()
        args = Args(**values)
        # -v before the command (`quarterdeck -v review`) or after it.
        args.verbose = bool(values.get("verbose") or root.params.get("verbose"))
        if getattr(args, "with_bodies", False) and args.format != "json":
            # PR descriptions exist only in the JSON output: a silent no-op would mislead.
            raise click.UsageError(
                "--with-bodies keeps each PR's description in the JSON output; add "
                "--format json (or leave --with-bodies out)",
                ctx,
            )
        if getattr(args, "github", None) and is_login(args.github):
            # An owner alone names its organisation-wide home: the `.github` repository.
            args.github = f"{args.github}/.github"
        logging.basicConfig(
            level=logging.INFO if args.verbose else logging.WARNING,
            format="quarterdeck: %(message)s",
            stream=sys.stderr,
        )
        _redact_log_handlers()
        return handler(args)

    return callback


def _redact_log_handlers() -> None:
    """Put the redaction filter on the root logger's handlers (the CLI's own, or a
    host's), once each, so no log line at any level shows a secret."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(RedactFilter())
