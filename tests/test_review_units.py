"""Units a person would write, in the demo's reviews: one unit per duration row and
column, a shipped goal's date instead of its quiet days, dates that never wrap.

The demo's lead times span 36 hours to a week, so on one scale they need both hours
and days; which unit a cell uses is read from the review, its value from git.
"""

from __future__ import annotations

import re

import pytest

from quarterdeck.cli import main

NB_HYPHEN = "\N{NON-BREAKING HYPHEN}"
DURATION = re.compile(r"(\d[\d,]*(?:\.\d)?) (min|h|d)\b")


@pytest.fixture(scope="module")
def reviews(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    out = tmp_path_factory.mktemp("units") / "review.md"
    assert main(["demo", "-o", str(out)]) == 0
    return out.read_text(encoding="utf-8").split("\n---\n")


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_after(review: str, header_start: str) -> list[list[str]]:
    lines = review.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    body = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        body.append(cells(line))
    return body


def test_a_duration_column_and_row_keep_one_unit(reviews: list[str]) -> None:
    units_seen: set[str] = set()
    for review in reviews:
        if "### The last six months" not in review:
            continue
        months = table_after(review, "| Month | PRs shipped |")
        lead = [row[4] for row in months if row[4] != "—"]
        units = {u for cell in lead for _, u in DURATION.findall(cell)}
        assert len(lead) == len([c for c in lead if DURATION.fullmatch(c)]), lead
        assert len(units) == 1, lead
        units_seen |= units
        (row,) = [cells(line) for line in review.splitlines() if line.startswith("| Lead time |")]
        in_row = {u for cell in row[1:] for _, u in DURATION.findall(cell)}
        assert len(in_row) == 1, row
    # The demo's months need days (a week's lead time), so 36 hours read 1.5 d.
    assert units_seen == {"d"}


def test_a_shipped_goal_says_when_it_shipped_and_dates_do_not_wrap(reviews: list[str]) -> None:
    rows = [
        cells(line)
        for review in reviews
        for line in review.splitlines()
        if line.startswith("| ") and line.count("|") == 7 and "| shipped |" in line
    ]
    assert rows, "the demo has a shipped goal"
    for row in rows:
        shipping = row[-1]
        assert re.fullmatch(
            rf"shipped\N{{NO-BREAK SPACE}}\d{{4}}{NB_HYPHEN}\d\d{NB_HYPHEN}\d\d", shipping
        )
        assert "quiet" not in shipping.casefold()
    header = "| Goal | Owners | Status | Tasks done | PRs this quarter | Shipping |"
    assert all(header in r for r in reviews if "## Goal progress" in r)
    assert not any("Quiet for" in r or "has shipped nothing" in r for r in reviews)


def test_the_stalled_goal_reads_as_a_sentence(reviews: list[str]) -> None:
    stalled = [line for r in reviews for line in r.splitlines() if "No PR for the goal" in line]
    assert stalled
    for line in stalled:
        assert re.search(
            r"“[^”]+” (since .* on \d{4}-\d\d-\d\d|yet in \d{4}-Q\d): quiet for \d+ days", line
        )
