"""The front door side by side: idle connections against deliveries, and malformed requests.

    python -m benchmarks.idle_connections [--quick]

Each server runs the same App (one process, 8 threads, SQLite claims; the read
timeout at its 10 s default for the idle measure, 2 s for the corpus) on 127.0.0.1,
one after the other in one run:

- `serve`: what `quarterdeck serve` runs now (uvicorn, h11, webhook/front.py);
- `old front`: gunicorn 27's gthread with the event loop `webhook/front.py` had
  before (taken from git history, `OLD_FRONT`), when gunicorn <28 is installed;
- the candidates it was chosen over, when installed (`pip install waitress hypercorn`):
  waitress (whole requests buffered, asyncore-style loop) and hypercorn (h11, with
  its own WSGI wrapper that buffers bodies).

Two measures per server. **Idle:** IDLE connections are opened and left silent,
then SAMPLES signed deliveries are sent one at a time on fresh connections; their
latency (a delivery that takes over 15 s counts as 15 s: GitHub gave up at 10).
**Corpus:** every request of tests/test_malformed_requests.py, each followed by a
signed delivery: how many answers were 5xx, how many processes ended (or were
replaced), the slowest delivery after a case.

Targets for `serve`: with IDLE idle connections, the slowest delivery < 1 s; in the
corpus, 0 × 5xx and 0 process exits.
"""

from __future__ import annotations

import contextlib
import http.client
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from benchmarks import suite_main
from benchmarks.webhook import ROOT, SECRET, _free_port, _payload, app_env
from quarterdeck.webhook.intake import sign

OLD_FRONT = "8cf1acb"  # main before the front was uvicorn's: gunicorn + webhook/front.py
FULL_IDLE, QUICK_IDLE = (1000, 3000), (500,)
SAMPLES = 10
GIVE_UP = 15.0
READ_TIMEOUT = "2"


def _delivery() -> bytes:
    body = _payload()
    return (
        "POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
        f"X-Hub-Signature-256: {sign(SECRET.encode(), body)}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


def _status(port: int, request: bytes, timeout: float) -> tuple[int | None, float]:
    """Send `request`; its status (None: no answer) and the seconds it took."""
    from tests.test_malformed_requests import _send, _status

    started = time.perf_counter()
    try:
        answer = _send(port, request, timeout)
    except OSError:
        answer = b""
    return _status(answer), time.perf_counter() - started


class Server:
    """One server process tree on a free port, until `stop`."""

    def __init__(self, name: str, command: Callable[[int], list[str]], env: dict[str, str]):
        self.name = name
        self.port = _free_port()
        self.process = subprocess.Popen(
            command(self.port),
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            with contextlib.suppress(OSError):
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            conn.close()
            time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{name} did not start")
        self.seen = self.pids()

    def pids(self) -> set[int]:
        """The serving processes: the server's own, or its children (not a resource tracker)."""
        children = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmdline = (stat.parent / "cmdline").read_bytes()
            except (OSError, IndexError):
                continue
            ours = int(fields[1]) == self.process.pid and fields[0] != "Z"
            if ours and b"resource_tracker" not in cmdline:
                children.add(int(stat.parent.name))
        return children or ({self.process.pid} if self.process.poll() is None else set())

    def exits(self) -> int:
        """Serving processes that ended since the start (a replaced one counts)."""
        now = self.pids()
        self.seen |= now
        return len(self.seen) - len(now)

    def stop(self) -> None:
        """Terminate it (and its children) and wait."""
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _idle(server: Server, count: int) -> list[float]:
    held = []
    for _ in range(count):
        try:
            held.append(socket.create_connection(("127.0.0.1", server.port), timeout=5))
        except OSError:
            break  # the backlog is full: the rest would wait too
    time.sleep(0.5)
    latencies: list[float] = []
    for _ in range(SAMPLES):
        status, took = _status(server.port, _delivery(), GIVE_UP)
        latencies.append(took if status == 202 else GIVE_UP)
        if latencies[-2:] == [GIVE_UP, GIVE_UP]:
            break  # two given up in a row: the rest would be too, 15 s each
    latencies += [GIVE_UP] * (SAMPLES - len(latencies))
    for sock in held:
        sock.close()
    time.sleep(1)  # let the server close them before the next measure
    return sorted(latencies)


def _corpus(server: Server) -> dict[str, float]:
    from tests.test_malformed_requests import CORPUS

    fives, exits, slowest = [], [], 0.0
    for name, (request, _allowed) in CORPUS.items():
        status, _ = _status(server.port, request, float(READ_TIMEOUT) + 4)
        if status is not None and status >= 500:
            fives.append(f"{name} ({status})")
        after, took = _status(server.port, _delivery(), GIVE_UP)
        slowest = max(slowest, took if after == 202 else GIVE_UP)
        if server.exits() > len(exits):
            exits.append(name)
    print(f"  {server.name}: 5xx for {fives or 'none'}; a process ended after {exits or 'none'}")
    return {"fives": len(fives), "exits": len(exits), "slowest": slowest, "cases": len(CORPUS)}


def _old_front(tmp: Path) -> Path | None:
    """webhook/front.py as it was at OLD_FRONT, as module `old_front`, if it can run here."""
    try:
        import gunicorn
    except ImportError:
        return None
    if not gunicorn.__version__.startswith("27."):
        return None  # it extends gthread internals of that series only
    shown = subprocess.run(
        ["git", "show", f"{OLD_FRONT}:app/quarterdeck/webhook/front.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if shown.returncode != 0:
        return None
    (tmp / "old_front.py").write_text(shown.stdout, encoding="utf-8")
    return tmp


def servers(tmp: Path) -> dict[str, tuple[Callable[[int], list[str]], dict[str, str]]]:
    """Each server that can run here: its command for a port, and extra environment."""
    py = sys.executable
    app = "quarterdeck.webhook.server:app_from_env()"
    found: dict[str, tuple[Callable[[int], list[str]], dict[str, str]]] = {
        "serve": (
            lambda port: [py, "-m", "quarterdeck", "serve", "--port", str(port), "--workers", "1"],
            {},
        ),
    }
    old = _old_front(tmp)
    if old is not None:
        gunicorn = [py, "-m", "gunicorn", "-k", "old_front.Worker", "--threads", "8", "-w", "1"]
        found["old front"] = (
            lambda port: [*gunicorn, "-b", f"127.0.0.1:{port}", "--keep-alive", "5", app],
            {"PYTHONPATH": f"{ROOT}:{old}"},
        )
    if importlib.util.find_spec("waitress"):
        script = (
            "import sys; from waitress import serve; "
            "from quarterdeck.webhook.server import app_from_env; "
            "serve(app_from_env(), host='127.0.0.1', port=int(sys.argv[1]), threads=8, "
            "connection_limit=10000, asyncore_use_poll=True, channel_timeout=10, "
            "cleanup_interval=1, max_request_body_size=1048576)"
        )
        found["waitress"] = (lambda port: [py, "-c", script, str(port)], {})
    if importlib.util.find_spec("hypercorn"):
        hypercorn = [py, "-m", "hypercorn", "-w", "1", "--read-timeout", "10"]
        found["hypercorn"] = (lambda port: [*hypercorn, "-b", f"127.0.0.1:{port}", app], {})
    return found


def measure(idle_counts: tuple[int, ...]) -> dict[str, dict[str, float]]:
    """Every server: p50 and max delivery latency per idle count, then the corpus."""
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="qd-idle-") as tmp_name:
        tmp = Path(tmp_name)
        for name, (command, extra) in servers(tmp).items():
            env = {
                **os.environ,
                **app_env(tmp),
                "QUARTERDECK_DELIVERIES_DB": str(tmp / f"{name}.sqlite3"),
                "QUARTERDECK_MAX_BODY_BYTES": str(1024 * 1024),
                "QUARTERDECK_READ_TIMEOUT": READ_TIMEOUT,
                "GITHUB_API_URL": "http://127.0.0.1:9",
                "PYTHONPATH": str(ROOT),
                **extra,
            }
            row: dict[str, float] = {}
            # Idle connections at the default read timeout (10 s: they stay held while
            # the deliveries are timed); the corpus at 2 s, so its late requests end soon.
            server = Server(name, command, {**env, "QUARTERDECK_READ_TIMEOUT": "10"})
            try:
                for count in idle_counts:
                    latencies = _idle(server, count)
                    row[f"idle{count}_p50"] = latencies[len(latencies) // 2]
                    row[f"idle{count}_max"] = latencies[-1]
            finally:
                server.stop()
            server = Server(name, command, env)
            try:
                row |= _corpus(server)
            finally:
                server.stop()
            figures[name] = row
            print(name, {k: round(v, 3) for k, v in row.items()}, flush=True)
    return figures


def run(quick: bool) -> list[dict[str, object]]:
    """Rows for `python -m benchmarks`: serve against the old front (or itself, alone)."""
    counts = QUICK_IDLE if quick else FULL_IDLE
    figures = measure(counts)
    ours = figures["serve"]
    before_name = "old front" if "old front" in figures else "serve"
    before = figures[before_name]
    rows: list[dict[str, object]] = []
    for count in counts:
        rows.append(
            {
                "name": f"slowest of {SAMPLES} deliveries beside {count:,} idle connections, "
                f"serve vs {before_name}",
                "ours_s": ours[f"idle{count}_max"],
                "baseline_s": before[f"idle{count}_max"],
                "ratio": ours[f"idle{count}_max"] / before[f"idle{count}_max"],
                "target": "< 1 s",
                "met": ours[f"idle{count}_max"] < 1.0,
            }
        )
    cases = int(ours["cases"])
    rows.append(
        {
            "name": f"malformed corpus ({cases} requests): 5xx answers and process exits, "
            f"serve vs {before_name}",
            "ours_s": int(ours["fives"] + ours["exits"]),
            "baseline_s": int(before["fives"] + before["exits"]),
            "ratio": (ours["fives"] + ours["exits"]) / max(1, before["fives"] + before["exits"]),
            "target": "0",
            "met": ours["fives"] + ours["exits"] == 0,
            "unit": "requests",
        }
    )
    rows.append(
        {
            "name": f"slowest signed delivery right after a corpus request, serve vs {before_name}",
            "ours_s": ours["slowest"],
            "baseline_s": before["slowest"],
            "ratio": ours["slowest"] / before["slowest"],
            "target": "< 1 s",
            "met": ours["slowest"] < 1.0,
        }
    )
    return rows


if __name__ == "__main__":
    sys.exit(
        suite_main(
            "python -m benchmarks.idle_connections",
            __doc__,
            f"{QUICK_IDLE[0]:,} idle connections, for CI",
            run,
        )
    )
