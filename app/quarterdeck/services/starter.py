"""`quarterdeck init`: copy the commented starter config and goals file into a repo."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from quarterdeck.core.calendar import Month
from quarterdeck.errors import QuarterdeckError

_STARTER = Path(__file__).resolve().parent.parent / "starter"


def write_starter(repo: Path, *, today: date, force: bool = False) -> list[Path]:
    """Write `.github/quarterdeck.yml` and `goals/<this quarter>.yml`; returns the paths.

    Never overwrites a file unless `force` is set: a person may already have written it.
    """
    if not repo.is_dir():
        raise QuarterdeckError(f"{repo} is not a directory; pass --repo with your clone's path")
    quarter = Month(today.year, today.month).quarter
    plan = {
        repo / ".github" / "quarterdeck.yml": _STARTER / "quarterdeck.yml",
        repo / "goals" / f"{quarter}.yml": _STARTER / "goals.yml",
    }
    existing = [str(p) for p in plan if p.exists()]
    if existing and not force:
        raise QuarterdeckError(
            f"{', '.join(existing)} already exist(s); nothing was written. "
            "Re-run with --force to overwrite."
        )
    for target, source in plan.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return list(plan)
