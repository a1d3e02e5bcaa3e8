"""The shipped deployments run: each service of compose.yaml (with the Dockerfile's
entrypoint and environment) and each systemd unit, started outside a container with
the installed `quarterdeck`, against the real Redis and the fake GitHub over HTTP.

Only what cannot run here is rewritten: Redis's address (the test Redis), the state
directory (a temp dir), the port (a free one, on 127.0.0.1), the secrets (generated,
in the blanks of `quarterdeck.env.example`), the App's key file (systemd's
credential) and GitHub's API (the fake). No Docker engine exists here, so the image
is not built; hadolint checks the Dockerfile (also in `.ci/run`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import yaml
from rq import Queue
from rq.cron import CronScheduler

from quarterdeck.webhook.intake import sign
from quarterdeck.webhook.queues import RQ_QUEUE
from quarterdeck.webhook.schedule_jobs import SCHEDULE_CRON
from tests.fakegithub import FakeGitHub, FakeRepo
from tests.fakegithub_http import HttpFront
from tests.redisdb import REDIS_URL
from tests.servers import wait_healthy
from tests.test_webhook_live import post
from tests.webhooks import encode, headers, merged_pr, private_key_pem
from tests.workers import descendants, free_port, seed_repo, wait_for

ROOT = Path(__file__).resolve().parent.parent
# The console script pip installed beside this interpreter: what the image runs.
QUARTERDECK = str(Path(sys.executable).parent / "quarterdeck")
UNIT_BINARY = "/opt/quarterdeck/bin/quarterdeck"  # where the units expect the install
ROLES = ("app", "worker", "schedule")
ALL_INTERFACES = "0.0.0.0"  # noqa: S104 (what the image binds; the test binds 127.0.0.1)
UNITS = {
    "app": "quarterdeck.service",
    "worker": "quarterdeck-worker.service",
    "schedule": "quarterdeck-schedule.service",
}


@dataclass
class Launch:
    """One service as its deployment starts it: the command line and environment."""

    argv: list[str]
    env: dict[str, str]


# ----------------------------------------------------------------- reading the files


def dockerfile() -> dict[str, object]:
    """The Dockerfile's ENTRYPOINT, CMD, HEALTHCHECK command (exec form) and ENV."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)  # continuation lines joined
    found: dict[str, object] = {"env": {}}
    for line in joined.splitlines():
        word, _, rest = line.strip().partition(" ")
        if word == "ENTRYPOINT":
            found["entrypoint"] = json.loads(rest)
        elif word == "CMD":
            found["cmd"] = json.loads(rest)
        elif word == "HEALTHCHECK":
            found["healthcheck"] = json.loads(rest.split(" CMD ", 1)[1])
        elif word == "ENV":
            found["env"].update(dict(pair.split("=", 1) for pair in shlex.split(rest)))  # type: ignore[union-attr]
    return found


def env_file(path: Path) -> dict[str, str]:
    """`NAME=value` lines, as compose's env_file and systemd's EnvironmentFile read them
    (comments and blank lines skipped, the value taken as written)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value
    return values


def compose_launches() -> dict[str, Launch]:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    image = dockerfile()
    launches = {}
    for role in ROLES:
        service = compose["services"][role]
        assert service["env_file"] == "quarterdeck.env", role
        argv = [*service.get("entrypoint", image["entrypoint"]), *service["command"]]
        env = {
            **image["env"],  # type: ignore[dict-item]
            **env_file(ROOT / "quarterdeck.env.example"),
            **service["environment"],
        }
        launches[role] = Launch(argv, env)
    return launches


def unit(name: str) -> dict[str, list[str]]:
    """A systemd unit's [Service] settings, each key with every value it is given."""
    section, found = "", {}
    for line in (ROOT / "deploy" / "systemd" / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def systemd_launches(credentials: Path) -> dict[str, Launch]:
    launches = {}
    for role, name in UNITS.items():
        service = unit(name)
        (env_path,) = service["EnvironmentFile"]
        assert env_path == "/etc/quarterdeck/quarterdeck.env"
        env = env_file(ROOT / "quarterdeck.env.example")
        for assignment in service["Environment"]:
            key, _, value = assignment.partition("=")
            env[key] = value.replace("%d", str(credentials))  # systemd's credentials dir
        (command,) = service["ExecStart"]
        launches[role] = Launch(shlex.split(command), env)
    return launches


# ---------------------------------------------------------------- running a service


def runnable(launch: Launch, tmp_path: Path, port: int, api_url: str) -> Launch:
    """The launch with only what cannot run here rewritten (see the module's doc)."""
    argv = [QUARTERDECK if a in ("quarterdeck", UNIT_BINARY) else a for a in launch.argv]
    argv = ["127.0.0.1" if a == ALL_INTERFACES else str(port) if a == "8000" else a for a in argv]
    env = dict(launch.env)
    assert env.pop("REDIS_URL").startswith("redis://"), "Redis is reached by its URL"
    assert env["QUARTERDECK_STATE_DIR"] == "/var/lib/quarterdeck"
    env.update(
        PATH=f"{Path(sys.executable).parent}:/usr/bin:/bin",
        HOME=str(tmp_path / "home"),
        REDIS_URL=REDIS_URL,
        QUARTERDECK_STATE_DIR=str(tmp_path / "state"),
        GITHUB_API_URL=api_url,
    )
    return Launch(argv, env)


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[str, Launch], Running]]:
    """Start launches as subprocesses (stderr to a file each); all stopped at the end."""
    started: list[Running] = []

    def run(name: str, launch: Launch) -> Running:
        log = tmp_path / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                launch.argv, env=launch.env, stdout=out, stderr=subprocess.STDOUT
            )
        started.append(Running(process, log))
        return started[-1]

    yield run
    for running in started:
        left = descendants(running.process.pid)
        if running.process.poll() is None:
            running.process.terminate()
            try:
                running.process.wait(25)
            except subprocess.TimeoutExpired:
                running.process.kill()
                running.process.wait(5)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):  # it ended with its parent
                os.kill(pid, signal.SIGKILL)


def secrets_for(launches: dict[str, Launch], pem: str) -> dict[str, str]:
    """Generated values for every variable the env file leaves blank (the required ones)."""
    blank = {k for k, v in env_file(ROOT / "quarterdeck.env.example").items() if not v}
    assert blank == {
        "QUARTERDECK_WEBHOOK_SECRET",
        "QUARTERDECK_APP_ID",
        "QUARTERDECK_PRIVATE_KEY",
    }  # the three required settings, and no value shipped for them
    generated = {"QUARTERDECK_WEBHOOK_SECRET": secrets.token_hex(32), "QUARTERDECK_APP_ID": "4242"}
    if "QUARTERDECK_PRIVATE_KEY_FILE" not in launches["app"].env:
        # compose's env_file: the key on one line, its line breaks written as \n
        generated["QUARTERDECK_PRIVATE_KEY"] = pem.strip().replace("\n", "\\n")
    return generated


def deliver(port: int, secret: str, payload: dict[str, object]) -> int:
    """GitHub's delivery of `payload`, signed with `secret`: the answer's status."""
    body = encode(payload)
    sent = {**headers("pull_request", body), "X-Hub-Signature-256": sign(secret.encode(), body)}
    return post(port, body, sent)


def check_deployment(
    launches: dict[str, Launch],
    start: Callable[[str, Launch], Running],
    tmp_path: Path,
    github: FakeGitHub,
    front: HttpFront,
    client: redis.Redis,
    healthcheck: list[str] | None,
) -> None:
    """Each service does its job: the app answers /healthz and a signed delivery, which
    it queues in Redis; the worker takes it and comments on the PR; the schedule
    registers its daily job with RQ's cron and stops cleanly on SIGTERM."""
    repo: FakeRepo = seed_repo(github, range(2, 3))
    github.hold_pull("Codertocat/Hello-World", merged_pr())
    pem = private_key_pem()
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "app.pem").write_text(pem, encoding="utf-8")
    port = free_port()
    ready = {role: runnable(launch, tmp_path, port, front.url) for role, launch in launches.items()}
    generated = secrets_for(launches, pem)
    for launch in ready.values():
        launch.env.update(generated)
    secret = generated["QUARTERDECK_WEBHOOK_SECRET"]

    app = start("app", ready["app"])
    wait_healthy(port)
    if healthcheck is not None:  # the image's own check, as Docker runs it
        argv = [sys.executable if a == "python" else a for a in healthcheck]
        argv = [a.replace(":8000/", f":{port}/") for a in argv]
        assert subprocess.run(argv, timeout=30, check=False).returncode == 0
    assert deliver(port, secret, merged_pr()) == 202
    assert deliver(port, "0" * 64, merged_pr()) == 401  # a forged one is refused
    wait_for(lambda: Queue(RQ_QUEUE, connection=client).count == 1, 10, "the queued job")
    assert repo.comments_on(2) == []  # the server only queues: the work is the worker's

    worker = start("worker", ready["worker"])
    wait_for(lambda: repo.comments_on(2), 60, "the worker to comment on PR #2")
    assert worker.process.poll() is None, worker.output[-3000:]
    assert Queue(RQ_QUEUE, connection=client).count == 0

    schedule = start("schedule", ready["schedule"])
    (scheduler,) = wait_for(lambda: CronScheduler.all(client), 20, "the daily schedule")
    (job,) = scheduler.get_jobs()
    assert job.func_name == "quarterdeck.webhook.schedule_jobs.schedule_due"
    assert (job.queue_name, job.cron) == (RQ_QUEUE, SCHEDULE_CRON)
    schedule.process.terminate()  # `docker compose stop`, `systemctl stop`: SIGTERM
    assert schedule.process.wait(20) == 0, schedule.output[-3000:]
    assert CronScheduler.all(client) == []  # it said goodbye to RQ's registry

    # With Redis, claims and locks are Redis's: nothing is written to the state dir.
    assert not (tmp_path / "state").exists()
    # Home holds at most the compiled-template cache (a cache: losing it costs a compile).
    home = tmp_path / "home"
    written = [p.relative_to(home) for p in home.rglob("*") if p.is_file()]
    assert all(p.parts[:3] == (".cache", "quarterdeck", "templates") for p in written), written
    assert app.process.poll() is None, app.output[-3000:]
    shown = app.output + worker.output + schedule.output
    assert secret not in shown
    assert "BEGIN RSA PRIVATE KEY" not in shown


# ---------------------------------------------------------------------------- tests


def test_each_compose_service_runs_its_command_outside_a_container(
    tmp_path: Path,
    github: FakeGitHub,
    http_front: HttpFront,
    redis_db: redis.Redis,
    start: Callable[[str, Launch], Running],
) -> None:
    launches = compose_launches()
    healthcheck = dockerfile()["healthcheck"]
    assert isinstance(healthcheck, list)
    check_deployment(launches, start, tmp_path, github, http_front, redis_db, healthcheck)


def test_each_systemd_unit_runs_its_command_line(
    tmp_path: Path,
    github: FakeGitHub,
    http_front: HttpFront,
    redis_db: redis.Redis,
    start: Callable[[str, Launch], Running],
) -> None:
    launches = systemd_launches(tmp_path / "credentials")
    check_deployment(launches, start, tmp_path, github, http_front, redis_db, None)


def test_the_compose_file_keeps_state_and_waits_for_redis() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services, volumes = compose["services"], compose["volumes"]
    for role in ROLES:
        service = services[role]
        assert service["restart"] == "unless-stopped", role
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", role
        assert "state:/var/lib/quarterdeck" in service["volumes"], role
    assert services["app"]["ports"] == ["127.0.0.1:8000:8000"]  # for the proxy, on the host
    redis_service = services["redis"]
    image, _, tag = redis_service["image"].partition(":")
    assert image == "redis"
    assert re.fullmatch(r"\d+\.\d+\.\d+-\w+", tag), "pinned to a release"
    command = redis_service["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert redis_service["volumes"] == ["redis:/data"]
    assert redis_service["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert set(volumes) == {"state", "redis"}  # named volumes, not folders of the host


def test_the_image_runs_as_a_user_and_checks_its_health_without_curl() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    (base,) = re.findall(r"^FROM (\S+)", text, re.M)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-\w+", base), "pinned to a 3.11 release"
    (user,) = re.findall(r"^USER (\S+)", text, re.M)
    assert user.split(":")[0] not in ("0", "root")
    assert re.search(r"^EXPOSE 8000$", text, re.M)
    image = dockerfile()
    assert image["entrypoint"] == ["quarterdeck"]
    assert image["cmd"] == ["serve", "--host", ALL_INTERFACES, "--port", "8000"]
    assert image["healthcheck"][0] == "python"  # type: ignore[index]
    assert "curl" not in text.replace("not curl", "")
    assert "ARG EXTRAS=app" in text  # the [app] extra, installed from the source
    assert 'pip install --no-cache-dir "./[${EXTRAS}]"' in text


def test_hadolint_passes_on_the_dockerfile() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"  # from PyPI: the test extra
    done = subprocess.run(
        [str(hadolint), str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "hadolint ignore" not in (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert not (ROOT / ".hadolint.yaml").exists()  # no rule switched off


def test_the_daily_schedule_refuses_a_one_off_option_before_reading_settings() -> None:
    done = subprocess.run(
        [QUARTERDECK, "schedule", "--daily", "--dry-run"],
        env={"PATH": os.environ["PATH"]},  # no settings at all: the option is told first
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "quarterdeck: --daily runs until stopped and judges each day as it comes; drop "
        "--dry-run and --now, or drop --daily to run once\n"
    )
