"""Every benchmark in one run, each figure measured beside its baseline.

    python -m benchmarks            # full size (builds the 100,000-commit history once)
    python -m benchmarks --quick    # small inputs, seconds; what CI runs
    python -m benchmarks --strict   # exit 1 when a target is missed

Each suite module exposes `run(quick) -> rows` of
{name, ours_s, baseline_s, ratio, target, met} (and `unit` when the figures are not
seconds, e.g. "requests"); figures go in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import sys

from benchmarks import github_requests, history, webhook

SUITES = {
    "offline history": history.run,
    "GitHub requests": github_requests.run,
    "webhook acknowledgement": webhook.run,
}


def main(argv: list[str] | None = None) -> int:
    """Run every suite and print one table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small inputs, for CI")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target")
    args = parser.parse_args(argv)
    rows = []
    for name, run in SUITES.items():
        print(f"== {name}", flush=True)
        rows.extend(run(args.quick))
    print()
    for line in history.table(rows):
        print(line)
    missed = [r["name"] for r in rows if not r["met"]]
    if missed:
        print(f"\n{len(missed)} target(s) not met; see benchmarks/RESULTS.md for why.")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
