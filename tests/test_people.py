"""Who wrote a PR, read from real git repositories: evidence ranked by strength.

GitHub noreply email on the PR's commits > a personal fork's owner > the config's
identities > what the history suggests > a guess; organisations, bots and assistants
are never people. Each test builds the shape as a small synthetic history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.model import PullRequest
from quarterdeck.core.review.identities import ORGANISATION_PEOPLE, guess_login
from quarterdeck.core.vocabulary import is_bot_identity
from quarterdeck.services.link import explain_from_repo
from quarterdeck.services.review.as_json import reviews_to_json
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.starter import write_starter
from quarterdeck.sources.git_history import read_merged_prs
from quarterdeck.sources.github.prs import fetch_merged_prs
from tests.fakegithub import FakeGitHub
from tests.gitrepo import GitRepo

MAINTAINER = ("Mae Tainer", "mae@example.com")
AUG, SEP = datetime(2026, 8, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC)
CLAUDE = ("Claude", "noreply@anthropic.com")
COPILOT = ("Copilot", "198982749+Copilot@users.noreply.github.com")
DEVIN = (
    "devin-ai-integration[bot]",
    "158243242+devin-ai-integration[bot]@users.noreply.github.com",
)


def at(day: int, hour: int = 12, month: int = 8) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def base_repo(path: Path) -> GitRepo:
    repo = GitRepo.init(path)
    repo.commit("Initial commit", {"README.md": "hi"}, MAINTAINER, datetime(2026, 1, 1, tzinfo=UTC))
    repo.git("remote", "add", "origin", "git@github.com:acme/web.git")
    return repo


def read(repo: GitRepo, **kwargs: object) -> dict[int, PullRequest]:
    prs = read_merged_prs(repo.path, AUG, SEP, **kwargs)  # type: ignore[arg-type]
    return {pr.number: pr for pr in prs}


def fork_pr(repo: GitRepo, number: int, owner: str, who: tuple[str, str], when: datetime) -> None:
    branch = f"work-{number}"
    repo.branch(branch, from_="main")
    repo.commit(f"Work {number}", {f"src/f{number}.py": str(number)}, who, when)
    repo.merge_pr(number, branch, f"Work {number}", date=when, merger=MAINTAINER, owner=owner)


def test_an_organisations_fork_carrying_several_peoples_work_is_never_an_author(
    tmp_path: Path,
) -> None:
    repo = base_repo(tmp_path / "r")
    # Over the spring, BigCo's fork carries the work of several different people.
    staff = [(f"Person {i}", f"p{i}@bigco.example") for i in range(ORGANISATION_PEOPLE + 1)]
    for i, who in enumerate(staff):
        fork_pr(repo, 100 + i, "BigCo", who, at(i + 1, month=4))
    # In August, two of them merge from it again, and one person from their own fork.
    fork_pr(repo, 1, "BigCo", staff[0], at(3))
    fork_pr(repo, 2, "BigCo", ("Jo Noreply", "77+jo-gh@users.noreply.github.com"), at(4))
    fork_pr(repo, 3, "solo-dev", ("Solo Dev", "solo@home.example"), at(5))

    prs = read(repo)

    assert all(pr.author.casefold() != "bigco" for pr in prs.values())
    # Without evidence, BigCo's PR #1 is a guess from its commit; #2 has a noreply email.
    assert (prs[1].author, prs[1].author_guessed) == ("p0", True)
    assert (prs[2].author, prs[2].author_guessed) == ("jo-gh", False)
    # A personal fork still names its owner.
    assert (prs[3].author, prs[3].author_guessed) == ("solo-dev", False)


def test_an_organisation_vouches_for_no_ones_identity(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    staff = [(f"Person {i}", f"p{i}@bigco.example") for i in range(ORGANISATION_PEOPLE)]
    for i, who in enumerate(staff):
        fork_pr(repo, 10 + i, "BigCo", who, at(i + 1))
    # Person 0's squash merge: their email was merged from BigCo/…, which says nothing.
    repo.squash_pr(20, "Squashed", {"s.py": "1"}, staff[0], at(20))

    pr = read(repo)[20]

    assert (pr.author, pr.author_guessed) == ("p0", True)


def test_a_personal_fork_beats_what_the_history_suggests(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    jean = ("Jean Boussier", "jean.boussier@bigco.example")
    # The history suggests Jean's email is "someone-else" (a fork merge from another login).
    fork_pr(repo, 1, "someone-else", jean, at(1, month=5))
    # This PR comes from byroot's own fork: its owner opened it.
    fork_pr(repo, 2, "byroot", jean, at(5))

    prs = read(repo)

    assert (prs[2].author, prs[2].author_guessed) == ("byroot", False)


def test_config_identities_do_not_beat_a_noreply_email(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    noreply = ("Rafael F", "47848+rafaelfranca@users.noreply.github.com")
    repo.squash_pr(1, "Fix", {"a.py": "1"}, noreply, at(2))
    repo.squash_pr(2, "More", {"b.py": "1"}, ("Rafael F", "rafael@work.example"), at(3))

    # `init` (or a person) once wrote the guess `rafael` for that name.
    prs = read(repo, identities={"rafael": ("Rafael F", "rafael@work.example")})

    assert (prs[1].author, prs[1].author_guessed) == ("rafaelfranca", False)
    # Without a noreply email on the PR, the person's word stands and is no guess.
    assert (prs[2].author, prs[2].author_guessed) == ("rafael", False)


def test_a_git_name_that_is_a_login_beats_the_emails_local_part(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    repo.squash_pr(1, "Fix", {"a.py": "1"}, ("pgjones", "philip.graham.jones@mail.example"), at(2))
    repo.squash_pr(2, "Fix", {"b.py": "1"}, ("kurtatter", "3nc0m0s12@mail.example"), at(3))
    repo.squash_pr(3, "Fix", {"c.py": "1"}, ("Jane Doe", "jane.doe@mail.example"), at(4))

    prs = read(repo)

    assert [(pr.author, pr.author_guessed) for pr in prs.values()] == [
        ("pgjones", True),
        ("kurtatter", True),
        ("jane-doe", True),
    ]
    assert guess_login("philip.graham.jones@mail.example", "pgjones") == "pgjones"
    # A placeholder git name is no one's login.
    assert guess_login("edward.g2013@mail.example", "unknown") == "edward-g2013"
    # A first name is not a login: the email says more.
    assert guess_login("dave@mail.example", "Dave") == "dave"
    assert guess_login("m@mail.example", "MohitMandalia") == "MohitMandalia"


def test_assistants_and_bots_in_trailers_are_never_co_authors(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    trailers = "\n".join(
        f"Co-authored-by: {name} <{email}>"
        for name, email in (
            CLAUDE,
            ("Claude Opus 4.7 (1M context)", "noreply@anthropic.com"),
            COPILOT,
            ("Cursor Agent", "cursoragent@cursor.com"),
            ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
            ("Bob Builder", "bob@example.com"),
        )
    )
    author = ("Alice", "1+alice-gh@users.noreply.github.com")
    repo.squash_pr(1, "Pair work", {"a.py": "1"}, author, at(2), body=trailers)

    pr = read(repo)[1]

    assert (pr.author, pr.co_authors, pr.is_bot) == ("alice-gh", ("bob",), False)
    assert "noreply" not in pr.co_authors
    # Bob's login is only guessed from his email, and the PR says so.
    assert pr.co_authors_guessed == ("bob",)


def test_a_pr_an_assistant_opened_for_a_person_is_that_persons_work(tmp_path: Path) -> None:
    repo = base_repo(tmp_path / "r")
    human = "Co-authored-by: Dana Scully <5+dscully@users.noreply.github.com>"
    repo.squash_pr(1, "Agent fix", {"a.py": "1"}, COPILOT, at(2), body=human)
    repo.squash_pr(2, "Devin fix", {"b.py": "1"}, DEVIN, at(3), body=human)
    repo.squash_pr(3, "Claude only", {"c.py": "1"}, CLAUDE, at(4))

    prs = read(repo)

    assert [(pr.author, pr.opened_by, pr.is_bot) for pr in prs.values()] == [
        ("dscully", "Copilot", False),
        ("dscully", "devin-ai-integration[bot]", False),
        ("Claude", None, True),
    ]


def test_the_vocabulary_knows_assistants_and_bots_from_people() -> None:
    not_people = [
        CLAUDE,
        COPILOT,
        DEVIN,
        ("Copilot", "copilot@github.com"),
        ("Cursor Agent", "cursoragent@cursor.com"),
        ("Codex", "noreply@openai.com"),
        ("PostHog Github Bot", "github-bot@posthog.com"),
        ("github-actions[bot]", "github-actions[bot]@users.noreply.github.com"),
    ]
    people = [
        ("Claude Monet", "claude@example.com"),
        ("Abbot Costello", "abbot@example.com"),
        ("Manoel", "5731772+marandaneto@users.noreply.github.com"),
    ]
    assert [who for who in not_people if not is_bot_identity(*who)] == []
    assert [who for who in people if is_bot_identity(*who)] == []


# --- how the review, `link` and JSON show people -------------------------------------

TEAM_CONFIG = """\
teams:
  replay:
    lead: dscully
    members: [dscully, jane-doe]
"""


def shown_repo(path: Path) -> GitRepo:
    repo = base_repo(path)
    repo.commit("Config", {".github/quarterdeck.yml": TEAM_CONFIG}, MAINTAINER, at(1, month=7))
    human = "Co-authored-by: Dana Scully <5+dscully@users.noreply.github.com>"
    repo.squash_pr(1, "Agent fix", {"a.py": "1"}, COPILOT, at(2), body=human)
    repo.squash_pr(2, "Guessed fix", {"b.py": "1"}, ("Jane Doe", "jane.doe@mail.example"), at(3))
    pair = "Co-authored-by: Jane Doe <jane.doe@mail.example>"
    repo.squash_pr(3, "Pair fix", {"c.py": "1"}, ("Zed", "zed@mail.example"), at(4), body=pair)
    return repo


def test_the_review_shows_a_guess_as_a_guess_and_a_bots_pr_as_its_persons(
    tmp_path: Path,
) -> None:

    repo = shown_repo(tmp_path / "r")

    (review,) = build_reviews(repo.path, Month(2026, 8), team="replay")
    text = render_review(review)
    data = reviews_to_json([review])

    # Copilot's PR is Dana's work, on Dana's team, counted, and its line says so.
    assert "Agent fix · opened by `Copilot` for `dscully` · " in text
    assert "Guessed fix · `jane-doe` (guessed) · " in text
    assert review.summary.shipped == 3
    # Only the config's lead may be mentioned; no author is.
    assert "@jane-doe" not in text
    assert "@Copilot" not in text
    prs = {link["pr"]["number"]: link["pr"] for link in data["reviews"][0]["summary"]["unplanned"]}
    assert (prs[1]["author"], prs[1]["opened_by"], prs[1]["author_guessed"]) == (
        "dscully",
        "Copilot",
        False,
    )
    assert (prs[2]["author"], prs[2]["author_guessed"]) == ("jane-doe", True)


def test_link_shows_a_guess_as_a_guess(tmp_path: Path) -> None:

    repo = shown_repo(tmp_path / "r")

    guessed = str(explain_from_repo(repo.path, 2))
    opened = str(explain_from_repo(repo.path, 1))

    assert guessed.startswith("#2 Guessed fix (by jane-doe (guessed), merged 2026-08-03)")
    assert "author jane-doe (guessed) is on replay" in guessed
    assert opened.startswith("#1 Agent fix (opened by Copilot for dscully, merged 2026-08-02)")
    paired = str(explain_from_repo(repo.path, 3))
    assert (
        "co-author jane-doe (guessed) is on replay (author zed (guessed) is on no team)" in paired
    )


# --- init writes only what the evidence supports ----------------------------------------


def test_init_proposes_no_organisation_or_bot_and_writes_guesses_to_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:

    repo = GitRepo.init(tmp_path / "r")
    repo.git("remote", "add", "origin", "https://github.com/acme/web.git")
    repo.commit("Initial commit", {"README.md": "hi"}, MAINTAINER, at(1, month=3))
    staff = [(f"Person {i}", f"p{i}@bigco.example") for i in range(ORGANISATION_PEOPLE)]
    for i, who in enumerate(staff):
        fork_pr(repo, 10 + i, "BigCo", who, at(2 + i, month=3))
    byroot = ("Jean B", "jean@home.example")
    fork_pr(repo, 20, "byroot", byroot, at(10, month=3))
    fork_pr(repo, 21, "byroot", byroot, at(11, month=3))
    claude = "Co-Authored-By: Claude <noreply@anthropic.com>"
    noreply = ("Nora", "9+nora-gh@users.noreply.github.com")
    for day in (12, 13, 14):
        repo.squash_pr(
            30 + day, "Nora's", {f"src/n{day}.py": "1"}, noreply, at(day, month=3), claude
        )
    repo.squash_pr(50, "Agent", {"src/c.py": "1"}, COPILOT, at(20, month=3), claude)

    write_starter(repo.path, today=datetime(2026, 4, 1, tzinfo=UTC).date())
    text = (repo.path / ".github" / "quarterdeck.yml").read_text(encoding="utf-8")
    cfg = yaml.safe_load(text)

    people = {p for t in cfg["teams"].values() for p in (t["lead"], *t["members"])}
    assert {p.casefold() for p in people} >= {"byroot", "nora-gh"}
    for not_a_person in ("bigco", "copilot", "claude", "noreply"):
        assert not_a_person not in {p.casefold() for p in people}
    # Identities only where a noreply email or a personal fork proves the login.
    assert cfg["identities"] == {"byroot": ["jean@home.example"]}
    # Everyone else is to check, in comments `validate` reports: a warning, an error
    # with --strict.
    assert "# quarterdeck: check:" in text
    assert "#   p0: [p0@bigco.example]" in text
    capsys.readouterr()
    assert main(["validate", "--repo", str(repo.path)]) == 0
    warned = capsys.readouterr().err
    assert main(["validate", "--strict", "--repo", str(repo.path)]) == 1
    failed = capsys.readouterr().err
    lines = text.splitlines()
    mark = 1 + next(i for i, t in enumerate(lines) if t.startswith("# quarterdeck: check:"))
    found = f".github/quarterdeck.yml:{mark}: logins still to check (guessed by `quarterdeck init`)"
    said = [t for t in warned.splitlines() if t.startswith(found)]
    assert len(said) == 1
    assert said[0].endswith("(warning)")
    assert [t for t in failed.splitlines() if t.startswith(found)] == [
        said[0][: -len(" (warning)")]
    ]


def test_a_lead_init_guessed_is_never_mentioned_until_a_person_confirms_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Everyone writes from a company address: init can only guess every login, the lead's too.
    repo = base_repo(tmp_path / "r")
    rafael = ("Rafael", "rafael@bigco.example")
    for day in (3, 4, 5):
        repo.squash_pr(day, f"Fix {day}", {f"src/f{day}.py": "1"}, rafael, at(day))
    write_starter(repo.path, today=datetime(2026, 9, 1, tzinfo=UTC).date())
    path = repo.path / ".github" / "quarterdeck.yml"
    text = path.read_text(encoding="utf-8")
    assert "lead: rafael" in text
    assert "#   rafael: [rafael@bigco.example]" in text

    capsys.readouterr()
    assert main(["review", "--repo", str(repo.path), "--month", "2026-08"]) == 0
    unconfirmed = capsys.readouterr().out
    # A stranger's account may be called rafael: a guess is shown, never @-mentioned.
    assert "@rafael" not in unconfirmed
    assert "The team lead (`rafael`, a login still to confirm), after the discussion" in (
        unconfirmed
    )

    # The person confirms the login as validate tells them: the block goes, the line moves.
    lines = text.splitlines()
    start = next(i for i, t in enumerate(lines) if t.startswith("# quarterdeck: check:"))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith("#")), len(lines)
    )
    kept = lines[:start] + lines[end:] + ["identities:", "  rafael: [rafael@bigco.example]"]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["validate", "--repo", str(repo.path)]) == 0
    assert "logins still to check" not in capsys.readouterr().err
    assert main(["review", "--repo", str(repo.path), "--month", "2026-08"]) == 0
    assert "@rafael, after the discussion" in capsys.readouterr().out


def test_github_mode_credits_a_pr_copilot_opened_to_the_person_beside_it(
    github: FakeGitHub,
) -> None:
    github.add_pull(
        "acme/web", 9, "Agent fix", "2026-11-20T12:00:00Z", author="copilot-swe-agent[bot]",
        co_authors=("dscully", "Copilot"),
    )  # fmt: skip
    github.add_pull("acme/web", 10, "Bump", "2026-11-21T00:00:00Z", author="dependabot[bot]")

    prs = fetch_merged_prs(
        github.client(),
        "acme/web",
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )

    assert [(pr.author, pr.opened_by, pr.is_bot, pr.co_authors) for pr in prs] == [
        ("dscully", "copilot-swe-agent[bot]", False, ()),
        ("dependabot[bot]", None, True, ()),
    ]
