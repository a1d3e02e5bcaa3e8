"""A real `quarterdeck serve` process on 127.0.0.1 for the tests that need one."""

from __future__ import annotations

import contextlib
import http.client
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest


@dataclass
class Served:
    """A running `quarterdeck serve`: its port and every line it wrote to stderr."""

    port: int
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)

    def workers(self) -> set[int]:
        """The pids of the serving processes (the supervisor's children, from /proc)."""
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process ended while we looked
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                # multiprocessing's resource tracker is a child too, but serves nothing
                with contextlib.suppress(OSError):
                    if b"resource_tracker" not in (stat.parent / "cmdline").read_bytes():
                        children.add(int(stat.parent.name))
        return children

    def count(self, text: str) -> int:
        """How many lines so far contain `text`."""
        return sum(text in line for line in list(self.lines))

    def wait_for(self, text: str, times: int, timeout: float) -> bool:
        """Wait until `times` lines contain `text` (the work ran after the answers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.count(text) >= times:
                return True
            time.sleep(0.1)  # polling a log, not retrying the code under test
        return False


@contextmanager
def served(env: dict[str, str], cwd: Path, *args: str) -> Iterator[Served]:
    """`python -m quarterdeck serve --port 0 *args` on 127.0.0.1, until the block ends."""
    command: Sequence[str] = [
        sys.executable,
        "-m",
        "quarterdeck",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *args,
    ]
    process = subprocess.Popen(command, env=env, cwd=cwd, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    lines: list[str] = []
    port = 0
    for line in process.stderr:
        lines.append(line)
        if m := re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", line):
            port = int(m.group(1))
            break
    running = Served(port, process, lines)
    reader = threading.Thread(target=lambda: lines.extend(process.stderr or []), daemon=True)
    reader.start()
    try:
        assert port, "the server did not start:\n" + "".join(lines)
        wait_healthy(port)
        yield running
    finally:
        process.terminate()
        try:
            process.wait(25)  # serve's graceful timeout is 20 s
        except subprocess.TimeoutExpired:
            process.kill()  # a server stuck past it must not outlive the test
            process.wait(5)
        reader.join(5)


def wait_healthy(port: int) -> None:
    """Until the server answers GET /healthz 200 (it has booted), at most 20 s."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.05)  # a worker is still booting; not a retry of our code
        finally:
            conn.close()
    pytest.fail("the server never answered /healthz")
