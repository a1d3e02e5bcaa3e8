"""Config from GitHub: the one loader over the contents API, org fallback and `_extends`."""

from __future__ import annotations

from pathlib import Path

import pytest

from quarterdeck.errors import ConfigError, GitHubError
from quarterdeck.sources.github.config import (
    load_github_config,
    load_github_metrics,
    parse_extends,
)
from quarterdeck.sources.repo_files import load_metrics, load_repo_config
from tests.fakegithub import FakeGitHub

CONFIG = """\
teams:
  analytics:
    lead: alice
    members: [alice, bob]
review:
  timezone: Europe/London
"""
GOALS = """\
- id: funnels
  title: Funnels v2
  team: analytics
  owners: [alice]
  issue: 12
"""
METRICS = "revenue: {mrr: 1200}\n"
FILES = {
    ".github/quarterdeck.yml": CONFIG,
    "goals/2026-Q4.yml": GOALS,
    "goals/README.md": "not a goals file",
    "metrics/2026-11.yml": METRICS,
}


def test_same_config_and_metrics_as_from_disk(github: FakeGitHub, tmp_path: Path) -> None:
    github.add_repo("acme/web", files=FILES)
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    repo = github.client().get_repo("acme/web")

    config, warnings = load_github_config(repo)
    november = load_github_metrics(repo, config, "2026-11")
    october = load_github_metrics(repo, config, "2026-10")

    assert (config, warnings) == load_repo_config(tmp_path)
    assert november == load_metrics(tmp_path, config, "2026-11")
    assert october is None
    assert november is not None
    assert november.source == "metrics/2026-11.yml"
    # repo, config, goals folder, one goals file, objectives folder (none here), metrics
    # folder (once), one metrics file
    assert len(github.calls) == 7


def test_problems_name_repo_paths(github: FakeGitHub) -> None:
    github.add_repo("acme/web", files={**FILES, "goals/2026-Q4.yml": GOALS + "  colour: red\n"})

    with pytest.raises(ConfigError) as caught:
        load_github_config(github.client().get_repo("acme/web"))

    assert [str(p) for p in caught.value.problems] == [
        "goals/2026-Q4.yml:6: funnels.colour: unknown key 'colour'; expected one of: id, "
        "title, team, owners, issue, motivation, objective, status, labels, branches, scopes, "
        "paths, keywords"
    ]


def test_falls_back_to_the_owners_github_repo(github: FakeGitHub) -> None:
    team_of_seven = "teams:\n  big:\n    members: [a, b, c, d, e, f, g]\n"
    github.add_repo("acme/.github", files={".github/quarterdeck.yml": team_of_seven})
    github.add_repo("acme/web", files={"goals/2026-Q4.yml": ""})

    config, warnings = load_github_config(github.client().get_repo("acme/web"))

    assert [t.slug for t in config.teams] == ["big"]
    assert [p.file for p in warnings] == ["acme/.github:.github/quarterdeck.yml"]
    assert "split the team" in warnings[0].message


def test_no_config_anywhere_means_defaults(github: FakeGitHub) -> None:
    github.add_repo("acme/web")

    config, warnings = load_github_config(github.client().get_repo("acme/web"))

    assert (config.teams, config.goals, warnings) == ((), (), [])


def test_extends_merges_the_base_under_this_file(github: FakeGitHub) -> None:
    base = (
        "teams:\n  growth:\n    lead: carol\n    members: [carol]\n"
        "  analytics:\n    mission: From the org\n    pm: pat\n"
        "review:\n  timezone: America/New_York\n  metrics: numbers/\n"
    )
    github.add_repo("acme/.github", files={".github/quarterdeck.yml": base})
    github.add_repo(
        "acme/web", files={**FILES, ".github/quarterdeck.yml": "_extends: .github\n" + CONFIG}
    )

    config, warnings = load_github_config(github.client().get_repo("acme/web"))

    analytics = config.team("analytics")
    assert [t.slug for t in config.teams] == ["growth", "analytics"]
    assert analytics is not None
    assert analytics.mission == "From the org"
    assert analytics.lead == "alice"
    assert analytics.pm == "pat"
    assert config.review.timezone == "Europe/London"  # this file's key wins
    assert config.review.metrics_dir == "numbers"
    assert warnings == []


def test_extends_with_owner_repo_and_path(github: FakeGitHub) -> None:
    github.add_repo("other/shared", files={"qd/base.yml": 'review:\n  questions: ["Why?"]\n'})
    github.add_repo(
        "acme/web", files={".github/quarterdeck.yml": "_extends: other/shared:qd/base.yml\n"}
    )

    config, _ = load_github_config(github.client().get_repo("acme/web"))

    assert config.review.questions == ("Why?",)


def test_base_problems_name_the_base_file(github: FakeGitHub) -> None:
    github.add_repo("acme/.github", files={".github/quarterdeck.yml": "review:\n  colour: red\n"})
    github.add_repo("acme/web", files={".github/quarterdeck.yml": "_extends: .github\n"})

    with pytest.raises(ConfigError) as caught:
        load_github_config(github.client().get_repo("acme/web"))

    assert [p.file for p in caught.value.problems] == ["acme/.github:.github/quarterdeck.yml"]
    assert caught.value.problems[0].line == 2


def test_team_check_on_merged_data_names_the_file_that_set_the_team(github: FakeGitHub) -> None:
    base = "teams:\n  big:\n    members: [a, b, c, d, e, f, g]\n"
    github.add_repo("acme/.github", files={".github/quarterdeck.yml": base})
    github.add_repo("acme/web", files={".github/quarterdeck.yml": "_extends: .github\n"})

    _, warnings = load_github_config(github.client().get_repo("acme/web"))

    assert [(p.file, p.line) for p in warnings] == [("acme/.github:.github/quarterdeck.yml", 2)]


def test_extends_loop_is_refused(github: FakeGitHub) -> None:
    github.add_repo("acme/.github", files={".github/quarterdeck.yml": "_extends: web\n"})
    github.add_repo("acme/web", files={".github/quarterdeck.yml": "_extends: .github\n"})

    with pytest.raises(ConfigError) as caught:
        load_github_config(github.client().get_repo("acme/web"))

    assert [(p.file, p.key) for p in caught.value.problems] == [
        ("acme/.github:.github/quarterdeck.yml", "_extends")
    ]
    assert "loop" in caught.value.problems[0].message


def test_extends_one_level_only_and_missing_targets(github: FakeGitHub) -> None:
    github.add_repo("acme/.github", files={".github/quarterdeck.yml": "_extends: elsewhere\n"})
    github.add_repo("acme/web", files={".github/quarterdeck.yml": "_extends: .github\n"})
    github.add_repo("acme/api", files={".github/quarterdeck.yml": "_extends: nowhere\n"})
    gh = github.client()

    _, warnings = load_github_config(gh.get_repo("acme/web"))
    with pytest.raises(ConfigError) as missing:
        load_github_config(gh.get_repo("acme/api"))

    assert [(p.file, p.severity) for p in warnings] == [
        ("acme/.github:.github/quarterdeck.yml", "warning")
    ]
    assert "does not exist" in str(missing.value)
    assert missing.value.problems[0].file == ".github/quarterdeck.yml"


def test_a_refused_read_is_a_clear_error(github: FakeGitHub) -> None:
    github.add_repo("acme/web", files=FILES)
    repo = github.client().get_repo("acme/web")
    github.fail("GET", r"/contents/\.github/quarterdeck\.yml$", 403)

    with pytest.raises(GitHubError, match=r"403 while reading \.github/quarterdeck\.yml"):
        load_github_config(repo)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (".github", ("acme/.github", ".github/quarterdeck.yml")),
        ("other/shared", ("other/shared", ".github/quarterdeck.yml")),
        ("shared:config/qd.yaml", ("acme/shared", "config/qd.yaml")),
        ("not a repo", None),
        ("o/r:path.txt", None),
    ],
)
def test_parse_extends(value: str, expected: tuple[str, str] | None) -> None:
    assert parse_extends(value, "acme") == expected
