"""`init`, then `validate`, then `review`, as a new user runs them inside a real clone.

On the two shared real histories (see shared/fixtures/README.md): each command
exits 0, no proposed team is over six, no bot or organisation is a member or lead, and
no team is named after a dot-folder. Organisations are derived from git itself: the
owner of `Merge pull request #N from <owner>/…` merges whose branches were written by
different people is an organisation (or the repository's own owner), never a person.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

from quarterdeck.core.model import MAX_TEAM_SIZE
from quarterdeck.core.vocabulary import is_bot_login
from tests.histories import clone as clone_history

HISTORIES = ("pallets-click", "posthog-android")


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


def quarterdeck(clone: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: a process started inside the clone."""
    return subprocess.run(
        [sys.executable, "-m", "quarterdeck", *args],
        cwd=clone,
        capture_output=True,
        text=True,
        check=False,
    )


def organisations(repo: Path) -> set[str]:
    """Owners of `from <owner>/…` merges that carried the work of three or more people,
    none of whom is the owner (casefolded): the repository's owner and organisations.

    A branch's writer is its tip's author; two writers are one person when they share
    a name or an email (people commit from work and home). A personal fork may carry a
    contributor's commit or two, so it takes three people, and its owner is one of them
    (the email's local part or the name without spaces is the login).
    """
    writers: dict[str, list[tuple[str, str]]] = defaultdict(list)
    log = git(repo, "log", "--merges", "--format=%P%x1f%s")
    for line in log.splitlines():
        parents, _, subject = line.partition("\x1f")
        if not subject.startswith("Merge pull request #") or " from " not in subject:
            continue
        owner = subject.split(" from ", 1)[1].split("/", 1)[0].casefold()
        tip = parents.split()[1:2]
        author = git(repo, "log", "-1", "--format=%aN%x1f%aE", *tip).strip()
        name, _, email = author.casefold().partition("\x1f")
        if tip and "[bot]" not in email:
            writers[owner].append((name, email))
    found: set[str] = set()
    for owner, pairs in writers.items():
        selves = {n.replace(" ", "") for n, _ in pairs} | {e.split("@")[0] for _, e in pairs}
        if _people(pairs) >= 3 and owner not in selves:
            found.add(owner)
    return found


def _people(writers: list[tuple[str, str]]) -> int:
    """How many people these (name, email) pairs are, joined by a shared name or email."""
    groups: list[set[str]] = []
    for name, email in writers:
        keys = {f"n:{name}", f"e:{email}"}
        joined = [g for g in groups if g & keys]
        groups = [g for g in groups if not g & keys] + [keys.union(*joined)]
    return len(groups)


def last_full_month(repo: Path) -> str:
    """The month before the history's newest commit: a month the history covers."""
    newest = git(repo, "log", "-1", "--format=%cs").strip()  # YYYY-MM-DD
    year, month = int(newest[:4]), int(newest[5:7])
    year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return f"{year:04d}-{month:02d}"


@pytest.mark.parametrize("name", HISTORIES)
def test_init_then_validate_then_review_on_a_real_history(tmp_path: Path, name: str) -> None:
    clone = clone_history(name, tmp_path / name)
    orgs = organisations(clone)
    dot_folders = {
        entry.lstrip(".").casefold()
        for entry in git(clone, "ls-tree", "--name-only", "HEAD").split()
        if entry.startswith(".")
    }

    init = quarterdeck(clone, "init")
    assert init.returncode == 0, init.stderr
    config = yaml.safe_load((clone / ".github" / "quarterdeck.yml").read_text(encoding="utf-8"))
    teams = config["teams"]
    assert teams
    for slug, team in teams.items():
        people = {team["lead"], *team["members"]}
        assert len(people) <= MAX_TEAM_SIZE, f"{slug}: {sorted(people)}"
        assert not [p for p in people if is_bot_login(p)], f"{slug}: a bot in {sorted(people)}"
        assert not {p.casefold() for p in people} & orgs, f"{slug}: an organisation"
        assert slug.casefold() not in dot_folders, f"{slug} is named after a dot-folder"

    # Leads are chosen by the PRs they shipped there, not by their commits.
    text = (clone / ".github" / "quarterdeck.yml").read_text(encoding="utf-8")
    notes = re.findall(r"# check: shipped most here \((\d+) of (\d+) PRs?\)", text)
    assert len(notes) == len(teams)
    assert all(0 < int(mine) <= int(total) for mine, total in notes)

    validate = quarterdeck(clone, "validate")
    assert validate.returncode == 0, validate.stderr

    month = last_full_month(clone)
    out = tmp_path / "review.json"
    review = quarterdeck(clone, "review", "--month", month, "--format", "json", "-o", str(out))
    assert review.returncode == 0, review.stderr
    reviews = json.loads(out.read_text(encoding="utf-8"))["reviews"]
    assert {r["team"]["slug"] for r in reviews if r["team"]} <= set(teams)
    shipped = [lk for r in reviews for lk in r["summary"]["unplanned"]]
    assert shipped, f"{month} has merged PRs in this history"
    # The teams init proposed own this history's work: no PR is left to no team.
    assert not [r for r in reviews if r["summary"]["unowned"]]


REPLAY = "posthog-android/src/main/java/com/posthog/android/replay/"


def test_a_specialist_beside_the_catch_all_gets_its_prs_on_a_real_history(
    tmp_path: Path,
) -> None:
    # posthog-android's CODEOWNERS gives everything to one team; name a replay team
    # beside it on the replay folder's line, as monorepos with several teams write it.
    clone = clone_history("posthog-android", tmp_path / "posthog-android")
    codeowners = clone / ".github" / "CODEOWNERS"
    catch_all = codeowners.read_text(encoding="utf-8").split()[1]  # @PostHog/team-…
    codeowners.write_text(
        f"*  {catch_all}\n/{REPLAY}  {catch_all} @PostHog/team-replay\n", encoding="utf-8"
    )
    assert quarterdeck(clone, "init").returncode == 0
    config = yaml.safe_load((clone / ".github" / "quarterdeck.yml").read_text(encoding="utf-8"))
    replay = [
        s
        for s, t in config["teams"].items()
        if t["owns"].get("codeowners") == ["@PostHog/team-replay"]
    ]
    assert replay, f"no team for @PostHog/team-replay in {sorted(config['teams'])}"
    assert quarterdeck(clone, "validate").returncode == 0

    out = tmp_path / "review.json"
    month = last_full_month(clone)
    review = quarterdeck(clone, "review", "--month", month, "--format", "json", "-o", str(out))
    assert review.returncode == 0, review.stderr
    links = [lk for r in json.loads(out.read_text())["reviews"] for lk in r["summary"]["unplanned"]]
    # A PR with at least half its changed paths under the replay folder: the rest
    # (changelog, changeset) is the catch-all's, and a tie goes to the narrower pattern.
    under = [lk for lk in links if _mostly_replay(lk["pr"]["paths"])]
    assert under, f"{month} has PRs under the replay folder in this history"
    assert {lk["team"] for lk in under} == {replay[0]}
    assert all("also listed:" in lk["reason"] for lk in under)


def _mostly_replay(paths: list[str]) -> bool:
    return 0 < len(paths) <= 2 * sum(p.startswith(REPLAY) for p in paths)
