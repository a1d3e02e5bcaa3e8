"""`quarterdeck goals new YYYY-Qn`: the next quarter's file carries over unfinished goals."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quarterdeck.cli import main
from quarterdeck.core.goals.next_quarter import next_goals_file, previous_quarter

CONFIG = """\
teams:
  replay:
    lead: alice
    members: [alice, bob]
goals:
  files: plans/
"""

Q4 = """\
- id: recorder-v2
  title: Recorder v2
  team: replay
  owners: [alice]
  issue: 12
  motivation: Recordings drop frames on long sessions.
  status: in-progress
- id: player-speed
  title: Faster player
  team: replay
  owners: [bob]
  status: shipped
- id: heatmaps
  title: Heatmaps
  team: replay
  owners: [bob, alice]
- id: old-export
  title: Export to CSV
  team: replay
  owners: [alice]
  status: dropped
"""


def make_repo(tmp_path: Path, q4: str | None = Q4) -> Path:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "quarterdeck.yml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "plans").mkdir()
    if q4 is not None:
        (tmp_path / "plans" / "2026-Q4.yml").write_text(q4, encoding="utf-8")
    return tmp_path


def test_unfinished_goals_are_carried_over(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path)
    assert main(["goals", "new", "2027-Q1", "--repo", str(repo)]) == 0
    target = repo / "plans" / "2027-Q1.yml"
    assert yaml.safe_load(target.read_text(encoding="utf-8")) == [
        {
            "id": "recorder-v2",
            "title": "Recorder v2",
            "team": "replay",
            "owners": ["alice"],
            "motivation": "Recordings drop frames on long sessions.",
            "status": "carried-over",
        },
        {
            "id": "heatmaps",
            "title": "Heatmaps",
            "team": "replay",
            "owners": ["bob", "alice"],
            "status": "carried-over",
        },
    ]
    text = target.read_text(encoding="utf-8")
    assert (
        "# From 2026-Q4, where it was in-progress; its issue #12 stays there.\n- id: recorder-v2"
        in text
    )
    assert "# From 2026-Q4, where it was planned.\n- id: heatmaps" in text
    assert "#   team: replay\n#   owners: [alice]" in text
    err = capsys.readouterr().err
    assert "carried over from 2026-Q4: recorder-v2, heatmaps" in err
    # The previous quarter's file is untouched and both validate together.
    assert (repo / "plans" / "2026-Q4.yml").read_text(encoding="utf-8") == Q4
    assert main(["validate", "--repo", str(repo)]) == 0


def test_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path)
    target = repo / "plans" / "2027-Q1.yml"
    target.write_text("[]\n", encoding="utf-8")
    assert main(["goals", "new", "2027-Q1", "--repo", str(repo)]) == 1
    assert "plans/2027-Q1.yml already exists; nothing was written" in capsys.readouterr().err
    assert target.read_text(encoding="utf-8") == "[]\n"
    assert main(["goals", "new", "2027-Q1", "--repo", str(repo), "--force"]) == 0
    assert [g["id"] for g in yaml.safe_load(target.read_text(encoding="utf-8"))] == [
        "recorder-v2",
        "heatmaps",
    ]


@pytest.mark.parametrize("quarter", ["2027-Q5", "2027-Q0", "27-Q1", "2027Q1"])
def test_a_quarter_that_does_not_exist_is_an_error(
    tmp_path: Path, quarter: str, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(["goals", "new", quarter, "--repo", str(repo)])
    assert exit_.value.code == 2
    assert "expected a quarter as YYYY-Qn" in capsys.readouterr().err
    assert sorted(p.name for p in (repo / "plans").iterdir()) == ["2026-Q4.yml"]


def test_without_a_previous_file_the_new_one_is_empty_and_valid(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, q4=None)
    assert main(["goals", "new", "2027-Q1", "--repo", str(repo)]) == 0
    text = (repo / "plans" / "2027-Q1.yml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) == []
    assert "There is no goals file for 2026-Q4, so nothing was carried over." in text
    assert main(["validate", "--repo", str(repo)]) == 0


def test_everything_finished_carries_nothing(tmp_path: Path) -> None:
    done = Q4.replace("status: in-progress", "status: shipped")
    done = done.replace("  owners: [bob, alice]\n", "  owners: [bob, alice]\n  status: dropped\n")
    repo = make_repo(tmp_path, q4=done)
    assert main(["goals", "new", "2027-Q1", "--repo", str(repo)]) == 0
    text = (repo / "plans" / "2027-Q1.yml").read_text(encoding="utf-8")
    assert yaml.safe_load(text) == []
    assert "Every goal of 2026-Q4 was shipped or dropped" in text


def test_an_invalid_previous_file_stops_with_its_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path, q4=Q4.replace("team: replay", "team: replai", 1))
    assert main(["goals", "new", "2027-Q1", "--repo", str(repo)]) == 1
    assert "plans/2026-Q4.yml:3: recorder-v2.team: unknown team 'replai'" in capsys.readouterr().err
    assert not (repo / "plans" / "2027-Q1.yml").exists()


def test_previous_quarter() -> None:
    assert previous_quarter("2027-Q1") == "2026-Q4"
    assert previous_quarter("2026-Q3") == "2026-Q2"
    with pytest.raises(ValueError, match="YYYY-Qn"):
        previous_quarter("2026-Q5")


def test_other_keys_travel_with_the_goal_and_text_stays_text() -> None:
    goals = [
        {
            "id": "search",
            "title": "Search: fast",
            "team": "web",
            "owners": ["yes"],
            "objective": "grow",
            "paths": ["web/search/**"],
            "status": "planned",
        }
    ]
    text = next_goals_file("2026-Q3", "2026-Q2", goals, objectives=["grow"])
    assert yaml.safe_load(text) == [{**goals[0], "status": "carried-over"}]
    assert "# From 2026-Q2, where it was planned." in text


OBJECTIVE_CASES = [
    pytest.param(["grow", "keep"], "grow", [], id="kept-when-the-new-quarter-has-it"),
    pytest.param(
        ["keep", "hire"],
        None,
        [
            "# Its objective 'grow' is not one of 2026-Q3's (its objectives are keep, hire), so "
            "it was",
            "# left out: add `objective: <id>` with the one it serves now.",
        ],
        id="left-out-when-it-has-others",
    ),
    pytest.param(
        [],
        None,
        [
            "# Its objective 'grow' is not one of 2026-Q3's (it has none yet), so it was",
            "# left out: add `objective: <id>` with the one it serves now.",
        ],
        id="left-out-when-it-has-none",
    ),
]


@pytest.mark.parametrize(("objectives", "kept", "comment"), OBJECTIVE_CASES)
def test_a_carried_goal_keeps_its_objective_only_if_the_new_quarter_has_it(
    objectives: list[str], kept: str | None, comment: list[str]
) -> None:
    goals = [
        {"id": "search", "title": "Search", "team": "web", "owners": ["yes"], "objective": "grow"},
        {"id": "plain", "title": "Plain", "team": "web", "owners": ["yes"]},
    ]
    text = next_goals_file("2026-Q3", "2026-Q2", goals, objectives=objectives)
    carried = yaml.safe_load(text)
    assert [g.get("objective") for g in carried] == [kept, None]
    lines = text.splitlines()
    origin = lines.index("# From 2026-Q2, where it was planned.")
    assert lines[origin + 1 : origin + 1 + len(comment)] == comment
    assert lines[origin + 1 + len(comment)] == "- id: search"
    # The other goal named no objective: no comment about one.
    assert text.count("Its objective") == (1 if comment else 0)


def test_goals_new_reads_the_new_quarters_objectives(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        Q4.replace(
            "  status: in-progress\n", "  status: in-progress\n  objective: speed\n", 1
        ).replace("- id: heatmaps\n", "- id: heatmaps\n  objective: insight\n", 1),
    )
    (repo / "objectives").mkdir()
    speed = "- {id: speed, title: Speed, owner: ceo}\n"
    (repo / "objectives" / "2026-Q4.yml").write_text(
        speed + "- {id: insight, title: Insight, owner: ceo}\n", encoding="utf-8"
    )
    (repo / "objectives" / "2027-Q1.yml").write_text(speed, encoding="utf-8")
    assert main(["goals", "new", "2027-Q1", "--repo", str(repo)]) == 0
    text = (repo / "plans" / "2027-Q1.yml").read_text(encoding="utf-8")
    carried = {g["id"]: g.get("objective") for g in yaml.safe_load(text)}
    assert carried == {"recorder-v2": "speed", "heatmaps": None}
    assert "# Its objective 'insight' is not one of 2027-Q1's (its objectives are speed)" in text
    assert "#   objective: speed" in text
    assert main(["validate", "--repo", str(repo)]) == 0
