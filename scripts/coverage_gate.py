#!/usr/bin/env python3
"""Fail when core/ or services/ fall under 90 % of lines covered, showing what is untested.

    .venv/bin/python scripts/coverage_gate.py [--min 90] [--data .coverage]

Reads the data of the last pytest run (pyproject's addopts measure coverage on every
run) through `coverage json`, sums covered and total statements per package, and
prints each file under the bar with its missing line ranges, so the report says what
is untested rather than showing a badge. Exit 1 when a package is under the bar.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

PACKAGES = ("quarterdeck/core/", "quarterdeck/services/")


def ranges(lines: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    out: list[str] = []
    for n in sorted(lines):
        if out and n == int(out[-1].rsplit("-", 1)[-1]) + 1:
            out[-1] = f"{out[-1].split('-')[0]}-{n}"
        else:
            out.append(str(n))
    return ", ".join(out)


def report(files: dict[str, dict], bar: float) -> tuple[list[str], bool]:
    """Lines to print and whether every package clears `bar` percent of lines."""
    lines, ok = [], True
    for package in PACKAGES:
        mine = {name: f for name, f in files.items() if package in name.replace("\\", "/")}
        total = sum(f["summary"]["num_statements"] for f in mine.values())
        covered = sum(f["summary"]["covered_lines"] for f in mine.values())
        percent = 100.0 * covered / total if total else 100.0
        passed = percent >= bar
        ok &= passed
        verdict = "ok" if passed else f"UNDER {bar:g} %"
        lines.append(f"{package:<24} {covered:>5}/{total:<5} lines {percent:5.1f} %  {verdict}")
        for name, f in sorted(mine.items()):
            s = f["summary"]
            file_percent = (
                100.0 * s["covered_lines"] / s["num_statements"] if s["num_statements"] else 100
            )
            if file_percent < bar:
                lines.append(
                    f"    {name}: {file_percent:.1f} %, missing {ranges(f['missing_lines'])}"
                )
    return lines, ok


def main(argv: list[str] | None = None) -> int:
    """Read the coverage data, print the report, exit 1 under the bar."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--min", type=float, default=90.0, help="percent of lines (default 90)")
    parser.add_argument("--data", default=".coverage", help="coverage data file")
    args = parser.parse_args(argv)
    if not Path(args.data).exists():
        print(
            f"coverage gate: no coverage data at {args.data}; run the tests first", file=sys.stderr
        )
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "coverage",
                "json",
                "-q",
                f"--data-file={args.data}",
                "-o",
                str(out),
            ],
            check=True,
        )
        files = json.loads(out.read_text())["files"]
    lines, ok = report(files, args.min)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
