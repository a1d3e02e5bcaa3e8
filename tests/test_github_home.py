"""The review's home opened with one GraphQL query (`sources.github.home`): the same
answers as the REST reads it replaces, in fewer requests, and loud failures."""

from __future__ import annotations

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.core.config import FILE_TOO_LARGE, MAX_FILE_BYTES
from quarterdeck.errors import ConfigError, GitHubNotFound, GitHubRefused, RateLimitError
from quarterdeck.services.review.on_github import github_home_reviews, home_plan
from quarterdeck.sources.github.client import graphql, translated
from quarterdeck.sources.github.config import GitHubReader, repo_reader
from quarterdeck.sources.github.goal_listing import list_goal_issues, snapshot, take_issues
from quarterdeck.sources.github.goals_history import take_commits
from quarterdeck.sources.github.home import HomePlan, open_home
from quarterdeck.sources.github.reviews import review_issues
from quarterdeck.sources.github.writes import marked_by_us
from quarterdeck.sources.repo_files import read_text
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.reviewrepos import CONFIG, GOALS, seed_github

NOVEMBER = Month(2026, 11)
REVIEW_MARKER = "<!-- quarterdeck:review team=growth month=2026-10 -->"


def goal_issue(github: FakeGitHub, repo: FakeRepo, n: int, **fields: object) -> None:
    labels = ["goal", "quarter:2026-Q4", "team:growth"]
    github.add_issue(repo, f"Goal {n}", body=f"goal {n}", labels=labels, **fields)


def rest_reads(github: FakeGitHub) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in github.calls if c.path != "/graphql"]


def test_issues_read_ahead_are_what_the_rest_listing_gives(github: FakeGitHub) -> None:
    remote = seed_github(github)
    goal_issue(github, remote, 1, assignees=["carol", "dan"])
    goal_issue(github, remote, 2, user="quarterdeck[bot]")
    goal_issue(github, remote, 3)
    closed = {"state": "closed", "state_reason": "not_planned"}
    github._apply_issue_fields(remote, remote.issues[3], closed)
    github.add_issue(remote, "Growth review", body=REVIEW_MARKER, labels=["growth-review"])
    plan = HomePlan(labels=("goal", "growth-review"))

    ahead = open_home(github.client(), "acme/web", plan)
    read = take_issues(ahead, "goal")
    reviews = review_issues(ahead)

    assert read is not None
    assert rest_reads(github) == []
    listed = list_goal_issues(github.client().get_repo("acme/web"), "goal")
    assert [snapshot(i) for i in read] == [snap for _, snap in listed]
    assert (
        [marked_by_us(i, "quarterdeck[bot]") for i in read]
        == [marked_by_us(i, "quarterdeck[bot]") for i, _ in listed]
        == [
            False,
            True,
            False,
        ]
    )
    assert [i.url for i in read] == [i.url for i, _ in listed]
    assert {k: [(i.number, i.body) for i in v] for k, v in reviews.items()} == {
        ("growth", "2026-10"): [(4, REVIEW_MARKER)]
    }
    assert take_issues(ahead, "goal") is None  # taken once: a second listing asks GitHub


def test_a_label_past_100_issues_costs_one_more_query_for_its_next_page(
    github: FakeGitHub,
) -> None:
    remote = seed_github(github)
    for n in range(150):
        goal_issue(github, remote, n)
    github.add_issue(remote, "Objective", body="", labels=["objective"])

    repo = open_home(github.client(), "acme/web", HomePlan(labels=("goal", "objective")))

    assert [i.number for i in take_issues(repo, "goal") or []] == list(range(1, 151))
    assert [i.number for i in take_issues(repo, "objective") or []] == [151]
    queries = [c.body for c in github.calls]
    assert len(queries) == 2
    assert rest_reads(github) == []
    # Only the label with a next page is asked again, after its cursor.
    assert queries[1]["variables"] == {"owner": "acme", "name": "web", "l0": ["goal"], "c0": "100"}


def test_folders_read_ahead_answer_as_the_contents_api_does(github: FakeGitHub) -> None:
    remote = seed_github(github)
    remote.files.update(
        {
            "metrics/2026-11.yml": "revenue: {mrr: 1000}\n",
            "metrics/notes/old.yml": "x: 1\n",
            ".github/quarterdeck/templates/review.md.j2": "{{ title }}\n",
        }
    )
    folders = (".github", "goals", "objectives", "metrics", ".github/quarterdeck/templates")
    paths = [
        ".github/quarterdeck.yml",
        "goals/2026-Q4.yml",
        "goals/2027-Q1.yml",
        "metrics/2026-11.yml",
        ".github/quarterdeck/templates/review.md.j2",
    ]

    primed = repo_reader(open_home(github.client(), "acme/web", HomePlan(folders)))
    ahead = [(read_text(primed, p), primed.list_dir(p.rpartition("/")[0])) for p in paths]
    assert rest_reads(github) == []
    assert len(github.calls) == 1
    rest = GitHubReader(github.client().get_repo("acme/web"))

    assert ahead == [(read_text(rest, p), rest.list_dir(p.rpartition("/")[0])) for p in paths]
    assert ahead[1][0] == (GOALS, None)
    assert ahead[0][0] == (CONFIG, None)
    assert primed.list_dir("metrics") == ["2026-11.yml"]  # the subfolder is no file
    assert primed.list_dir("objectives") == []
    assert primed.read("objectives/2026-Q4.yml") is None
    assert len(github.calls) == 1 + len(rest_reads(github))  # nothing more asked ahead


def test_a_file_whose_text_is_not_its_bytes_is_read_through_the_contents_api(
    github: FakeGitHub,
) -> None:
    remote = seed_github(github)
    remote.files["goals/latin1.yml"] = "- id: café\n".encode("latin-1")  # not UTF-8
    remote.files["goals/logo.yml"] = b"\x89PNG\r\n\x1a\n\x00\x00"  # binary: no text at all
    primed = repo_reader(open_home(github.client(), "acme/web", HomePlan(("goals",))))

    latin1 = read_text(primed, "goals/latin1.yml")[1]
    logo = read_text(primed, "goals/logo.yml")[1]

    assert latin1 is not None
    assert "is not valid UTF-8 text (byte 0xe9)" in latin1.message
    assert logo is not None
    assert "is not valid UTF-8 text (byte 0x89)" in logo.message
    assert rest_reads(github) == [
        ("GET", "/repos/acme/web/contents/goals/latin1.yml"),
        ("GET", "/repos/acme/web/contents/goals/logo.yml"),
    ]


def test_a_file_over_the_limit_is_too_large_without_a_read_of_its_own(
    github: FakeGitHub,
) -> None:
    remote = seed_github(github)
    remote.files["goals/2027-Q1.yml"] = "#" * (MAX_FILE_BYTES + 1)

    with pytest.raises(ConfigError) as caught:
        github_home_reviews(github.gateway(), "acme/web", NOVEMBER)

    assert f"goals/2027-Q1.yml: {FILE_TOO_LARGE}" in str(caught.value)
    assert [p for _, p in rest_reads(github) if "/contents/" in p] == []


def test_a_config_that_moves_folders_and_labels_reads_them_the_rest_way(
    github: FakeGitHub,
) -> None:
    moved = CONFIG + "goals: {files: plans/, label: okr}\n"
    remote = github.add_repo(
        "acme/web", files={".github/quarterdeck.yml": moved, "plans/2026-Q4.yml": GOALS}
    )
    github.add_issue(remote, "Faster funnels", labels=["okr", "quarter:2026-Q4", "team:analytics"])

    reviews = github_home_reviews(github.gateway(), "acme/web", NOVEMBER).reviews

    goals = {g.goal.id for r in reviews for g in r.summary.goals}
    assert {"funnels", "onboarding"} <= goals
    assert len(goals) == 3
    assert rest_reads(github) == [
        ("GET", "/repos/acme/web/contents/plans"),
        ("GET", "/repos/acme/web/contents/plans/2026-Q4.yml"),
        ("GET", "/repos/acme/web/issues"),  # labelled okr
        ("GET", "/repos/acme/web/commits"),  # plans/2026-Q4.yml's history
    ]


def test_the_goals_files_history_comes_with_the_repository(github: FakeGitHub) -> None:
    remote = seed_github(github)
    first = github.commit(remote, {"goals/2026-Q4.yml": GOALS}, "2026-10-01T09:00:00Z")
    later = github.commit(remote, {"goals/2026-Q4.yml": GOALS + "\n"}, "2026-11-10T09:00:00Z")
    github.commit(remote, {"README.md": "hi"}, "2026-11-12T09:00:00Z")

    repo = open_home(github.client(), "acme/web", home_plan(".github/quarterdeck.yml", NOVEMBER))

    commits = take_commits(repo, "goals/2026-Q4.yml")
    assert [(c["sha"], c["commit"]["committer"]["date"]) for c in commits or []] == [
        (later, "2026-11-10T09:00:00Z"),
        (first, "2026-10-01T09:00:00Z"),
    ]
    assert home_plan(".github/quarterdeck.yml", Month(2026, 10)).history is None  # a new quarter


def test_a_repository_the_token_cannot_see_is_not_found(github: FakeGitHub) -> None:
    github.add_repo("acme/secret", readable=False)

    with pytest.raises(GitHubNotFound) as caught:
        github_home_reviews(github.gateway(), "acme/secret", NOVEMBER)

    assert str(caught.value).startswith("GitHub answered 404 while opening repository acme/secret")
    assert "Could not resolve to a Repository with the name 'acme/secret'." in str(caught.value)
    assert "check the name and the token's access" in str(caught.value)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"message": "Something went wrong while executing your query."}, GitHubRefused),
        ({"type": "RATE_LIMITED", "message": "API rate limit exceeded for user."}, RateLimitError),
    ],
)
def test_errors_in_a_200_answer_say_what_was_being_read(
    github: FakeGitHub, error: dict[str, str], kind: type[Exception]
) -> None:
    seed_github(github)
    github.fail("POST", "/graphql", 200, body={"data": None, "errors": [error]})

    with pytest.raises(kind) as caught:
        github_home_reviews(github.gateway(), "acme/web", NOVEMBER)

    said = str(caught.value)
    assert said.startswith(
        "GitHub's GraphQL API answered with errors while opening repository acme/web and "
        "reading the folders .github, goals, objectives, metrics, .github/quarterdeck/templates"
        " and the issues labelled goal, objective, growth-review and the history of "
        f"goals/2026-Q4.yml: {error['message']}; run again in a few minutes"
    )


def test_the_fake_refuses_a_field_github_does_not_have(github: FakeGitHub) -> None:
    seed_github(github)
    query = 'query($o: String!) { repository(owner: $o, name: "web") { stars } }'

    with pytest.raises(GitHubRefused) as caught, translated("asking for stars"):
        graphql(github.client(), query, {"o": "acme"})

    assert "Field 'stars' doesn't exist on type 'Repository'" in str(caught.value)
