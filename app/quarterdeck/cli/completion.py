"""`quarterdeck completion SHELL`: the script that makes the shell complete
`quarterdeck`'s commands, options and team slugs.

It is click's own completion (`_QUARTERDECK_COMPLETE=bash_source quarterdeck` prints
the same script); the shell runs `quarterdeck` with `_QUARTERDECK_COMPLETE` set on
each Tab, and click answers from the command line's declarations (`--team` from the
config, `cli.args.complete_team`).
"""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

from quarterdeck.cli.base import Args, Command, examples, runs

PROG = "quarterdeck"
COMPLETE_VAR = "_QUARTERDECK_COMPLETE"  # click's name for it: _<PROG>_COMPLETE
SHELLS = ("bash", "zsh", "fish")


@click.command(
    "completion",
    cls=Command,
    short_help="print the script that makes your shell complete quarterdeck's commands",
    help="Print the shell completion script for SHELL (bash, zsh or fish): commands, "
    "options, and --team's slugs from the config of the repo in the working directory "
    "(or --repo). Add the line of your shell from the examples to its start-up file.",
    epilog=examples(
        'eval "$(quarterdeck completion bash)"   # in ~/.bashrc',
        'eval "$(quarterdeck completion zsh)"    # in ~/.zshrc',
        "quarterdeck completion fish > ~/.config/fish/completions/quarterdeck.fish",
    ),
)
@click.argument("shell", type=click.Choice(SHELLS))
@runs
def completion_command(args: Args) -> int:
    """Print the completion script of `args.shell` on stdout."""
    ctx = click.get_current_context()
    complete = get_completion_class(args.shell)
    if complete is None:  # click knows every shell in SHELLS; a guard, not a path
        raise click.UsageError(f"no completion for {args.shell!r}", ctx)
    script = complete(ctx.find_root().command, {}, PROG, COMPLETE_VAR).source()
    click.echo(script)
    return 0
