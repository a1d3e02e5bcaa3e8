"""The CLI's parser: argparse, forgiving as people expect a command line to be.

One place for what argparse of Python 3.11 lacks (3.14's `suggest_on_error`): a
mistyped command, subcommand, choice or option gets "did you mean …?"
(`difflib.get_close_matches`); an option no subcommand knows is reported with that
subcommand's own usage (argparse would print the top level's); and every
subcommand's `--help` ends with examples (`EXAMPLES`, one entry per command).
All of these are usage errors: exit 2.
"""

from __future__ import annotations

import argparse
import difflib
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn

# Each subcommand's examples, by its path under `quarterdeck`; `with_examples` puts
# them at the end of its --help (tests/test_cli_forgives.py checks none is missing).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "review": (
        "quarterdeck review                          # last full month, this clone",
        "quarterdeck review --month 2026-11 --team product-analytics",
        "quarterdeck review --format json --with-bodies -o review.json",
        "quarterdeck review --repo ../web --repo ../sdk   # teams shipping in two clones",
        "quarterdeck review --github acme/web --publish   # open or update the issues",
    ),
    "link": (
        "quarterdeck link 4214                       # from this clone's history",
        "quarterdeck link '#4214' --github acme/web   # from GitHub",
    ),
    "validate": (
        "quarterdeck validate",
        "quarterdeck validate --strict --github acme/web",
    ),
    "schema": (
        "quarterdeck schema > schema/quarterdeck.schema.json",
        "quarterdeck schema --review-output",
    ),
    "init": (
        "cd your-repo && quarterdeck init",
        "quarterdeck init --repo ../web --force",
    ),
    "demo": (
        "quarterdeck demo",
        "quarterdeck demo --keep /tmp/sample --format json",
    ),
    "quarter-report": (
        "quarterdeck quarter-report                  # the current quarter, so far",
        "quarterdeck quarter-report --quarter 2026-Q4 --format json",
        "quarterdeck quarter-report --github acme/web --quarter 2026-Q4",
    ),
    "serve": (
        "quarterdeck serve --host 0.0.0.0 --port 8000",
        "REDIS_URL=redis://localhost:6379/0 quarterdeck serve --workers 9",
    ),
    "worker": (
        "REDIS_URL=redis://localhost:6379/0 quarterdeck worker",
        "quarterdeck worker --burst                  # until the queue is empty",
    ),
    "schedule": (
        "quarterdeck schedule                        # daily, from cron",
        "quarterdeck schedule --month 2026-11 --dry-run",
    ),
    "goals": (
        "quarterdeck goals new 2027-Q1",
        "quarterdeck goals sync --github acme/web --dry-run",
    ),
    "goals sync": (
        "quarterdeck goals sync --github acme/web --dry-run",
        "quarterdeck goals sync --github acme/web --quarter 2026-Q4",
    ),
    "goals new": (
        "quarterdeck goals new 2027-Q1",
        "quarterdeck goals new 2027-Q1 --force",
    ),
    "app": ("quarterdeck app register --webhook-url https://quarterdeck.example.org/webhook",),
    "app register": (
        "quarterdeck app register --webhook-url https://quarterdeck.example.org/webhook",
        "quarterdeck app register --org acme --webhook-url https://qd.acme.dev/webhook -o app.env",
    ),
    "plan": (
        "quarterdeck plan                            # print next quarter's planning issues",
        "quarterdeck plan --github acme/web --publish --quarter 2027-Q1",
    ),
}
_WIDTH = 78  # a description filled to it reads as argparse's own


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`"; did you mean 'review'?"` for the close matches of `word`, else ""."""
    close = difflib.get_close_matches(word, list(candidates), n=2, cutoff=0.6)
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"


class ForgivingParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors suggest what was meant, reported by the
    (sub)command they belong to. Subcommands get this class too (argparse gives a
    subparser its parent's class)."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        # argparse's own check (the hook 3.11 to 3.13 call for every value with choices),
        # with a suggestion: a command, a subcommand or a choice.
        if action.choices is not None and value not in action.choices:
            choices = ", ".join(repr(c) for c in action.choices)
            hint = did_you_mean(str(value), (str(c) for c in action.choices))
            raise argparse.ArgumentError(
                action, f"invalid choice: {value!r} (choose from {choices}){hint}"
            )

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        """argparse's, but an unknown option is reported by the subcommand it was given
        to, with its usage and the option it most likely meant."""
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            chosen(self, parsed).unrecognized(extras)
        return parsed

    def unrecognized(self, extras: Sequence[str]) -> NoReturn:
        """Exit 2 with this parser's usage: `extras` are not its arguments."""
        known = [o for o in self._option_string_actions if o.startswith("--")]
        hints = [
            did_you_mean(word.partition("=")[0], known).removeprefix("; ")
            for word in extras
            if word.startswith("--")
        ]
        hint = "; ".join(h for h in hints if h)
        self.error(f"unrecognized arguments: {' '.join(extras)}" + (f"; {hint}" if hint else ""))


def chosen(parser: argparse.ArgumentParser, parsed: argparse.Namespace) -> ForgivingParser:
    """The deepest subcommand's parser that `parsed` went through (`goals sync`'s for
    `quarterdeck goals sync …`), or `parser` itself."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        name = getattr(parsed, subs[0].dest, None) if subs else None
        if not subs or name not in subs[0].choices:
            return parser  # type: ignore[return-value]
        parser = subs[0].choices[name]


def with_examples(parser: argparse.ArgumentParser, path: str = "") -> None:
    """End every subcommand's --help with its `EXAMPLES` (at every depth). The epilog
    is kept as written (RawDescriptionHelpFormatter), so the description is filled
    here, as argparse would have."""
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for name, sub in action.choices.items():
            where = f"{path} {name}".strip()
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
            if sub.description:
                sub.description = textwrap.fill(" ".join(sub.description.split()), _WIDTH)
            examples = EXAMPLES.get(where, ())
            if examples:
                sub.epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
            with_examples(sub, where)
