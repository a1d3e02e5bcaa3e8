"""The review, the demo and the quarter report in a terminal: their Markdown drawn as a
report with `rich` (headings, tables, sparklines) instead of printed as source.

Only a person at a terminal gets the drawn form: with `--output`, an explicit
`--format`, or stdout a pipe or file, the Markdown is written exactly as rendered, so
`review | cat` and `review --format md` print the same bytes. `rich` is imported only
when it draws (start-up time matters for every other command).

GitHub's parts that mean nothing in a terminal are turned into what they say first:
the HTML comments that mark sections and the `<a id>` anchors go, a `<details>` fold
becomes its `<summary>` line in bold followed by its content, a link to an anchor of
the page becomes its text, and ```mermaid charts go (each sits beside the table that
holds its values). Markdown's escapes (`\\_`, `&gt;`, `&#124;`) are undone by the
Markdown parser itself.
"""

from __future__ import annotations

import re
import sys
from typing import ClassVar, TextIO

from quarterdeck.cli.base import Args

__all__ = ["emit_markdown", "for_terminal", "terminal_markdown", "write_markdown"]

_COMMENT = re.compile(r"^\s*<!--.*-->\s*$")
_ANCHOR = re.compile(r'^\s*<a id="[^"]*"></a>\s*$')
_FOLD_EDGE = re.compile(r"^\s*</?details>\s*$")
# `<summary>` on its own line, or right after `<details>` as pr_comment writes it.
_SUMMARY = re.compile(r"^\s*(?:<details>)?\s*<summary>(?P<line>.*?)</summary>\s*$")
_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`\s]*)")
# [text](#user-content-…): a jump inside the page, which a terminal cannot follow.
_PAGE_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\(#[^)\s]*\)")


def for_terminal(args: Args, stream: TextIO) -> bool:
    """True when the Markdown is for a person at a terminal: no `--output`, no explicit
    `--format`, and `stream` a TTY."""
    if getattr(args, "output", None) or getattr(args, "format", None) is not None:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def emit_markdown(args: Args, text: str) -> None:
    """Write a command's Markdown where `args` says: drawn for the terminal when stdout
    is one (and nothing asked for Markdown), else as written (`--output`, or stdout)."""
    from quarterdeck.cli.args import write_output

    if for_terminal(args, sys.stdout):
        write_markdown(text, sys.stdout)
    else:
        write_output(args, text)


def terminal_markdown(markdown: str) -> str:
    """`markdown` without the parts only a web page can show (see the module's notes):
    the Markdown a terminal renderer is given. Code fences other than Mermaid's are
    kept as they are."""
    out: list[str] = []
    fence: str | None = None  # the open fence's marker, while inside one
    dropping = False  # inside a ```mermaid fence
    for line in markdown.splitlines():
        if fence is not None:
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
                if dropping:
                    dropping = False
                    continue
            if not dropping:
                out.append(line)
            continue
        opened = _FENCE.match(line.strip())
        if opened:
            fence = opened["fence"]
            dropping = opened["info"].lower() == "mermaid"
            if not dropping:
                out.append(line)
            continue
        if _COMMENT.match(line) or _ANCHOR.match(line) or _FOLD_EDGE.match(line):
            continue
        summary = _SUMMARY.match(line)
        if summary:
            out.extend([f"**{summary['line'].strip()}**", ""])
            continue
        out.append(_PAGE_LINK.sub(r"\g<text>", line))
    # Dropped lines leave runs of blank lines: one is all Markdown needs.
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n") + "\n"


def write_markdown(text: str, stream: TextIO) -> None:
    """Draw Markdown `text` on `stream` as a terminal report with rich: its width is the
    terminal's (or $COLUMNS), and $NO_COLOR turns colour off."""
    from rich.console import Console, ConsoleOptions, RenderResult
    from rich.markdown import Markdown, MarkdownElement, TableElement
    from rich.table import Table

    class FoldedTable(TableElement):
        """rich's table, its cells folded rather than cut with "…" when the terminal is
        narrower than the table: a figure split over two lines still reads, `$101,…`
        does not."""

        def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
            for part in super().__rich_console__(console, options):
                if isinstance(part, Table):
                    for column in part.columns:
                        column.overflow = "fold"
                yield part

    class Report(Markdown):
        elements: ClassVar[dict[str, type[MarkdownElement]]] = {
            **Markdown.elements,
            "table_open": FoldedTable,
        }

    Console(file=stream).print(Report(terminal_markdown(text)))
