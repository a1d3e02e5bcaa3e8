"""The decision on a review issue, read and judged (pure), and what the goals changed;
the App's handling of both boxes, an untick and a forged record."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.core.model import Goal
from quarterdeck.core.review.decisions import (
    Boxes,
    Record,
    judge,
    read_boxes,
    read_record,
    record_content,
)
from quarterdeck.core.review.goal_changes import goal_changes
from quarterdeck.core.text.markers import section
from quarterdeck.sources.git_goals_history import goals_file_at
from tests.gitrepo import GitRepo
from tests.reviewrepos import ALICE

AT = datetime(2026, 11, 4, 10, 30, tzinfo=UTC)
DECISION = """## Decision

@alice, after the discussion: continue, or change course?

{continue_} Continue as planned
{change} Change course (reprioritise, change goals, or start new work)

Notes:{notes}
"""


def body(continue_: str = "- [ ]", change: str = "- [ ]", notes: str = "") -> str:
    shipped = section("shipped", "- [x] Continue as planned (a quoted PR title)\n")
    return f"intro\n\n{shipped}\n\n" + DECISION.format(
        continue_=continue_, change=change, notes=notes
    )


@pytest.mark.parametrize(
    ("text", "ticked", "notes"),
    [
        (body(), "none", ""),
        (body(continue_="- [x]"), "continue", ""),
        (body(continue_="* [X]"), "continue", ""),
        (body(change="- [x]", notes=" Cohorts first."), "change-course", "Cohorts first."),
        (body(change="- [x]", notes="\n\nTwo\nlines."), "change-course", "Two\nlines."),
        (body(continue_="- [x]", change="- [x]"), "both", ""),
        # The quoted box in the bot's shipped section is not a decision.
        (body().replace("## Decision", "## Decided"), "none", ""),
        ("no boxes at all", "none", ""),
    ],
)
def test_read_boxes(text: str, ticked: str, notes: str) -> None:
    found = read_boxes(text)
    assert (found.ticked, found.notes) == (ticked, notes)


def test_a_body_without_boxes_says_so() -> None:
    assert read_boxes("nothing here").found is False
    assert read_boxes(body()).found is True


CC = Record("change-course", "alice", AT, "cohorts")
GO = Record("continue", "alice", AT, "")


@pytest.mark.parametrize(
    ("boxes", "recorded", "editor", "choice", "changed", "note"),
    [
        # The lead's single tick is recorded, with the notes.
        (Boxes("change-course", "cohorts"), None, "alice", "change-course", True, None),
        (Boxes("change-course", "cohorts"), None, "ALICE", "change-course", True, None),
        # The same again (a re-delivery, a re-run): nothing changes.
        (Boxes("change-course", "cohorts"), CC, "alice", "change-course", False, None),
        # The lead changes their mind, or only their notes.
        (Boxes("continue", ""), CC, "alice", "continue", True, None),
        (Boxes("change-course", "more"), CC, "alice", "change-course", True, None),
        # Anyone else: the record stays, a note says the lead's tick is awaited.
        (Boxes("continue", ""), CC, "pat", "change-course", False, "`alice`'s tick is awaited"),
        (Boxes("continue", ""), None, "pat", None, False, "`alice`'s tick is awaited"),
        (Boxes("continue", ""), None, None, None, False, "Someone ticked"),
        (Boxes("none", ""), CC, "pat", "change-course", False, "`pat` unticked"),
        # Someone else's edit that leaves the boxes as recorded: nothing to say.
        (Boxes("change-course", "edited"), CC, "pat", "change-course", False, None),
        # Both boxes: keep one; nothing recorded, nothing labelled.
        (Boxes("both", ""), None, "alice", None, False, "Both boxes are ticked: keep one"),
        (Boxes("both", ""), GO, "pat", "continue", False, "Both boxes are ticked: keep one"),
        # The lead unticks: the decision is withdrawn and the label goes.
        (Boxes("none", ""), GO, "alice", None, True, "`decision:continue` label is removed"),
        (Boxes("none", ""), None, "alice", None, False, None),
    ],
)
def test_judge(
    boxes: Boxes,
    recorded: Record | None,
    editor: str | None,
    choice: str | None,
    changed: bool,
    note: str | None,
) -> None:
    verdict = judge(boxes, recorded, editor, "alice", AT, "analytics")
    assert (verdict.record.choice if verdict.record else None) == choice
    assert verdict.changed is changed
    if note is None:
        assert verdict.note is None
    else:
        assert verdict.note is not None
        assert note in verdict.note
    assert verdict.label == (f"decision:{choice}" if choice else None)


def test_a_team_without_a_lead_gets_a_note_and_no_decision() -> None:
    verdict = judge(Boxes("continue", ""), None, "alice", None, AT, "analytics")
    assert verdict.record is None
    assert verdict.note is not None
    assert "`teams.analytics.lead`" in verdict.note


@pytest.mark.parametrize(
    "record",
    [
        CC,
        GO,
        Record(None, "alice", AT, ""),
        Record("continue", "alice", AT, "@everyone [link](https://x.example) <b>|</b> `x`"),
    ],
)
def test_a_record_reads_back_as_written(record: Record) -> None:
    text = "person's text\n\n" + section("decision", record_content(record))
    assert read_record(text) == record


def test_notes_are_shown_escaped_and_read_back_as_typed() -> None:
    hostile = "@everyone see [this](https://evil.example)"
    content = record_content(Record("continue", "alice", AT, hostile))
    line = content.splitlines()[1]
    assert "@everyone" not in line.replace("`@everyone`", "")
    assert "`[this](https://evil.example)`" in line  # a code span: no link
    assert read_record(section("decision", content)).notes == hostile  # type: ignore[union-attr]


def test_a_record_naming_no_login_is_not_read() -> None:
    forged = section(
        "decision", "<!-- quarterdeck:decision at=2026-11-04 by=@team choice=continue -->\n"
    )
    assert read_record(forged) is None


def goal(id_: str, team: str = "analytics", **fields: object) -> Goal:
    values: dict[str, object] = {"title": id_.title(), "owners": ("alice",)}
    values |= {"quarter": "2026-Q4"} | fields
    return Goal(id_, team=team, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("before", "after", "changes"),
    [
        ([goal("a")], [goal("a")], []),
        ([goal("a")], [], [("dropped", "a", "")]),
        ([goal("a")], [goal("a", status="dropped")], [("dropped", "a", "")]),
        ([], [goal("b")], [("added", "b", "")]),
        ([goal("a")], [goal("a", title="Smaller")], [("re-scoped", "a", "“A” → “Smaller”")]),
        ([goal("a")], [goal("a", paths=("web/**",))], [("re-scoped", "a", "paths: +web/**")]),
        (
            [goal("a")],
            [goal("a", owners=("bob",))],
            [("new owners", "a", "owners: +bob −alice")],
        ),
        ([goal("a")], [goal("a", team="web")], [("moved out", "a", "to team web")]),
        ([goal("a", team="web")], [goal("a")], [("moved in", "a", "from team web")]),
        # Another team's goals, and other quarters, are not this team's changes.
        ([goal("x", team="web")], [], []),
        ([], [goal("b", quarter="2027-Q1")], []),
        (
            [goal("a"), goal("b")],
            [goal("b"), goal("c")],
            [("dropped", "a", ""), ("added", "c", "")],
        ),
    ],
)
def test_goal_changes(
    before: list[Goal], after: list[Goal], changes: list[tuple[str, str, str]]
) -> None:
    found = goal_changes(before, after, "analytics", "2026-Q4")
    assert [(c.kind, c.goal_id, c.detail) for c in found] == changes


def test_the_goals_file_as_it_stood_then_from_git(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "web")
    repo.commit("goals", {"goals/2026-Q4.yml": "- old\n"}, ALICE, datetime(2026, 10, 1, tzinfo=UTC))
    repo.commit("more", {"goals/2026-Q4.yml": "- new\n"}, ALICE, datetime(2026, 11, 9, tzinfo=UTC))
    branch = "main"

    then = goals_file_at(repo.path, branch, "goals/2026-Q4.yml", datetime(2026, 11, 1, tzinfo=UTC))
    assert (then.text, then.unavailable) == ("- old\n", "")
    before = goals_file_at(repo.path, branch, "goals/2026-Q4.yml", datetime(2026, 9, 1, tzinfo=UTC))
    assert (before.text, before.unavailable) == (None, "")
    missing = goals_file_at(
        repo.path, branch, "goals/2027-Q1.yml", datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert missing.text is None
