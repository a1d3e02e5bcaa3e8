"""Quarterdeck's benchmarks: `python -m benchmarks` runs every suite side by side."""

from __future__ import annotations

import argparse
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
