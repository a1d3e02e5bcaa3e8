"""`review`, `demo` and `quarter-report` in a terminal: the Markdown drawn as a report
(issue 22), and the Markdown itself, byte for byte, when piped or asked for.

Each command runs as a real process: under a pseudo-terminal (its stdout a TTY of a
set width) for what a person sees, with stdout a pipe for what a script gets. The
repository is the demo's sample repo (real git history, its embedded warehouse), whose
review holds every part GitHub shows and a terminal cannot: folds, anchors, section
markers, Mermaid charts and Markdown escapes.
"""

from __future__ import annotations

import fcntl
import html
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from collections import Counter
from pathlib import Path

import pytest
from rich.cells import cell_len

from quarterdeck.cli.terminal import terminal_markdown, write_markdown
from quarterdeck.services.demo import DEMO_MONTH, build_demo_repo
from tests.reviewrepos import NASTY, small_repo

COLUMNS = 120
TIMEOUT = 120  # seconds: the machine is shared, a review takes one or two
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\]8;[^\x1b]*\x1b\\")
# What only a web page can show: none of it may reach a terminal.
RAW = ("\\", "&gt;", "&lt;", "&amp;", "&#", "<details", "<summary", "<!--", "<a id", "```")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "NO_COLOR"))}
    env.update(COLUMNS=str(COLUMNS), LINES="50", TERM="xterm-256color", **(extra or {}))
    return env


def in_terminal(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """stdout of `quarterdeck ARGS` run with stdout a pseudo-terminal COLUMNS wide, as
    text (the terminal's \\r\\n made \\n); stderr is a pipe, so no progress counter."""
    main, child = pty.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 50, COLUMNS, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "quarterdeck", *args],
        cwd=cwd,
        env=_env(env),
        stdin=subprocess.DEVNULL,
        stdout=child,
        stderr=subprocess.PIPE,
    )
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.wait(timeout=TIMEOUT) == 0, err
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def piped(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> bytes:
    """stdout of `quarterdeck ARGS` with stdout a pipe (as in `| cat`)."""
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck", *args],
        cwd=cwd,
        env=_env(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def plain(drawn: str) -> str:
    """What a person reads: the drawn output without its colour and style codes."""
    return _ANSI.sub("", drawn)


def assert_reads_like_a_report(drawn: str, markdown: str) -> None:
    """No trace of Markdown or HTML source, every fold's summary line and every table
    value shown as written, and no line wider than the terminal."""
    text = plain(drawn)
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached the terminal"
    assert "xychart" not in text
    assert "%%{init" not in text
    assert "\x1b[" in drawn, "nothing was drawn with style: the Markdown was printed as is"
    for summary in re.findall(r"<summary>(.*?)</summary>", markdown):
        assert html.unescape(summary) in text
    # Headings without their `#`, and each trend row's sparkline kept.
    for heading in re.findall(r"^#{1,3} (.+)$", markdown, re.M):
        assert heading in text
        assert f"# {heading}" not in text
    sparklines = re.findall(r"\| ([▁▂▃▄▅▆▇█]{6}) \|", markdown)
    assert sparklines
    for spark in sparklines:
        assert spark in text
    widest = max(cell_len(line) for line in text.splitlines())
    assert widest <= COLUMNS


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    demo = build_demo_repo(tmp_path_factory.mktemp("terminal") / "sample-repo")
    return demo.path, dict(demo.env)


def test_review_on_a_terminal_reads_like_a_report(demo_repo: tuple[Path, dict]) -> None:
    repo, env = demo_repo
    args = ["review", "--month", str(DEMO_MONTH)]
    markdown = piped([*args, "--format", "md"], repo, env).decode()
    assert "```mermaid" in markdown
    assert "<details>" in markdown
    assert "\\$" in markdown
    drawn = in_terminal(args, repo, env)
    assert_reads_like_a_report(drawn, markdown)
    text = plain(drawn)
    # A figure escaped in the Markdown (`\$101,600`) reads as written.
    money = re.findall(r"\\\$(\d[\d,]*)", markdown)
    assert money
    for value in money:
        assert f"${value}" in text
    # The links to the page's own anchors keep their words, not their targets.
    assert "user-content-" not in text
    assert re.findall(r"\[([^\]]+)\]\(#user-content-", markdown)


def test_review_piped_or_asked_for_markdown_prints_the_markdown(
    demo_repo: tuple[Path, dict], tmp_path: Path
) -> None:
    repo, env = demo_repo
    args = ["review", "--month", str(DEMO_MONTH)]
    as_md = piped([*args, "--format", "md"], repo, env)
    assert piped(args, repo, env) == as_md  # `review | cat`
    assert in_terminal(args, repo, env) != as_md.decode()  # only a terminal draws it
    # On a terminal, --format md and --output still mean the Markdown itself.
    assert in_terminal([*args, "--format", "md"], repo, env) == as_md.decode()
    out = tmp_path / "review.md"
    assert in_terminal([*args, "-o", str(out)], repo, env) == ""
    assert out.read_bytes() == as_md


def test_no_color_draws_without_colour(demo_repo: tuple[Path, dict]) -> None:
    repo, env = demo_repo
    drawn = in_terminal(["review", "--month", str(DEMO_MONTH)], repo, {**env, "NO_COLOR": "1"})
    colours = re.findall(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7]|38;[0-9;]+)m", drawn)
    assert colours == []
    assert "\x1b[1m" in drawn  # drawn still: headings in bold, not `#`
    assert "Growth review: product-analytics" in plain(drawn)
    assert "# Growth review" not in plain(drawn)


def test_demo_on_a_terminal_reads_like_a_report(tmp_path: Path) -> None:
    markdown = piped(["demo", "--format", "md"], tmp_path).decode()
    drawn = in_terminal(["demo"], tmp_path)
    assert_reads_like_a_report(drawn, markdown)
    # Every team's review is drawn, one after the other.
    titles = re.findall(r"^# (Growth review: .+)$", markdown, re.M)
    assert len(titles) >= 2
    text = plain(drawn)
    assert [t for t in titles if t in text] == titles
    assert text.index(titles[0]) < text.index(titles[1])


def test_quarter_report_on_a_terminal(demo_repo: tuple[Path, dict]) -> None:
    repo, env = demo_repo
    args = ["quarter-report", "--quarter", DEMO_MONTH.quarter]
    markdown = piped([*args, "--format", "md"], repo, env).decode()
    assert piped(args, repo, env).decode() == markdown
    text = plain(in_terminal(args, repo, env))
    for raw in RAW:
        assert raw not in text, f"{raw!r} reached the terminal"
    title = re.search(r"^# (.+)$", markdown, re.M)
    assert title
    assert title[1] in text


def test_a_hostile_title_reads_as_its_author_wrote_it(tmp_path: Path) -> None:
    # The Markdown escapes `<`, `|` and `{` so GitHub shows them as text; a terminal
    # shows the title itself, and nothing of it is taken as markup.
    repo = small_repo(tmp_path / "web")
    args = ["review", "--month", "2026-11", "--team", "analytics"]
    markdown = piped([*args, "--format", "md"], repo.path).decode()
    assert NASTY not in markdown  # escaped there
    text = plain(in_terminal(args, repo.path))
    assert NASTY in text


def test_terminal_markdown_keeps_code_and_drops_only_web_parts() -> None:
    source = (
        '<!-- quarterdeck:section x -->\n<a id="x"></a>\n## Part\n\n<details>\n'
        "<summary>3 PRs &amp; 1 goal</summary>\n\nSee [the figures](#user-content-x) or "
        "[the docs](https://example.com/docs).\n\n```mermaid\nxychart-beta\n    line [1, 2]\n"
        "```\n\n```yaml\n<details>\n```\n\n</details>\n<!-- /quarterdeck:section x -->\n"
    )
    assert terminal_markdown(source) == (
        "## Part\n\n**3 PRs &amp; 1 goal**\n\nSee the figures or "
        "[the docs](https://example.com/docs).\n\n```yaml\n<details>\n```\n"
    )


def test_a_table_wider_than_the_terminal_folds_its_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    # rich cuts a cell that does not fit with "…" ("$101,…"); the report folds it onto
    # the next line instead, so every digit of every figure is still on the screen.
    monkeypatch.setenv("COLUMNS", "40")
    values = ["$85,900", "$88,100", "$89,700", "$101,600"]
    table = (
        "| Metric | Jun 2026 | Jul 2026 | Aug 2026 | Nov 2026 |\n|---|---:|---:|---:|---:|\n"
        f"| MRR (product analytics) | {' | '.join(values)} |\n"
    )
    out = io.StringIO()
    write_markdown(table, out)
    text = out.getvalue()
    assert "…" not in text
    assert max(cell_len(line) for line in text.splitlines()) <= 40
    shown = Counter(re.findall(r"[\d$]", text.split("─")[-1]))
    assert shown == Counter(re.findall(r"[\d$]", "".join(values)))
