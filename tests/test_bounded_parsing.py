"""Parsing user text is linear in its length (issue 14, item 9).

Two kinds of test. *Growth*: each hostile input that used to be quadratic (or worse)
is parsed at two sizes in one run, and the time may grow at most about linearly
(8× the input, at most 24× the time: quadratic would be 64×), unless the larger run
is fast anyway. *Oracle*: the linear scanners give exactly what the old regexes gave,
on random small inputs; the old regexes are kept here as the reference.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.config import build_config
from quarterdeck.core.config.fields import MAX_PARAGRAPH, MAX_SENTENCE, MAX_TEXT, MAX_TITLE
from quarterdeck.core.goals.goal_issues import (
    IssueSnapshot,
    count_tasks,
    objective_from_issue,
    objective_of,
)
from quarterdeck.core.review import pr_messages
from quarterdeck.core.review.linking import MAX_PARSED, parse_references, strip_code
from quarterdeck.core.text import markers
from quarterdeck.core.text.markdown import escape_inline
from quarterdeck.errors import ConfigError
from quarterdeck.resources import resource
from tests.fakegithub import FakeGitHub
from tests.old_parsers import (
    OLD_CO_AUTHOR,
    OLD_HTML_COMMENT,
    OLD_INLINE_CODE,
    OLD_ISSUE_REF,
    OLD_SECTION,
    OLD_TITLE_NUMBER,
)
from tests.reviewrepos import CONFIG, GOALS

SMALL, LARGE = 8_000, 64_000
# 8× the input: linear is 8× the time, quadratic 64×. A larger run under this many
# seconds passes whatever the ratio (a quick run is all noise on a busy machine).
MAX_RATIO, FAST_ENOUGH_S = 24, 0.25


def _best_of(parse: Callable[[str], object], text: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        parse(text)
        best = min(best, time.perf_counter() - start)
    return best


def _repeat(unit: str, size: int, prefix: str = "", suffix: str = "") -> str:
    return prefix + unit * (size // len(unit)) + suffix


# (what, parser, input of a given size): every shape the attack probe or a review of
# the regexes found superlinear, plus the ones it tried that were already linear.
_HOSTILE: list[tuple[str, Callable[[str], object], Callable[[int], str]]] = [
    ("pr body: <!-- repeated, never closed", parse_references, lambda n: _repeat("<!--", n)),
    ("pr body: Fixes # repeated", parse_references, lambda n: _repeat("Fixes #", n)),
    ("pr body: Goal: repeated", parse_references, lambda n: _repeat("Goal:", n)),
    ("pr body: goal:slug repeated", parse_references, lambda n: _repeat("goal:a ", n)),
    ("pr body: part of + spaces", parse_references, lambda n: _repeat(" ", n, "part of", "x")),
    ("pr body: code spans of many lengths", parse_references, lambda n: _ticks(n)),
    ("pr body: one backtick, long paragraph", parse_references, lambda n: _repeat("a\n", n, "`")),
    ("pr body: fences", parse_references, lambda n: _repeat("```\n~~~x\n", n)),
    (
        "sections: distinct names, never closed",
        markers.sections,
        lambda n: "".join(f"<!-- quarterdeck:section s{i} -->" for i in range(n // 32)),
    ),
    (
        "merge: distinct names, never closed",
        lambda text: markers.merge(text, markers.section("x", "y")),
        lambda n: "".join(f"<!-- quarterdeck:section s{i} -->" for i in range(n // 32)),
    ),
    (
        "read_marker: key=a=a words, never closed",
        lambda text: markers.read_marker(text, "review"),
        lambda n: _repeat(" a=a=a", n, "<!-- quarterdeck:review", "x"),
    ),
    (
        "commit: Co-authored-by: and spaces",
        pr_messages.co_author_trailers,
        lambda n: _repeat(" ", n, "Co-authored-by:", "x"),
    ),
    (
        "commit: subject of spaces",
        lambda text: pr_messages.read_pr_trace(text, 1),
        lambda n: _repeat(" ", n, "x"),
    ),
    ("goal issue: heading of # #", count_tasks, lambda n: _repeat(" #", n, "#", "x")),
    (
        "objective issue: <!-- repeated, never closed",
        lambda text: objective_from_issue(_objective_issue(text)),
        lambda n: _repeat("<!--", n),
    ),
    (
        "objective issue: id: and objective: lines of spaces",
        lambda text: (objective_from_issue(_objective_issue(text)), objective_of(text)),
        lambda n: _repeat(" ", n, "id:", "x\nobjective:" + " " * (n // 2) + "x"),
    ),
    ("escaping: @ repeated", escape_inline, lambda n: _repeat("@", n)),
]


def _objective_issue(body: str) -> IssueSnapshot:
    return IssueSnapshot(1, "Objective", body, "open", ("objective", "quarter:2026-Q4"))


def _ticks(size: int) -> str:
    """Backtick runs of lengths 1, 2, 3, … in one paragraph: none of them closes."""
    parts, length, total = [], 1, 0
    while total < size:
        parts.append("`" * length + "a")
        total += length + 1
        length += 1
    return "".join(parts)


@pytest.mark.parametrize(("what", "parse", "make"), _HOSTILE, ids=[h[0] for h in _HOSTILE])
def test_hostile_text_parses_in_linear_time(
    what: str, parse: Callable[[str], object], make: Callable[[int], str]
) -> None:
    small, large = make(SMALL), make(LARGE)
    assert len(large) >= 7 * len(small)
    parse(small)  # warm up caches (compiled regexes), so the first timing is fair
    t_small, t_large = _best_of(parse, small), _best_of(parse, large)
    ratio = t_large / max(t_small, 1e-6)
    assert t_large < FAST_ENOUGH_S or ratio < MAX_RATIO, (
        f"{what}: {len(small)} chars in {t_small:.4f} s, {len(large)} in {t_large:.4f} s"
    )


def test_the_probes_64_kb_comment_body_is_fast() -> None:
    # The attack probe's case: 5.8 s before. Linear, it is a few milliseconds; 1 s is
    # a bound no busy machine misses and the quadratic parser never met.
    body = "<!--" * (65_536 // 4)
    assert _best_of(parse_references, body, runs=1) < 1.0


def test_a_body_is_read_up_to_githubs_limit_only() -> None:
    assert MAX_PARSED == 65_536  # GitHub's own limit on a PR body
    inside = "x" * (MAX_PARSED - 20) + " Fixes #7"
    beyond = "x" * MAX_PARSED + " Fixes #8"
    assert parse_references(inside).issues == (7,)
    assert parse_references(beyond).issues == ()


# The old regexes: tests/old_parsers.py

# Small alphabets made of the characters each parser cares about, so random text hits
# the interesting cases (unclosed, nested, adjacent, across blank lines) often.
_markdownish = st.text(alphabet=st.sampled_from(list("`a \n\t<!->#")), max_size=60)
_marker_parts = st.sampled_from(
    [
        "<!-- quarterdeck:section a -->",
        "<!-- /quarterdeck:section a -->",
        "<!-- quarterdeck:section b -->",
        "<!-- /quarterdeck:section b -->",
        "<!-- quarterdeck:section a",
        "\n",
        "x",
        "<!--",
        " -->",
    ]
)
_marked = st.lists(_marker_parts, max_size=12).map("".join)


def _old_strip(text: str) -> str:
    """strip_code as it was, for text without fences: the old regexes, line by line."""
    lines = OLD_HTML_COMMENT.sub(" ", text).splitlines()
    return OLD_INLINE_CODE.sub(" ", "\n".join(lines))


@settings(max_examples=500, deadline=None)
@given(_markdownish)
def test_comments_and_code_spans_are_stripped_as_the_regexes_did(text: str) -> None:
    text = re.sub("`{3,}", "``", text)  # fences are handled line by line, as before
    assert strip_code(text) == _old_strip(text)


@settings(max_examples=400, deadline=None)
@given(_marked, _marked)
def test_sections_and_merge_match_the_old_regex(existing: str, rendered: str) -> None:
    old = {}
    for m in OLD_SECTION.finditer(existing):
        old.setdefault(m["name"], m["body"])
    assert markers.sections(existing) == old
    spans = [(m["name"], m.start("body"), m.end("body")) for m in OLD_SECTION.finditer(existing)]
    assert markers.section_spans(existing) == spans
    fresh = markers.sections(rendered)
    seen: set[str] = set()

    def replace(m: re.Match[str]) -> str:
        if m["name"] in seen or m["name"] not in fresh:
            return m.group(0)
        seen.add(m["name"])
        return markers.section(m["name"], fresh[m["name"]])

    expected = OLD_SECTION.sub(replace, existing)
    for name in [n for n in fresh if n not in seen and n not in old]:
        expected = expected.rstrip("\n") + "\n\n" + markers.section(name, fresh[name]) + "\n"
    assert markers.merge(existing, rendered) == expected


_trailer_text = st.text(alphabet=st.sampled_from(list("Co-authored-by: A<b@c>\t\n\r")), max_size=50)


@settings(max_examples=400, deadline=None)
@given(_trailer_text)
def test_co_authors_match_the_old_regex(tail: str) -> None:
    for message in (tail, "Co-authored-by:" + tail, "x\n co-authored-by: " + tail):
        old = dict.fromkeys(
            (m["name"].strip(), m["email"]) for m in OLD_CO_AUTHOR.finditer(message)
        )
        assert pr_messages.co_author_trailers(message) == tuple(old)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("a (#1)2 \t")), max_size=30))
def test_titled_subjects_match_the_old_regex(subject: str) -> None:
    trace = pr_messages.read_pr_trace(subject, 1)
    m = OLD_TITLE_NUMBER.match(pr_messages.subject_of(subject))
    if m is None or int(m.group(2)) == 0:
        assert trace is None
    else:
        assert trace is not None
        assert (trace.number, trace.title) == (int(m.group(2)), m.group(1))


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("part of: #12\n\tGgoalx")), max_size=40))
def test_issue_references_match_the_old_regex(text: str) -> None:
    old = dict.fromkeys(int(m["num"]) for m in OLD_ISSUE_REF.finditer(text) if int(m["num"]))
    assert set(parse_references(text).issues) == set(old)


# ------------------------------------------------------- caps on free text in config

_MISSION = "Make insights fast " * (900_000 // 19)  # the probe's 900 KB team mission


def test_validate_refuses_a_900_kb_mission_with_file_line_and_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / ".github").mkdir(parents=True)
    config = CONFIG.replace("mission: Make insights fast", f"mission: {_MISSION}")
    (repo / ".github" / "quarterdeck.yml").write_text(config, encoding="utf-8")

    assert main(["validate", "--repo", str(repo)]) == 1

    err = capsys.readouterr().err
    line = CONFIG.splitlines().index("    mission: Make insights fast") + 1
    assert (
        f".github/quarterdeck.yml:{line}: teams.analytics.mission: too long: "
        f"{len(_MISSION.strip()):,} characters, and at most {MAX_SENTENCE:,} fit here" in err
    )
    assert "Traceback" not in err


def test_review_github_with_a_900_kb_mission_stops_at_once(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # It hung for over 60 s: the mission was escaped by a quadratic escaper. Now the
    # config is refused before any review is built, and nothing is written.
    config = CONFIG.replace("mission: Make insights fast", f"mission: {_MISSION}")
    github.add_repo(
        "acme/web", files={".github/quarterdeck.yml": config, "goals/2026-Q4.yml": GOALS}
    )
    monkeypatch.setattr(cli, "_github", lambda args: github.client())
    started = time.perf_counter()

    code = main(["review", "--github", "acme/web", "--month", "2026-11", "--publish"])

    assert code == 1
    assert time.perf_counter() - started < 30  # YAML-reading 900 KB three times, no hang
    err = capsys.readouterr().err
    assert "teams.analytics.mission: too long" in err
    assert "Traceback" not in err
    assert github.writes == []


def test_a_mission_at_the_cap_renders_quickly_and_escaped() -> None:
    # The worst text at the cap: every word a would-be mention.
    mission = ("@a " * MAX_SENTENCE)[:MAX_SENTENCE]
    problems = config_problems(CONFIG.replace("Make insights fast", f"'{mission}'"))
    assert problems == []
    started = time.perf_counter()
    text = escape_inline(mission, max_length=None)
    assert time.perf_counter() - started < 1.0
    assert "@a" not in text.replace("`@a`", "")


@pytest.mark.parametrize(
    ("key", "where", "most"),
    [
        ("title", "- id: funnels\n  title: {v}", MAX_TITLE),
        ("motivation", "- id: funnels\n  title: Funnels v2\n  motivation: {v}", MAX_PARAGRAPH),
        ("keywords[0]", "- id: funnels\n  title: Funnels v2\n  keywords: [{v}]", MAX_TEXT),
    ],
)
def test_goal_text_over_its_cap_is_refused(key: str, where: str, most: int) -> None:
    goal = where.format(v="y" * (most + 1)) + "\n  team: analytics\n  owners: [alice]\n"
    line = goal.count("\n", 0, goal.index("y" * 10)) + 1
    problems = config_problems(CONFIG, {"goals/2026-Q4.yml": goal})
    assert problems == [
        f"goals/2026-Q4.yml:{line}: funnels.{key}: too long: {most + 1:,} characters, "
        f"and at most {most:,} fit here; shorten it (Quarterdeck caps free text so every "
        "value stays cheap to show)"
    ]


def test_the_caps_are_in_the_json_schema() -> None:
    schema = json.loads(resource("schema/quarterdeck.schema.json").read_text())
    defs = schema["$defs"]
    assert defs["TeamSpec"]["properties"]["mission"]["maxLength"] == MAX_SENTENCE
    assert defs["GoalSpec"]["properties"]["title"]["maxLength"] == MAX_TITLE
    assert defs["GoalSpec"]["properties"]["motivation"]["maxLength"] == MAX_PARAGRAPH


def config_problems(config: str, goals: dict[str, str] | None = None) -> list[str]:
    """Every problem build_config reports, as the user sees it."""
    files = list((goals or {}).items())
    try:
        _, warnings = build_config((".github/quarterdeck.yml", config), files)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return [str(p) for p in warnings if "(warning)" not in str(p)]
