"""`quarterdeck serve` that cannot listen says so and exits 1 (uvicorn alone only logs)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from tests.test_security import app_env
from tests.webhooks import private_key_pem


def test_a_port_in_use_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **app_env(private_key_pem(), tmp_path)}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "quarterdeck", "serve", "--port", str(port)],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert (
        f"quarterdeck: quarterdeck serve cannot listen on 127.0.0.1:{port} (Address already in "
        "use); choose another --port or --host, or stop what is using it"
    ) in done.stderr
    assert "Traceback" not in done.stderr
