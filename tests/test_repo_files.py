"""Reading config, goals and metrics files from a checkout on disk."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from quarterdeck.core.config import MAX_FILE_BYTES, BusinessMetrics
from quarterdeck.core.model import Config
from quarterdeck.errors import ConfigError, QuarterdeckError
from quarterdeck.sources.repo_files import load_metrics, load_repo_config

ROOT = Path(__file__).resolve().parent.parent
STARTER = ROOT / "app" / "quarterdeck" / "starter"

CONFIG = "teams:\n  web:\n    lead: alice\n    members: [alice, bob]\n"
GOAL = "- id: login-v2\n  title: New login\n  team: web\n  owners: [bob]\n"


def write(repo: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return repo


def messages(repo: Path, **kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_repo_config(repo, **kwargs)  # type: ignore[arg-type]
    return [str(p) for p in info.value.problems]


def test_config_and_every_goals_file_are_read(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".github/quarterdeck.yml": CONFIG,
            "goals/2026-Q3.yaml": GOAL.replace("login-v2", "sso"),
            "goals/2026-Q4.yml": GOAL,
            "goals/README.md": "not a goals file",
        },
    )
    config, warnings = load_repo_config(tmp_path)
    assert warnings == []
    assert [(g.quarter, g.id) for g in config.goals] == [
        ("2026-Q3", "sso"),
        ("2026-Q4", "login-v2"),
    ]


def test_missing_config_file_means_defaults(tmp_path: Path) -> None:
    assert load_repo_config(tmp_path) == (Config(), [])


def test_goals_folder_comes_from_the_config(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".github/quarterdeck.yml": CONFIG + "goals:\n  files: plan/goals/\n",
            "plan/goals/2026-Q4.yml": GOAL,
            "goals/2026-Q4.yml": "this file is not read",
        },
    )
    config, _ = load_repo_config(tmp_path)
    assert [g.id for g in config.goals] == ["login-v2"]


def test_other_config_path(tmp_path: Path) -> None:
    write(tmp_path, {"quarterdeck.yml": CONFIG})
    config, _ = load_repo_config(tmp_path, config_path="quarterdeck.yml")
    assert [t.slug for t in config.teams] == ["web"]


def test_problems_use_repo_relative_names(tmp_path: Path) -> None:
    write(
        tmp_path,
        {".github/quarterdeck.yml": CONFIG + "    membrs: []\n", "goals/2026-Q4.yml": GOAL},
    )
    assert messages(tmp_path) == [
        ".github/quarterdeck.yml:5: teams.web.membrs: unknown key 'membrs'; did you mean 'members'?"
    ]


def test_strict_turns_team_size_into_an_error(tmp_path: Path) -> None:
    big = "teams:\n  web:\n    members: [a, b, c, d, e, f, g]\n"
    write(tmp_path, {".github/quarterdeck.yml": big})
    _, warnings = load_repo_config(tmp_path)
    assert [p.severity for p in warnings] == ["warning"]
    assert messages(tmp_path, strict=True) == [
        ".github/quarterdeck.yml:2: teams.web: team 'web' has 7 people; teams work best at "
        "six or fewer — split the team"
    ]


def test_bad_bytes_are_reported_with_the_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".github/quarterdeck.yml": CONFIG,
            "goals/2026-Q4.yml": GOAL.encode() + b"- id: caf\xe9\n",
        },
    )
    assert messages(tmp_path) == [
        "goals/2026-Q4.yml:5: is not valid UTF-8 text (byte 0xe9); save the file with UTF-8 "
        "encoding"
    ]


def test_read_problems_and_validation_problems_come_together(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            ".github/quarterdeck.yml": CONFIG + "colour: blue\n",
            "goals/2026-Q4.yml": b"\xff",
        },
    )
    assert messages(tmp_path) == [
        ".github/quarterdeck.yml:5: colour: unknown key 'colour'; expected one of: teams, "
        "goals, review, identities, bots, sources, metrics, objectives, repos, org, _extends",
        "goals/2026-Q4.yml:1: is not valid UTF-8 text (byte 0xff); save the file with UTF-8 "
        "encoding",
    ]


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, {".github/quarterdeck.yml": b"\xef\xbb\xbf" + CONFIG.encode()})
    config, _ = load_repo_config(tmp_path)
    assert [t.slug for t in config.teams] == ["web"]


def test_oversized_file_is_not_read_whole(tmp_path: Path) -> None:
    write(tmp_path, {".github/quarterdeck.yml": b"#" * (MAX_FILE_BYTES + 1)})
    assert messages(tmp_path) == [
        ".github/quarterdeck.yml: file is larger than 1 MB; Quarterdeck files are small, so "
        "split it or trim it"
    ]


def test_config_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / ".github" / "quarterdeck.yml").mkdir(parents=True)
    assert messages(tmp_path) == [
        ".github/quarterdeck.yml: is not a file; expected a YAML file here"
    ]


def test_symlink_out_of_the_repo_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "outside", {"secret.yml": "- id: x\n"})
    repo = write(tmp_path / "repo", {".github/quarterdeck.yml": CONFIG})
    (repo / "goals").mkdir()
    (repo / "goals" / "2026-Q4.yml").symlink_to(outside / "secret.yml")
    assert messages(repo) == [
        "goals/2026-Q4.yml: is a link to a file outside the repository; Quarterdeck reads "
        "only files inside it, so replace the link with the file"
    ]


def test_missing_repo_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QuarterdeckError, match="does not exist or is not a folder") as info:
        load_repo_config(tmp_path / "nope")
    assert not isinstance(info.value, ConfigError)


# --------------------------------------------------------------------------- metrics


def test_metrics_for_a_month(tmp_path: Path) -> None:
    write(tmp_path, {"metrics/2026-11.yml": "revenue:\n  mrr: 1000\n"})
    metrics = load_metrics(tmp_path, Config(), "2026-11")
    assert metrics == BusinessMetrics(source="metrics/2026-11.yml", mrr=1000)


def test_metrics_absent_is_none(tmp_path: Path) -> None:
    assert load_metrics(tmp_path, Config(), "2026-11") is None


def test_invalid_metrics_raise_config_error(tmp_path: Path) -> None:
    write(tmp_path, {"metrics/2026-11.yaml": "revenue:\n  mrr: lots\n"})
    with pytest.raises(ConfigError) as info:
        load_metrics(tmp_path, Config(), "2026-11")
    assert [str(p) for p in info.value.problems] == [
        "metrics/2026-11.yaml:2: revenue.mrr: expected a number, got the text 'lots'; write "
        "the number without quotes or a % sign"
    ]


def test_bad_month_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(QuarterdeckError, match="YYYY-MM"):
        load_metrics(tmp_path, Config(), "November")


# --------------------------------------------------------------------------- shipped files


def test_examples_load_without_problems() -> None:
    config, warnings = load_repo_config(ROOT / "examples")
    assert warnings == []
    assert [t.slug for t in config.teams] == ["product-analytics", "growth"]
    assert all(len(t.people) <= 6 for t in config.teams)
    # Every goal of every quarter's file, counted from the files themselves.
    files = sorted((ROOT / "examples" / "goals").glob("*.yml"))
    written = [g["id"] for f in files for g in yaml.safe_load(f.read_text(encoding="utf-8"))]
    assert [g.id for g in config.goals] == written
    assert {g.quarter for g in config.goals} == {f.stem for f in files}
    assert all(g.owners and g.motivation for g in config.goals)
    for month in ("2026-10", "2026-11"):
        metrics = load_metrics(ROOT / "examples", config, month)
        assert metrics is not None
        assert (metrics.has_revenue, metrics.has_product, metrics.has_feedback) == (True,) * 3


def test_starter_files_validate(tmp_path: Path) -> None:
    # Where `quarterdeck init` puts them.
    (tmp_path / ".github").mkdir()
    (tmp_path / "goals").mkdir()
    shutil.copy(STARTER / "quarterdeck.yml", tmp_path / ".github" / "quarterdeck.yml")
    shutil.copy(STARTER / "goals.yml", tmp_path / "goals" / "2026-Q4.yml")
    config, warnings = load_repo_config(tmp_path)
    # Valid, and every warning is an untouched placeholder (--strict makes them errors).
    assert warnings
    assert all("still the starter's placeholder" in w.message for w in warnings)
    assert [t.slug for t in config.teams] == ["my-team"]
    assert [g.team for g in config.goals] == ["my-team"]
