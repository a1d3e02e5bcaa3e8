"""Bad input where it enters: odd goal-issue bodies, hostile PR text, broken commit bytes.

Each is read, linked, rendered and published end to end (the fake GitHub, real git
repos); the output is parsed as Markdown (tests/mdcheck.py) to prove it stays well
formed, mentions nobody and stays under GitHub's 65,536 characters.
"""

from __future__ import annotations

import logging
import subprocess
import time
from pathlib import Path

import pytest

from quarterdeck import cli
from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.config import build_config
from quarterdeck.core.text.issue_body import GITHUB_LIMIT
from quarterdeck.services.review.as_markdown import render_reviews
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.sources.git_history import read_merged_prs
from quarterdeck.sources.github.goal_listing import read_goal_issues
from tests.fakegithub import FakeGitHub
from tests.gitrepo import GitRepo
from tests.mdcheck import parse
from tests.reviewrepos import ALICE, BOB, CONFIG, GOALS, at, seed_github
from tests.webhooks import FILES, REPO, encode, headers, merged_pr, ours, settings

GOAL_LABELS = ["goal", "quarter:2026-Q4", "team:analytics"]
SHIP = "## What we'll ship\n"
CONTROLS = "".join(chr(c) for c in range(32) if chr(c) not in "\n\t") + "\x7f\x85"
HOSTILE = (
    "@everyone <img src=x onerror=alert(1)> {{ 7*7 }} {% raw %} | pipe **bold** _it_ "
    "[click](javascript:alert(1)) <!-- x --> `tick` # heading \u202eRTL\u200f\u2066 " + CONTROLS
)


# -- goal issues with odd bodies ---------------------------------------------------------

BODIES = {
    "no task list": ("Just words.\n- a\n- b\n", (None, None)),
    "nested": (SHIP + "- [x] a\n  - [ ] a1\n    - [x] a2\n- [ ] b\n", (2, 4)),
    "uppercase X": (SHIP + "- [X] a\n- [ ] b\n* [X] c\n", (2, 3)),
    "CRLF": ((SHIP + "- [x] a\n- [ ] b\n\n## Later\n- [ ] c\n").replace("\n", "\r\n"), (1, 2)),
    "HTML": ("<h2>What we'll ship</h2><ul><li>[x] a</li></ul><script>x()</script>", (None, None)),
    "1 MB": (SHIP + "- [x] done thing\n- [ ] open thing\n" * 30_000, (30_000, 60_000)),
}


def test_goal_issues_with_odd_bodies_are_read_and_rendered(github: FakeGitHub) -> None:
    remote = github.add_repo("acme/web", files={".github/quarterdeck.yml": CONFIG})
    for name, (body, _) in BODIES.items():
        github.add_issue(remote, f"Goal {name} {HOSTILE}", body=body, labels=GOAL_LABELS)
    config = build_config((".github/quarterdeck.yml", CONFIG), [])[0]
    repo = github.client().get_repo("acme/web")
    assert len(BODIES["1 MB"][0]) > 1_000_000

    started = time.perf_counter()
    goals = read_goal_issues(repo, config)
    elapsed = time.perf_counter() - started

    counts = {g.title.split(" @")[0].removeprefix("Goal "): (g.tasks_done, g.tasks_total)
              for g in goals}  # fmt: skip
    assert counts == {name: expected for name, (_, expected) in BODIES.items()}
    assert elapsed < 3.0
    # The review of those goals from GitHub: well formed, hostile titles inert.
    reviews_text = _github_review(github)
    doc = parse(reviews_text)
    assert doc.mentions == ["@a", "@c"]  # the two leads, in their decisions
    assert doc.raw_html == []


def _github_review(github: FakeGitHub) -> str:
    from quarterdeck.services.review.on_github import github_home_reviews

    reviews = github_home_reviews(github.gateway(), "acme/web", Month(2026, 11)).reviews
    return render_reviews(reviews)


# -- hostile PR titles, bodies and branches ------------------------------------------------


def hostile_prs(github: FakeGitHub, count: int = 25) -> None:
    """PRs whose title, body and branch carry everything at once, 100 KB of it each."""
    seed_github(github)
    padding = ("lorem ipsum " + HOSTILE + "\n") * (100_000 // (len(HOSTILE) + 13))
    for n in range(100, 100 + count):
        title = (HOSTILE + " ") * (100_000 // (len(HOSTILE) + 1)) if n % 2 else HOSTILE
        github.add_pull(
            "acme/web", n, title, f"2026-11-{10 + n % 15:02d}T12:00:00Z", author="bob",
            body=padding + ("\nPart of #12" if n % 3 == 0 else ""),
            branch=f"funnels/{HOSTILE[:60]}", files=("web/insights/x.py",),
        )  # fmt: skip


def check_markdown(text: str, leads: list[str]) -> None:
    assert len(text) < GITHUB_LIMIT
    doc = parse(text)
    assert doc.mentions == leads
    # The PR comment's one folded block is the only HTML there is.
    assert [h for h in doc.raw_html if h != "<details><summary>Link it differently</summary>"] == []
    assert doc.details_opened == doc.details_closed
    assert "49" not in doc.headings  # {{ 7*7 }} never ran
    assert not any(c in text for c in CONTROLS if c not in "\r")


def test_hostile_pr_text_is_linked_rendered_and_published_well_formed(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile_prs(github)
    monkeypatch.setattr(cli, "_github", lambda args: github.client())

    code = main(["review", "--github", "acme/web", "--month", "2026-11", "--publish"])

    err = capsys.readouterr().err
    assert code == 0, err
    remote = github.repos["acme/web"]
    analytics = remote.issues[1]
    check_markdown(analytics["body"], ["@a"])
    for comment in remote.comments_on(1):
        check_markdown(comment["body"], [])
    assert "{{ 7*7 }}" in analytics["body"] or "{{ 7\\*7 }}" in analytics["body"]
    # Linking read the reference at the end of 100 KB of body.
    assert "lorem ipsum" not in analytics["body"]  # bodies are never echoed
    # Only what matched is quoted, in the PR number's tooltip (the link's reason).
    assert '"the body says `Part of #12` (goal issue of funnels)"' in analytics["body"]
    assert "reference" in analytics["body"] or "#102" in analytics["body"]
    # A second run is stable: nothing to change, nothing sent.
    writes = len(github.writes)
    assert main(["review", "--github", "acme/web", "--month", "2026-11", "--publish"]) == 0
    assert len(github.writes) == writes


def test_hostile_pr_text_in_the_app_comment_and_the_goal_shipped_section(
    github: FakeGitHub, tmp_path: Path
) -> None:
    from quarterdeck.webhook.server import create_app

    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading", body="Why: people stop reading.\n")
    github.add_issue(fake, "Update the README")
    app = create_app(settings(tmp_path), identity=ours, github_factory=lambda _id: github.client())
    title = (HOSTILE + " ") * 700  # ~100 KB
    payload = merged_pr(title=title, body=("x " * 50_000) + "\nGoal: #1")
    payload["pull_request"]["head"]["ref"] = f"readme/{HOSTILE}"
    github.hold_pull(REPO, payload)
    body = encode(payload)

    answer = app.test_client().post(
        "/webhook", data=body, headers=headers("pull_request", body, "d-hostile")
    )
    assert answer.status_code == 202
    assert app.extensions["quarterdeck"].queue.wait_idle(10)

    [comment] = fake.comments_on(2)
    check_markdown(comment["body"], [])
    assert "**A README people finish reading**" in comment["body"]
    goal_body = fake.issues[1]["body"]
    check_markdown(goal_body, [])
    assert goal_body.startswith("Why: people stop reading.\n")
    shipped = goal_body.split("· #2 ", 1)[1].splitlines()[0]
    assert len(shipped) < 1_000  # cut to 200 characters before escaping


# -- commit messages with separators and bytes that are not UTF-8 ----------------------------


def raw_commit(repo: GitRepo, message: bytes, when: str, author: tuple[str, str]) -> None:
    """A commit whose message is exactly these bytes (git's plumbing, no re-encoding)."""
    tree = repo.git("write-tree").strip()
    parent = repo.sha()
    env_date = f"@{int(at(when).timestamp())} +0000"
    done = subprocess.run(
        ["git", "-C", str(repo.path), "commit-tree", tree, "-p", parent],
        input=message,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": "GitHub",
            "GIT_COMMITTER_EMAIL": "noreply@github.com",
            "GIT_AUTHOR_DATE": env_date,
            "GIT_COMMITTER_DATE": env_date,
            "GIT_CONFIG_GLOBAL": "/dev/null",
            "GIT_CONFIG_NOSYSTEM": "1",
            "PATH": "/usr/bin:/bin",
        },
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    repo.git("update-ref", "refs/heads/main", done.stdout.decode().strip())


def test_commit_messages_with_separators_and_invalid_utf8_are_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repo = GitRepo.init(tmp_path / "web")
    files = {".github/quarterdeck.yml": CONFIG, "goals/2026-Q4.yml": GOALS}
    repo.commit("Initial commit", files, ALICE, at("2026-10-01T09:00Z"))
    raw_commit(repo, b"Caf\xe9 \xff\xfe bytes (#1)\n\nPart of #12\n", "2026-11-02T12:00Z", BOB)
    raw_commit(
        repo, b"Fields \x1f\x1e\x1d\x01 inside (#2)\n\n\x1f\x1fgoal:onboarding\n",
        "2026-11-03T12:00Z", BOB,
    )  # fmt: skip
    raw_commit(
        repo, b"Latin-1 body (#3)\n\n" + "Ünïcödé".encode("latin-1"), "2026-11-04T12:00Z", BOB
    )
    # git refuses NUL in a message (commit-tree fails), so every other control goes in.
    raw_commit(repo, HOSTILE.replace("\0", "").encode() + b" (#4)\n", "2026-11-05T12:00Z", BOB)

    prs = read_merged_prs(repo.path, at("2026-11-01T00:00Z"), at("2026-12-01T00:00Z"))

    assert [pr.number for pr in prs] == [1, 2, 3, 4]
    # git re-encodes bytes that are not UTF-8 (as Latin-1) or we replace them: never a crash.
    assert prs[0].title in ("Café ÿþ bytes", "Caf\ufffd \ufffd\ufffd bytes")
    assert "Part of #12" in prs[0].body
    assert prs[1].title.startswith("Fields")
    with caplog.at_level(logging.WARNING):
        reviews = build_reviews(repo.path, Month(2026, 11))
    text = render_reviews(reviews)
    doc = parse(text)
    assert doc.raw_html == []
    assert "\x1f" not in text
    assert {r.summary.team: r.summary.shipped for r in reviews}["analytics"] >= 1
