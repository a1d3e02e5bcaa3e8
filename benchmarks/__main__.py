"""Every benchmark in one run, each figure measured beside its baseline.

    benchmarks/run                  # the same as python -m benchmarks
    python -m benchmarks            # full size (builds the 100,000-commit history once)
    python -m benchmarks --quick    # small inputs, seconds; what CI runs
    python -m benchmarks --strict   # exit 1 when a target is missed
    python -m benchmarks --write    # also rewrite the summary at the top of RESULTS.md
    benchmarks/run startup history  # only those suites (module names), same table

Each suite module exposes `run(quick) -> rows` of
{name, ours_s, baseline_s, ratio, target, met} (and `unit` when the figures are not
seconds, e.g. "requests" or "chars"). `--write` replaces only the block between the
summary markers in benchmarks/RESULTS.md (machine, date, wall time, every row); each
suite's own section below it, with the why behind the figures, is written by hand.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import (
    app_requests,
    breakdowns,
    deep_dive,
    figures,
    github_requests,
    history,
    idle_connections,
    parsing,
    render,
    shipped_review,
    slow_clients,
    startup,
    webhook,
)

# Start-up first: the fraction-of-a-second suite is measured on the quiet machine, before
# any suite leaves servers or thousands of connections winding down on the two cores.
SUITES: dict[str, Callable[[bool], list[dict[str, object]]]] = {
    "CLI start-up": startup.run,
    "offline history": history.run,
    "GitHub requests": github_requests.run,
    "shipped review --github": shipped_review.run,
    "App requests": app_requests.run,
    "PM's figures": figures.run,
    "flagged metrics' breakdowns": breakdowns.run,
    "deep dive: evidence under the questions": deep_dive.run,
    "review rendering": render.run,
    "hostile text parsing": parsing.run,
    "webhook acknowledgement": webhook.run,
    "slow clients": slow_clients.run,
    "idle connections and malformed requests": idle_connections.run,
}
# Each suite by its module's name, to run some of them: `benchmarks/run startup history`.
BY_MODULE = {run.__module__.rsplit(".", 1)[-1]: name for name, run in SUITES.items()}
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
BEGIN, END = "<!-- benchmarks:summary -->", "<!-- /benchmarks:summary -->"


def machine() -> str:
    """CPU model, cores, Python and git versions of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {git}, "
        f"{platform.system()} {platform.release()}; load average at the end {load}"
    )


def _figure(value: object, unit: str | None) -> str:
    if unit in ("requests", "chars"):
        return f"{value:,} {unit}"
    return f"{value:.3f} s"


def table(rows: list[dict[str, object]]) -> Iterator[str]:
    """The rows as a Markdown table."""
    yield "| check | ours | baseline | ratio | target | |"
    yield "|---|---|---|---|---|---|"
    for r in rows:
        unit = r.get("unit")
        verdict = "met" if r["met"] else "**not met**"
        yield (
            f"| {r['name']} | {_figure(r['ours_s'], unit)} | {_figure(r['baseline_s'], unit)} "
            f"| {r['ratio']:.3g}× | {r['target']} | {verdict} |"
        )


def summary(rows: list[dict[str, object]], quick: bool, seconds: float) -> str:
    """The block `--write` puts at the top of RESULTS.md."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    size = "`--quick`" if quick else "full"
    missed = sum(1 for r in rows if not r["met"])
    lines = [
        BEGIN,
        f"**Last run** ({size}, `benchmarks/run{' --quick' if quick else ''} --write`): {when}, "
        f"{seconds / 60:.1f} minutes wall time.",
        "",
        f"**Machine:** {machine()}.",
        "",
        *table(rows),
        "",
        f"{len(rows) - missed} of {len(rows)} targets met"
        + (f"; the {missed} missed are explained in their sections below." if missed else "."),
        END,
    ]
    return "\n".join(lines)


def write_results(block: str, path: Path = RESULTS) -> None:
    """Replace the summary block of RESULTS.md (or put one under its first heading)."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        heading, _, rest = text.partition("\n")
        text = f"{heading}\n\n{block}\n{rest}"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run every suite and print one table."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small inputs, for CI")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a missed target")
    parser.add_argument("--write", action="store_true", help="rewrite RESULTS.md's summary")
    parser.add_argument(
        "suites",
        nargs="*",
        metavar="SUITE",
        help=f"run only these suites (default: all): {', '.join(BY_MODULE)}",
    )
    args = parser.parse_args(argv)
    unknown = [m for m in args.suites if m not in BY_MODULE]
    if unknown:
        parser.error(f"no suite {', '.join(unknown)}; the suites are {', '.join(BY_MODULE)}")
    if args.write and args.suites:
        parser.error("--write records every suite; run it without naming suites")
    chosen = [BY_MODULE[m] for m in args.suites] or list(SUITES)
    started = time.perf_counter()
    rows: list[dict[str, object]] = []
    for name in chosen:
        print(f"== {name}", flush=True)
        rows.extend(SUITES[name](args.quick))
    seconds = time.perf_counter() - started
    print()
    for line in table(rows):
        print(line)
    print(f"\nwall time {seconds:.0f} s")
    missed = [r["name"] for r in rows if not r["met"]]
    if missed:
        print(f"{len(missed)} target(s) not met; see benchmarks/RESULTS.md for why.")
    if args.write:
        write_results(summary(rows, args.quick, seconds))
        print(f"wrote the summary of {RESULTS}")
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
