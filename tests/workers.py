"""Helpers for tests that run the real `quarterdeck worker` against a real Redis.

A worker runs as a subprocess with the App's settings in its environment and reaches
the shared fake GitHub over HTTP (`tests/fakegithub_http.py`). `RedisServer` is a
`redis-server` of the test's own on a free port of 127.0.0.1, which the test may
kill and start again (never the shared one).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from tests.fakegithub import FakeGitHub, FakeRepo, path_of
from tests.webhooks import FILES, REPO, SECRET, private_key_pem


def worker_env(api_url: str, redis_url: str) -> dict[str, str]:
    """The environment `quarterdeck worker` runs with: the App's settings, the fake's URL."""
    env = {
        **os.environ,
        "QUARTERDECK_WEBHOOK_SECRET": SECRET,
        "QUARTERDECK_APP_ID": "4242",
        "QUARTERDECK_PRIVATE_KEY": private_key_pem(),
        "REDIS_URL": redis_url,
        "GITHUB_API_URL": api_url,
    }
    env.pop("QUARTERDECK_PRIVATE_KEY_FILE", None)
    return env


def worker_command(*args: str) -> list[str]:
    """`python -m quarterdeck worker` with `args`."""
    return [sys.executable, "-m", "quarterdeck", "worker", *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A `redis-server` of one test's own, with a password, on 127.0.0.1.

    Without `persist`, nothing is written to disk (`--save '' --appendonly no`), so a
    restart starts empty; with it, an append-only file fsynced on every write in
    `workdir` keeps what Redis acknowledged across a SIGKILL, as a production Redis
    should be run.
    """

    password = "redis-pass-Quarterdeck-9Zk"

    def __init__(
        self,
        workdir: Path,
        *,
        persist: bool = False,
        port: int | None = None,
        options: tuple[str, ...] = (),
    ) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for these tests (apt-get install redis-server)"
        self.binary = binary
        self.workdir = workdir
        self.persist = persist
        self.options = options  # more `--name value` settings (a replica's masterauth)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def client(self) -> Any:
        return redis.Redis.from_url(self.url)

    def start(self) -> None:
        durability = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.persist
            else ["--appendonly", "no"]
        )
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--requirepass",
                self.password,
                "--save",
                "",
                "--dir",
                str(self.workdir),
                *durability,
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, 10, "redis-server to start")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: gone at once, as a crashed or cut-off Redis is."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.kill()


class Worker:
    """One `quarterdeck worker` subprocess; its stderr (the JSON log) goes to a file."""

    def __init__(self, env: dict[str, str], log: Path, *args: str) -> None:
        self.log = log
        self._file = log.open("wb")
        self.process = subprocess.Popen(
            worker_command(*args), env=env, stdout=self._file, stderr=subprocess.STDOUT
        )

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill_all(self) -> None:
        """SIGKILL the worker and every process it started (its work horse, its
        scheduler), as when the host or container running it dies."""
        _kill([self.process.pid, *descendants(self.process.pid)])
        self.process.wait(10)

    def stop(self) -> None:
        """End the worker and anything it left behind (a test's cleanup)."""
        left = descendants(self.process.pid)
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill_all()
        _kill(left)
        self._file.close()


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Every live process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `check` until it returns something truthy; fail naming `what`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Hold:
    """Hold the first request matching `method` and a path prefix at the fake until
    `release()`, then drop it unanswered and unapplied.

    The held request is a job in mid-flight: while it waits, a test can kill the
    worker running it, or Redis. Works through `HttpFront`, which calls the fake's
    `_dispatch` for each request it serves.
    """

    def __init__(self, fake: FakeGitHub, method: str, path: str) -> None:
        self.fake, self.method, self.path = fake, method, path
        self.arrived = threading.Event()
        self._release = threading.Event()
        self._real = fake._dispatch

    def _dispatch(self, request: Any) -> tuple[int, dict[str, str], str]:
        first = not self.arrived.is_set() and request.method == self.method
        if first and path_of(request.url).startswith(self.path):
            self.arrived.set()
            self._release.wait(60)
            raise OSError("held, then dropped by the test")  # HttpFront: no answer
        return self._real(request)

    def release(self) -> None:
        self._release.set()

    def __enter__(self) -> Hold:
        self.fake._dispatch = self._dispatch  # type: ignore[method-assign]
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
        self.fake._dispatch = self._real  # type: ignore[method-assign]


def seed_repo(github: FakeGitHub, prs: range) -> FakeRepo:
    """The repository worker tests deliver merged PRs of: its goal is issue #1, and PR
    #n is issue #n for each n of `prs`."""
    fake = github.add_repo(REPO, files=FILES)
    github.add_issue(fake, "A README people finish reading")
    for number in prs:
        assert github.add_issue(fake, f"PR {number}")["number"] == number
    return fake
