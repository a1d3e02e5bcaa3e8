"""Quarterdeck's benchmarks: `python -m benchmarks` runs every suite side by side."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable


def suite_main(
    prog: str, doc: str | None, quick_help: str, run: Callable[[bool], list[dict[str, object]]]
) -> int:
    """The command line of one suite module: `--quick`, then one printed row per check."""
    parser = argparse.ArgumentParser(prog=prog, description=doc)
    parser.add_argument("--quick", action="store_true", help=quick_help)
    for row in run(parser.parse_args().quick):
        print(row)
    return 0


def as_installed() -> dict[str, str]:
    """The environment for a `quarterdeck` child process timed as a user runs it.

    An installed copy has its bytecode (pip compiles it at install); a checkout run
    with PYTHONDONTWRITEBYTECODE set (some CI and sandboxes set it) would compile
    Quarterdeck's 150 modules from source on every start, about 0.3 s that no user
    pays. So the child may write its `.pyc` files, and the warm-up run does.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
