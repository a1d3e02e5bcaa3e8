"""What each command needs installed, and imports: the core package runs the CLI and the
Action; `serve`, `worker` and `schedule` need the `app` extra and say so when it is
missing. Each test runs the real entry point in a child Python."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What the `app` extra brings (pyproject.toml), by import name.
APP_PACKAGES = ("flask", "github_webhook", "uvicorn", "h11", "a2wsgi", "redis", "rq")


def run_without(
    blocked: tuple[str, ...], argv: list[str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """`quarterdeck argv` in a child Python where importing `blocked` fails, as it does
    when they are not installed (a None in sys.modules makes `import` raise)."""
    code = (
        "import sys\n"
        f"for name in {blocked!r}: sys.modules[name] = None\n"
        "from quarterdeck.cli import main\n"
        f"raise SystemExit(main({argv!r}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QUARTERDECK_", "REDIS"))}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", ["serve", "worker", "schedule"])
def test_app_commands_without_the_app_extra_exit_1_naming_it(command: str, tmp_path: Path) -> None:
    done = run_without(APP_PACKAGES, [command], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"`quarterdeck {command}` runs the GitHub App" in done.stderr
    assert "install quarterdeck[app]" in done.stderr
    assert "missing: flask, github_webhook, uvicorn, h11, a2wsgi, redis, rq" in done.stderr


def test_one_missing_app_package_is_named_alone(tmp_path: Path) -> None:
    done = run_without(("rq",), ["worker"], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "(missing: rq)" in done.stderr
    assert "install quarterdeck[app]" in done.stderr
