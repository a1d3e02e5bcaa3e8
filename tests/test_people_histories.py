"""Who wrote each PR on the two shared real histories, checked against git itself.

For every merged PR the offline reader finds, the evidence is derived here from git
alone: the noreply emails on the PR's commits (and trailers), and the fork it was
merged from, an organisation being a fork owner whose merges carry the main work of
several different people. The reader must never name an organisation, never
contradict a noreply email or a personal fork, mark every other author as a guess,
and the Markdown review must @-mention no one without evidence, `noreply` least of all.
"""

from __future__ import annotations

import re
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import PullRequest
from quarterdeck.services.review.as_markdown import render_review
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.sources.git_history import read_merged_prs
from tests.histories import clone as clone_history

# bundle, its GitHub address (a user's clone has it as origin), months reviewed
CASES = {
    "posthog-android": ("https://github.com/PostHog/posthog-android.git", ["2026-07"]),
    "pallets-click": ("https://github.com/pallets/click.git", ["2020-08", "2020-06"]),
}
NOREPLY = re.compile(r"^(?:\d+\+)?([^@\s]+)@users\.noreply\.github\.com$", re.IGNORECASE)
MERGE = re.compile(r"^Merge pull request #\d+ from ([^/\s]+)/")
TRAILER = re.compile(r"^co-authored-by:\s*(.*?)\s*<([^<>\s]+)>\s*$", re.IGNORECASE | re.MULTILINE)
# What git itself marks as automation: GitHub Apps' `[bot]`, and the AI assistants'
# own addresses (independent of the vocabulary under test).
ASSISTANT_EMAILS = {"noreply@anthropic.com", "noreply@github.com"}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    )
    return done.stdout


_PR_SUBJECT = re.compile(r"^Merge pull request #\d+ |\(#\d+\)$")


def branch_authors(repo: Path, base: str, tip: str) -> list[tuple[str, str]]:
    """Authors of the non-merge commits a merge brought in, earliest authored first,
    leaving out the commits of PRs merged into that branch (squashed or merged): each
    PR is its own authors' work."""
    nested: set[str] = set()
    for line in git(repo, "log", "--merges", "--format=%H %P%x1f%s", f"{base}..{tip}").splitlines():
        ids, _, subject = line.partition("\x1f")
        sha, *parents = ids.split()
        if _PR_SUBJECT.search(subject.strip()):
            nested |= set(git(repo, "rev-list", f"{parents[0]}..{parents[1]}").split())
    log = git(
        repo, "log", "--no-merges", "--format=%H%x1f%at%x1f%aN%x1f%aE%x1f%s", f"{base}..{tip}"
    )
    commits = []
    for line in log.splitlines():
        sha, stamp, name, email, subject = line.split("\x1f")
        if sha not in nested and not _PR_SUBJECT.search(subject.strip()):
            commits.append((int(stamp), name, email))
    return [(name, email) for _, name, email in sorted(commits)]


def is_automation(name: str, email: str) -> bool:
    return "[bot]" in (name + email).lower() or email.lower() in ASSISTANT_EMAILS


@dataclass
class Evidence:
    """What git says about one PR: its main author, its noreply logins, its fork."""

    main: tuple[str, str] | None
    noreply: set[str]
    fork: str | None
    tip: tuple[str, str] | None = None  # who wrote the fork branch's last commit


def evidence_of(repo: Path, pr: PullRequest, owner: str) -> Evidence:
    parents, _, rest = git(repo, "log", "-1", "--format=%P%x1f%aN%x1f%aE%x1f%B", pr.sha).partition(
        "\x1f"
    )
    name, email, message = rest.split("\x1f", 2)
    parent = parents.split()
    fork, tip = None, None
    if len(parent) >= 2:
        m = MERGE.match(message)
        if m and m.group(1).casefold() != owner.casefold():
            fork = m.group(1)
        people = branch_authors(repo, parent[0], parent[1])
        tip = tuple(git(repo, "log", "-1", "--format=%aN%x1f%aE", parent[1]).strip().split("\x1f"))
    else:
        people = [(name, email)]
    humans = [p for p in people if not is_automation(*p)]
    if not humans and tip is not None and not is_automation(*tip):
        # A PR of merges only (`Merge stable into main`): its one commit is the tip.
        humans = [tip]
    # Most commits, then the earliest authored: who started the work.
    tally = Counter(humans)
    main = max(tally, key=lambda p: (tally[p], -humans.index(p))) if humans else None
    trailers = [(n, e) for n, e in TRAILER.findall(message) if not is_automation(n, e)]
    noreply = {
        m.group(1).casefold()
        for _, e in (*humans, *trailers)
        if (m := NOREPLY.match(e)) is not None
    }
    return Evidence(main, noreply, fork, tip)  # type: ignore[arg-type]


def organisations(repo: Path, found: dict[int, Evidence]) -> set[str]:
    """Fork owners whose merged branches were last written by three or more different
    people (one person: the same email or the same name), leaving out the maintainers
    (who pressed GitHub's merge button), whose fix-ups on a contributor's branch make no
    organisation, and bots. The branch's last commit, not its first: a person may
    resurrect someone's years-old commit on their own fork."""
    merged = git(repo, "log", "--merges", "--format=%aN%x1f%aE%x1f%s").splitlines()
    mergers = {
        key.casefold()
        for line in merged
        if MERGE.match(line.split("\x1f")[2])
        for key in line.split("\x1f")[:2]
    }
    people: defaultdict[str, list[tuple[str, str]]] = defaultdict(list)
    for ev in found.values():
        if not ev.fork or ev.tip is None or is_automation(*ev.tip):
            continue
        if not {k.casefold() for k in ev.tip} & mergers:
            people[ev.fork.casefold()].append(ev.tip)
    orgs = set()
    for owner, seen in people.items():
        groups: list[set[str]] = []
        for name, email in seen:
            keys = {f"n:{name.casefold()}", f"e:{email.casefold()}"}
            joined = [g for g in groups if g & keys]
            for g in joined:
                groups.remove(g)
                keys |= g
            groups.append(keys)
        if len(groups) >= 3:
            orgs.add(owner)
    return orgs


@pytest.fixture(scope="module", params=sorted(CASES))
def clone(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name = request.param
    path = clone_history(name, tmp_path_factory.mktemp(name) / name, origin=CASES[name][0])
    assert not (path / ".github" / "quarterdeck.yml").exists()  # no one's word: only git
    return path


def test_authors_follow_the_evidence_and_nothing_else(clone: Path) -> None:
    owner = CASES[clone.name][0].split("/")[-2]
    prs = read_merged_prs(clone, datetime(2000, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    found = {pr.number: evidence_of(clone, pr, owner) for pr in prs}
    orgs = organisations(clone, found)

    people = [pr for pr in prs if not pr.is_bot]
    assert len(people) > 100
    # No organisation is an author; `noreply` is never a person.
    assert [pr.number for pr in prs if pr.author.casefold() in orgs] == []
    assert [pr.number for pr in prs if "noreply" in {pr.author, *pr.co_authors}] == []
    contradicted, unmarked = [], []
    for pr in people:
        ev = found[pr.number]
        main_noreply = NOREPLY.match(ev.main[1]) if ev.main else None
        if main_noreply:
            expected: str | None = main_noreply.group(1)
        elif ev.fork and ev.fork.casefold() not in orgs:
            expected = ev.fork
        else:
            expected = None
        if expected is not None and pr.author.casefold() != expected.casefold():
            contradicted.append((pr.number, pr.author, expected))
        backed = pr.author.casefold() in ev.noreply or (
            ev.fork is not None
            and ev.fork.casefold() not in orgs
            and pr.author.casefold() == ev.fork.casefold()
        )
        if not backed and not pr.author_guessed:
            unmarked.append((pr.number, pr.author))
    assert contradicted == []
    assert unmarked == []
    if clone.name == "pallets-click":
        # The history holds an organisation's fork (MLH-Fellowship), and this derives it.
        assert "mlh-fellowship" in orgs


_CODE = re.compile(r"(`+).*?\1", re.DOTALL)
_MENTION = re.compile(r"(?<![\w`/])@([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)")


def test_the_markdown_review_mentions_no_one_without_evidence(clone: Path) -> None:
    for month in CASES[clone.name][1]:
        reviews = build_reviews(clone, Month.parse(month), team=None)
        text = "\n".join(render_review(r) for r in reviews)
        prs = [lk.pr for r in reviews for lk in r.summary.unplanned]
        prs += [lk.pr for r in reviews for gm in r.summary.goals for lk in gm.prs]
        assert prs, month

        # No config: no one's word, so no login has evidence enough to be mentioned.
        assert _MENTION.findall(_CODE.sub("", text)) == []
        assert "`noreply`" not in text
        for pr in prs:
            if pr.author_guessed:
                assert f"`{pr.author}` (guessed)" in text, (month, pr.number)
