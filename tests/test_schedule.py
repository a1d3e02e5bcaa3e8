"""`quarterdeck schedule`: one review job per installation of the App, run by a real RQ
worker process against a real redis-server, over HTTP to the one fake GitHub.

Three installations: `acme` (a repository with its own config), `globex` (an
organisation-wide home in its `.github` repository, reviewing two more repositories)
and `initech`, whose config is broken. Expectations come from what the fake holds
(its teams, repositories and PRs) and from the retry setting passed, not from output.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from rq import Queue
from rq.job import Job
from rq.registry import FailedJobRegistry

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.core.schedule import (
    due_month,
    due_quarter,
    first_working_day,
    next_due,
    review_job_id,
    schedule_job_id,
)
from quarterdeck.webhook.queues import RQ_QUEUE
from quarterdeck.webhook.schedule_jobs import schedule_lines
from quarterdeck.webhook.settings import Settings
from tests.fakegithub import FakeGitHub
from tests.fakegithub_http import HttpFront
from tests.workers import RedisServer, worker_command, worker_env

NOVEMBER = Month(2026, 11)
FIRST_WORKING_DAY = "2026-12-01T12:00:00Z"  # a Tuesday
RETRY = (0, 0)  # two retries, at once: a burst worker runs every attempt
ACME_CONFIG = """\
teams:
  web:
    lead: alice
    members: [alice, bob]
    owns: {paths: ["web/**"]}
"""
GLOBEX_CONFIG = """\
org: globex
teams:
  platform:
    lead: carol
    members: [carol, dave]
    owns: {paths: ["src/**"]}
"""
BROKEN_CONFIG = "teams:\n  ops:\n    members: [erin\n"  # an unclosed list: not YAML


def seed(github: FakeGitHub) -> dict[str, list[int]]:
    """The three installations; returns each good home's PRs of November by repository."""
    github.add_repo("acme/web", files={".github/quarterdeck.yml": ACME_CONFIG})
    github.add_repo("acme/site", files={"index.html": "<h1>acme</h1>"})  # no config: no home
    github.add_repo("globex/.github", files={".github/quarterdeck.yml": GLOBEX_CONFIG})
    github.add_repo("globex/api", files={"src/api.py": ""})
    github.add_repo("globex/app", files={"src/app.ts": ""})
    github.add_repo("initech/tps", files={".github/quarterdeck.yml": BROKEN_CONFIG})
    prs = {
        "acme/web": [(3, "alice", "web/a.py"), (4, "bob", "web/b.py")],
        "globex/api": [(7, "carol", "src/api.py")],
        "globex/app": [(12, "dave", "src/app.ts")],
    }
    for repo, specs in prs.items():
        for number, author, path in specs:
            when = f"2026-11-{number + 2:02d}T12:00:00Z"
            github.add_pull(repo, number, f"Change {number}", when, author=author, files=(path,))
    github.add_installation(101, "acme", ["acme/web", "acme/site"])
    github.add_installation(202, "globex", ["globex/.github", "globex/api", "globex/app"])
    github.add_installation(303, "initech", ["initech/tps"])
    return {repo: [n for n, _, _ in specs] for repo, specs in prs.items()}


def repo_writes(github: FakeGitHub) -> list[tuple[str, str]]:
    """Every write to a repository (issues, comments, labels, locks); tokens left out."""
    return [w for w in github.writes if w[1].startswith("/repos/")]


def issue_writes(github: FakeGitHub) -> list[tuple[str, str]]:
    """Every POST and PATCH to an issue (created, edited, commented on)."""
    return [w for w in github.writes if w[0] in ("POST", "PATCH") and "/issues" in w[1]]


def schedule(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "quarterdeck", "schedule", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    return done.stdout


def work(env: dict[str, str]) -> str:
    done = subprocess.run(
        worker_command("--burst"), env=env, capture_output=True, text=True, timeout=180, check=False
    )
    return done.stdout + done.stderr


def test_three_installations_one_failing_on_a_real_rq_worker(
    github: FakeGitHub, tmp_path: Path
) -> None:
    prs = seed(github)
    server = RedisServer(tmp_path)
    front = HttpFront(github)
    try:
        env = worker_env(front.url, server.url)
        retry = ["--retry", ",".join(map(str, RETRY)), "--now", FIRST_WORKING_DAY]
        first = schedule(env, *retry)
        again = schedule(env, *retry)  # before any worker ran: the jobs are pending
        queue = Queue(RQ_QUEUE, connection=server.client())
        queued = sorted(queue.job_ids)
        log = work(env)
        writes_after_first = repo_writes(github)
        issues_after_first = {name: dict(r.issues) for name, r in github.repos.items()}
        second = schedule(env, *retry)
        log_second = work(env)
        failed = FailedJobRegistry(RQ_QUEUE, connection=server.client()).get_job_ids()
        bad_job = Job.fetch(review_job_id(303, NOVEMBER), connection=server.client())
    finally:
        front.close()
        server.stop()

    ids = {i: review_job_id(i, NOVEMBER) for i in (101, 202, 303)}
    # Three installations, one job each, under ids a second run finds again.
    assert queued == sorted(ids.values())
    for installation, job_id in ids.items():
        assert re.search(rf"installation {installation} \(\w+\): enqueued {job_id}$", first, re.M)
        assert f"{job_id} is already queued; nothing new enqueued" in again

    # Two reviews published: one issue per team in each good home, naming its PRs.
    (web,) = github.repos["acme/web"].issues.values()
    (platform,) = github.repos["globex/.github"].issues.values()
    assert web["title"] == "Growth review: web — November 2026"
    assert platform["title"] == "Growth review: platform — November 2026"
    for number in prs["acme/web"]:
        assert f"#{number}" in web["body"]
    for repo in ("globex/api", "globex/app"):
        for number in prs[repo]:
            assert f"{repo.split('/')[1]}#{number}" in platform["body"]
    assert github.repos["acme/site"].issues == {}  # no config of its own: not a home
    assert github.repos["initech/tps"].issues == {}
    assert sum(1 for w in issue_writes(github) if w[0] == "POST" and w[1].endswith("/issues")) == 2

    # One failure reported: attempted once plus once per retry, logged with the
    # installation each time, and left in RQ's failed registry.
    attempts = len(RETRY) + 1
    failures = [line for line in log.splitlines() if "scheduled reviews failed:" in line]
    assert len(failures) == attempts
    assert all('"installation": 303' in line and "initech/tps" in line for line in failures)
    assert '"attempt": 3' in failures[-1]
    assert "scheduled reviews failed for good" in log
    assert '"installation": 101' in log
    assert '"installation": 202' in log
    assert ids[303] in failed
    assert ids[101] not in failed
    assert ids[202] not in failed
    assert "initech/tps" in bad_job.meta["error"]
    assert github.count("POST", r"^/app/installations/303/access_tokens$") >= attempts

    # The second run says how the first went, runs the jobs again and publishes nothing new.
    assert re.search(rf"{ids[101]} \(previous run finished at .*acme/web: 1 created\)", second)
    assert re.search(rf"{ids[202]} \(previous run finished at .*globex/\.github: 1 created", second)
    assert re.search(rf"{ids[303]} \(previous run failed at .*initech/tps", second)
    assert log_second.count("scheduled reviews published") == 2
    assert repo_writes(github) == writes_after_first
    assert issue_writes(github) == [w for w in writes_after_first if "/issues" in w[1]]
    assert {name: dict(r.issues) for name, r in github.repos.items()} == issues_after_first

    # No credential reached a line a person or a log shows.
    shown = first + again + second + log + log_second
    for installation in github.installations.values():
        assert installation.token not in shown
    assert "ghs_fake" not in shown


def test_a_refused_installation_fails_alone_and_no_credential_shows(
    github: FakeGitHub, tmp_path: Path
) -> None:
    seed(github)
    github.installations[303].repos = []  # its config is not what fails this time
    github.installations[303].token_refused = 403  # GitHub refuses the installation's token
    github.echo_auth = True  # and its error answers quote the credentials sent
    server = RedisServer(tmp_path)
    front = HttpFront(github)
    try:
        env = worker_env(front.url, server.url)
        out = schedule(env, "--month", "2026-11", "--retry", "0", "--now", FIRST_WORKING_DAY)
        log = work(env)
        failed = FailedJobRegistry(RQ_QUEUE, connection=server.client()).get_job_ids()
        again = schedule(env, "--month", "2026-11", "--dry-run", "--now", FIRST_WORKING_DAY)
    finally:
        front.close()
        server.stop()

    assert failed == [review_job_id(303, NOVEMBER)]
    assert github.count("POST", r"^/app/installations/303/access_tokens$") == 2  # 1 + 1 retry
    failures = [line for line in log.splitlines() if "scheduled reviews failed:" in line]
    assert len(failures) == 2
    assert all('"installation": 303' in line and "403" in line for line in failures)
    assert log.count("scheduled reviews published") == 2  # the other two, unblocked
    assert "previous run failed at" in again
    assert github.echoed > 0
    sent = {c.headers.get("Authorization", " ").split(" ")[-1] for c in github.calls} - {""}
    jwts = [value for value in sent if value.startswith("eyJ")]
    assert jwts
    shown = out + log + again
    for secret in [*sent, *(i.token for i in github.installations.values())]:
        assert secret not in shown


@pytest.mark.parametrize(
    ("month", "first"),
    [
        (Month(2026, 12), date(2026, 12, 1)),  # a Tuesday: the 1st itself
        (Month(2026, 8), date(2026, 8, 3)),  # Saturday the 1st: Monday the 3rd
        (Month(2026, 11), date(2026, 11, 2)),  # Sunday the 1st: Monday the 2nd
        (Month(2027, 5), date(2027, 5, 3)),  # Saturday again, across a year
        (Month(2026, 6), date(2026, 6, 1)),  # a Monday
        (Month(2027, 1), date(2027, 1, 1)),  # a Friday (a holiday is still a working day)
    ],
)
def test_first_working_day(month: Month, first: date) -> None:
    assert first_working_day(month) == first
    assert first.weekday() < 5
    assert all(date(month.year, month.month, d).weekday() >= 5 for d in range(1, first.day))


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2026, 12, 1), Month(2026, 11)),
        (date(2026, 12, 2), None),  # the day after
        (date(2026, 11, 1), None),  # a Sunday: the reviews wait for Monday
        (date(2026, 11, 2), Month(2026, 10)),
        (date(2027, 1, 1), Month(2026, 12)),  # across the year
        (date(2026, 8, 1), None),
        (date(2026, 8, 3), Month(2026, 7)),
        (date(2026, 11, 30), None),
    ],
)
def test_due_month(today: date, due: Month | None) -> None:
    assert due_month(today) == due
    following = next_due(today)
    assert following > today
    assert due_month(following) is not None
    assert all(
        due_month(date.fromordinal(d)) is None
        for d in range(today.toordinal() + 1, following.toordinal())
    )


def test_on_other_days_nothing_is_listed_or_enqueued(github: FakeGitHub) -> None:
    settings = Settings(webhook_secret=SecretStr("s" * 12))  # no App, no Redis: nothing is needed
    (line,) = schedule_lines(settings, datetime(2026, 12, 2, 6, tzinfo=UTC))
    assert line.startswith(
        "2026-12-02 (UTC) is neither the first working day of its month nor in a quarter's "
        "planning window; nothing to schedule"
    )
    assert "next reviews: 2027-01-01" in line
    assert github.calls == []


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The App's environment for an in-process `main(["schedule", …])`, and the root
    logger restored after it (the command installs the App's JSON log handler)."""
    for name, value in worker_env("http://127.0.0.1:9", "redis://127.0.0.1:9/0").items():
        monkeypatch.setenv(name, value)
    root, library = logging.getLogger(), logging.getLogger("github")
    saved = root.handlers[:], root.level, library.handlers[:], library.level
    yield
    root.handlers[:], level, library.handlers[:], library_level = saved
    root.setLevel(level)
    library.setLevel(library_level)


@pytest.mark.usefixtures("app_env")
def test_the_command_exits_0_on_other_days(
    capsys: pytest.CaptureFixture[str], github: FakeGitHub
) -> None:
    assert main(["schedule", "--now", "2026-11-01T06:00:00Z"]) == 0  # a Sunday
    assert "nothing to schedule (next reviews: 2026-11-02)" in capsys.readouterr().out
    assert github.calls == []


@pytest.mark.usefixtures("app_env")
def test_a_month_not_begun_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schedule", "--month", "2027-01", "--now", "2026-12-01"]) == 1
    assert "January 2027 has not begun" in capsys.readouterr().err


def test_dry_run_lists_installations_and_enqueues_nothing(
    github: FakeGitHub, tmp_path: Path
) -> None:
    seed(github)
    github.add_installation(404, "hooli", [], suspended=True)
    server = RedisServer(tmp_path)
    front = HttpFront(github)
    try:
        env = worker_env(front.url, server.url)
        out = schedule(env, "--month", "2026-11", "--dry-run", "--now", "2026-12-09")
        count = Queue(RQ_QUEUE, connection=server.client()).count
    finally:
        front.close()
        server.stop()
    assert "reviews of 2026-11: 4 installation(s) of the App" in out
    for installation in (101, 202, 303):
        assert f"would enqueue {review_job_id(installation, NOVEMBER)}" in out
    assert "installation 404 (hooli): suspended on GitHub; skipped" in out
    assert count == 0
    assert github.writes == []
    assert github.count("POST", "access_tokens") == 0  # the App's JWT lists; no token needed


def test_rq_cron_route_registers_the_daily_schedule(tmp_path: Path) -> None:
    from rq.cron import CronScheduler

    from quarterdeck.webhook.schedule_jobs import SCHEDULE_CRON, schedule_due

    server = RedisServer(tmp_path)
    try:
        scheduler = CronScheduler(connection=server.client())
        scheduler.load_config_from_file("quarterdeck.webhook.rq_cron")
        (job,) = scheduler.get_jobs()
    finally:
        server.stop()
    assert job.func is schedule_due
    assert job.queue_name == RQ_QUEUE
    assert job.cron == SCHEDULE_CRON


def test_installations_and_their_repositories_are_listed_page_by_page(
    github: FakeGitHub,
) -> None:
    from quarterdeck.sources.github.client import connect_app
    from quarterdeck.sources.github.installations import app_installations, installation_repos
    from tests.webhooks import private_key_pem

    names = [f"acme/r{n:03d}" for n in range(130)]
    for name in names:
        github.add_repo(name)
    github.add_repo("other/secret")  # not granted: neither listed nor readable
    for n in range(1, 131):
        github.add_installation(n, f"org{n}", names if n == 1 else [], suspended=n == 7)

    listed = app_installations(4242, private_key_pem())
    assert [i.id for i in listed] == list(range(1, 131))
    assert [i.id for i in listed if i.suspended] == [7]
    assert listed[1].account == "org2"
    assert github.count("GET", r"^/app/installations$") == 2  # 100 a page

    gh = connect_app(4242, private_key_pem(), 1, retry=None)
    assert [r.full_name for r in installation_repos(gh)] == names
    assert github.count("GET", r"^/installation/repositories$") == 2
    with pytest.raises(Exception, match="404"):
        gh.get_repo("other/secret").get_contents(".github/quarterdeck.yml")


def test_which_repositories_are_homes(github: FakeGitHub) -> None:
    from quarterdeck.services.scheduled_work import find_home

    own = {".github/quarterdeck.yml": ACME_CONFIG}
    cases = {
        "acme/web": (own, {}, True),
        "acme/site": ({}, {}, False),  # falls back to the owner's config: not a home
        "acme/old": (own, {"archived": True}, False),  # GitHub refuses issues in it
        "acme/web-fork": (own, {"fork": True}, False),  # its upstream's config
        "acme/.github": (own, {}, False),  # a default for the others, no `repos:`
        "globex/.github": ({".github/quarterdeck.yml": GLOBEX_CONFIG}, {}, True),
        "initech/tps": ({".github/quarterdeck.yml": BROKEN_CONFIG}, {}, True),  # to report
        "initech/.github": ({".github/quarterdeck.yml": BROKEN_CONFIG}, {}, True),
    }
    for name, (files, flags, _) in cases.items():
        github.add_repo(name, files=files, **flags)
    gh = github.gateway()
    found = {name: find_home(gh.repo(name)) for name in cases}
    assert found == {name: home for name, (_, _, home) in cases.items()}


@pytest.mark.parametrize(
    ("today", "quarter"),
    [("2026-12-17", None), ("2026-12-18", "2027-Q1"), ("2026-12-31", "2027-Q1"),
     ("2027-01-01", None), ("2027-03-18", "2027-Q2"), ("2026-11-30", None)],
)  # fmt: skip
def test_planning_is_due_on_every_day_of_the_window(today: str, quarter: str | None) -> None:
    assert due_quarter(date.fromisoformat(today)) == quarter


def test_in_the_window_the_next_quarters_planning_is_listed(
    github: FakeGitHub, tmp_path: Path
) -> None:
    seed(github)
    server = RedisServer(tmp_path)
    front = HttpFront(github)
    try:
        env = worker_env(front.url, server.url)
        # 2027-01-01 is a Friday; 2026-12-21 a Monday in 2027-Q1's planning window.
        out = schedule(env, "--dry-run", "--now", "2026-12-21T12:00:00Z")
    finally:
        front.close()
        server.stop()
    assert "planning issues of 2027-Q1: 3 installation(s) of the App" in out
    assert "reviews of" not in out
    for installation in (101, 202, 303):
        assert f"would enqueue {schedule_job_id(installation, '2027-Q1')}" in out


def test_planning_issues_on_a_real_rq_worker(github: FakeGitHub, tmp_path: Path) -> None:
    seed(github)
    server = RedisServer(tmp_path)
    front = HttpFront(github)
    try:
        env = worker_env(front.url, server.url)
        first = schedule(env, "--quarter", "2027-Q1", "--retry", "0", "--now", FIRST_WORKING_DAY)
        log = work(env)
        after_first = {name: dict(r.issues) for name, r in github.repos.items()}
        second = schedule(env, "--quarter", "2027-Q1", "--retry", "0", "--now", FIRST_WORKING_DAY)
        log_second = work(env)
    finally:
        front.close()
        server.stop()

    ids = {i: schedule_job_id(i, "2027-Q1") for i in (101, 202, 303)}
    for installation, job_id in ids.items():
        assert re.search(rf"installation {installation} \(\w+\): enqueued {job_id}$", first, re.M)
    # One planning issue per team in each good home; the broken one fails alone.
    (web,) = github.repos["acme/web"].issues.values()
    (platform,) = github.repos["globex/.github"].issues.values()
    assert web["title"] == "Planning 2027-Q1: web"
    assert platform["title"] == "Planning 2027-Q1: platform"
    assert github.repos["initech/tps"].issues == {}
    assert log.count("scheduled planning issues published") == 2
    failures = [line for line in log.splitlines() if "scheduled planning issues failed:" in line]
    assert len(failures) == 2  # once, then once more for the one retry
    assert all("initech/tps" in line for line in failures)
    assert "scheduled planning issues failed for good" in log
    # The second run publishes nothing new.
    assert re.search(rf"{ids[101]} \(previous run finished at .*acme/web: 1 created\)", second)
    assert log_second.count("scheduled planning issues published") == 2
    assert {name: dict(r.issues) for name, r in github.repos.items()} == after_first
