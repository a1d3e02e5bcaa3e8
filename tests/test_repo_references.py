"""Repository references are checked against GitHub's grammar before any request.

`_extends`, `repos:`, `org:`, `--github` and the markers the App reads back all pass
one validator (`core.vocabulary.repo_reference_problem`); a reference that would walk
the API's URL (`acme/shop:../../../../users/x.yml` is `GET /users/x.yml`, `acme/..` is
`/repos/`) is a config error naming the file, line and key, and nothing is sent.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest

from quarterdeck.cli import main
from quarterdeck.core.config import build_config
from quarterdeck.core.text.markers import marker
from quarterdeck.core.vocabulary import (
    is_full_name,
    is_repo_path,
    is_repo_pattern,
    repo_reference_problem,
    split_extends,
)
from quarterdeck.errors import ConfigError
from quarterdeck.sources.github.config import load_github_config, locate_config, repo_reader
from quarterdeck.webhook.handlers import pull_request
from tests.fakegithub import FakeGitHub

CFG = ".github/quarterdeck.yml"
# The traversals the probe sent (issue 21, item 6), and their encoded and absolute kin.
WALKS = [
    "acme/shop:../../../../users/x.yml",
    "acme/..:x.yml",
    "acme/.:x.yml",
    "..",
    "acme/shop:/etc/x.yml",
    "acme/shop:%2e%2e/%2e%2e/users/x.yml",
    "acme/shop:config%2fx.yml",
    "acme/shop:config//x.yml",
    "acme/shop:./x.yml",
    "-acme/shop",
    "acme-/shop",
    "a--b/shop",
    "acme/shop/extra",
    "acme/shop:x.yml?ref=evil",
    "acme/shop:..\\x.yml",
]


def _config_with_extends(value: str) -> str:
    # `_extends` on line 3, so the line in the error is the key's, not the file's first.
    return f"teams:\n  web: {{members: [alice]}}\n_extends: '{value}'\n"


@pytest.mark.parametrize("value", WALKS)
def test_an_extends_that_walks_the_api_is_refused_before_any_request(
    github: FakeGitHub, value: str
) -> None:
    github.add_repo("acme/web", files={CFG: _config_with_extends(value)})
    github.add_repo("acme/shop", files={"x.yml": "review: {questions: [pwned]}\n"})
    repo = github.client().get_repo("acme/web")
    before = len(github.mock.calls)

    with pytest.raises(ConfigError) as caught:
        load_github_config(repo)

    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.key) == (CFG, 3, "_extends")
    assert "is not a config to extend" in problem.message
    # Only acme/web's own files were read: no base, no `/users/…`, no `/repos/contents/…`.
    asked = {urlsplit(call.request.url).path for call in github.mock.calls[before:]}
    assert asked == {
        f"/repos/acme/web/contents/{CFG}",
        "/repos/acme/web/contents/goals",
        "/repos/acme/web/contents/objectives",
    }


def test_the_org_config_found_by_the_app_is_refused_the_same_way(github: FakeGitHub) -> None:
    """The App and `schedule` find a repository's config with `locate_config`: a `.github`
    config's bad `_extends` sends nothing beyond the two config reads either."""
    github.add_repo("acme/web")
    github.add_repo("acme/.github", files={CFG: _config_with_extends("acme/..:x.yml")})
    reader = repo_reader(github.client(lazy=True).get_repo("acme/web"))
    problems: list = []

    found, origin, base = locate_config(reader, problems)

    assert found is not None
    assert origin.full_name == "acme/.github"
    assert base is None
    assert [urlsplit(call.request.url).path for call in github.mock.calls] == [
        f"/repos/acme/web/contents/{CFG}",
        f"/repos/acme/.github/contents/{CFG}",
    ]


@pytest.mark.parametrize("value", WALKS)
def test_validate_names_the_file_line_and_key_of_a_walking_extends(value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config((CFG, _config_with_extends(value)), [])

    assert [(p.file, p.line, p.key) for p in caught.value.problems] == [(CFG, 3, "_extends")]


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ("repos:\n  - acme/web\n  - acme/..\n", 3, "repos[1]"),
        ("repos: [acme/.]\n", 1, "repos[0]"),
        ("repos: ['!acme/..']\n", 1, "repos[0]"),
        ("repos: [-acme/web]\n", 1, "repos[0]"),
        ("repos: [acme--x/web]\n", 1, "repos[0]"),
        ("repos: ['acme/%2e%2e']\n", 1, "repos[0]"),
        ("org: 'acme[bot]'\n", 1, "org"),
        ("org: acme_x\n", 1, "org"),
        ("goals:\n  files: '%2e%2e/%2e%2e/users'\n", 2, "goals.files"),
        ("review:\n  metrics: ../metrics\n", 2, "review.metrics"),
        (
            "teams:\n  web:\n    members: [a]\n    owns: {repos: [acme/..]}\n",
            4,
            "teams.web.owns.repos[0]",
        ),
    ],
)
def test_validate_refuses_repository_entries_that_are_not_names(
    text: str, line: int, key: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build_config((CFG, text), [])

    assert [(p.file, p.line, p.key) for p in caught.value.problems] == [(CFG, line, key)]


def test_good_repository_entries_and_extends_still_pass() -> None:
    text = (
        "repos: [acme/web, acme/sdk-*, '!acme/legacy-*', acme/.github, acme/a.b_c-d]\n"
        "_extends: other/shared:qd/base.yml\n"
    )
    config, _ = build_config((CFG, text), [])
    assert config.repos[:2] == ("acme/web", "acme/sdk-*")


def test_github_flag_refuses_a_walking_repository_before_any_request(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "--github", "acme/..", "--month", "2026-11"]) == 1

    assert "--github takes OWNER/REPO" in capsys.readouterr().err
    assert len(github.mock.calls) == 0


def test_a_listed_on_marker_naming_a_walking_repository_is_not_followed() -> None:
    """The App reads back, from its own comment, which goal issue listed a PR; a marker
    naming `acme/..` is not a repository, so no `remove_shipped` request is built."""
    good = SimpleNamespace(body=marker(pull_request.LISTED_ON, issue=3, repo="acme/.github"))
    bad = SimpleNamespace(body=marker(pull_request.LISTED_ON, issue=3, repo="acme/.."))

    assert pull_request._listed_on(good, "acme/web") == ("acme/.github", 3)
    assert pull_request._listed_on(bad, "acme/web") is None


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("acme/web", True),
        ("acme/.github", True),
        ("a/" + "x" * 100, True),
        ("a/" + "x" * 101, False),
        ("acme/..", False),
        ("acme/.", False),
        ("acme/", False),
        ("/web", False),
        ("acme", False),
        ("acme/web/x", False),
        ("ac_me/web", False),
        ("acme/we b", False),
        ("acme/%2e%2e", False),
        ("x" * 40 + "/web", False),
    ],
)
def test_full_names(text: str, ok: bool) -> None:
    assert is_full_name(text) is ok
    assert (repo_reference_problem(text) is None) is ok


@pytest.mark.parametrize(
    ("path", "ok"),
    [
        (".github/quarterdeck.yml", True),
        ("goals/2026 Q4.yml", True),
        ("../x.yml", False),
        ("a/../x.yml", False),
        ("./x.yml", False),
        ("/etc/x.yml", False),
        ("a//x.yml", False),
        ("a/", False),
        ("%2e%2e/x.yml", False),
        ("a%2fb.yml", False),
        ("a\\..\\x.yml", False),
        ("x.yml#frag", False),
        ("x\n.yml", False),
        ("", False),
    ],
)
def test_repo_paths(path: str, ok: bool) -> None:
    assert is_repo_path(path) is ok


def test_extends_and_patterns_share_the_one_grammar() -> None:
    assert split_extends("shared:config/qd.yaml") == (None, "shared", "config/qd.yaml")
    assert split_extends("acme/shop:x.txt") is None
    assert is_repo_pattern("!acme/sdk-*")
    assert not is_repo_pattern("acme/..")


@pytest.mark.parametrize("path", ["../../../../users/x.yml", "/etc/x.yml", "%2e%2e/x.yml"])
def test_config_flag_refuses_a_path_outside_the_repository_before_any_request(
    github: FakeGitHub, capsys: pytest.CaptureFixture[str], path: str
) -> None:
    argv = ["review", "--github", "acme/web", "--config", path, "--month", "2026-11"]
    with pytest.raises(SystemExit) as stopped:
        main(argv)

    assert stopped.value.code == 2
    assert "is not a file inside the repository" in capsys.readouterr().err
    assert len(github.mock.calls) == 0
