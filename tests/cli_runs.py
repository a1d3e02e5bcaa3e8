"""Running the real `quarterdeck` entry point in-process, as a test sees it."""

from __future__ import annotations

import pytest

from quarterdeck.cli import main

__all__ = ["run_cli"]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `main(argv)`, a usage error's SystemExit included."""
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
