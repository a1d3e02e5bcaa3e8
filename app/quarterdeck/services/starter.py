"""`quarterdeck init`: write a config and goals file, with teams read from the repository.

The teams come from the clone's recent history and CODEOWNERS (`core.init.team_proposal`),
counted in the PRs merged over that window as the review reads them
(`sources.git_history`); a repository without history gets the commented starter with
placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from quarterdeck.core.calendar import Month
from quarterdeck.core.init.repo_survey import RepoSurvey
from quarterdeck.core.init.team_proposal import Proposal, propose_teams, render_config, render_goals
from quarterdeck.core.model import PullRequest
from quarterdeck.errors import HistoryError, QuarterdeckError
from quarterdeck.sources.git_history import read_merged_prs
from quarterdeck.sources.repo_survey_reader import survey_repo

_STARTER = Path(__file__).resolve().parent.parent / "starter"


@dataclass(frozen=True)
class Written:
    """What `init` wrote, and the proposal it came from (None: the plain starter)."""

    paths: tuple[Path, ...]
    proposal: Proposal | None


def write_starter(repo: Path, *, today: date, force: bool = False) -> Written:
    """Write `.github/quarterdeck.yml` and `goals/<this quarter>.yml`.

    Never overwrites a file unless `force` is set: a person may already have written it.
    """
    if not repo.is_dir():
        raise QuarterdeckError(f"{repo} is not a directory; pass --repo with your clone's path")
    quarter = Month(today.year, today.month).quarter
    config_path = repo / ".github" / "quarterdeck.yml"
    goals_path = repo / "goals" / f"{quarter}.yml"
    existing = [str(p) for p in (config_path, goals_path) if p.exists()]
    if existing and not force:
        raise QuarterdeckError(
            f"{', '.join(existing)} already exist(s); nothing was written. "
            "Re-run with --force to overwrite."
        )
    config = (_STARTER / "quarterdeck.yml").read_text(encoding="utf-8")
    goals = (_STARTER / "goals.yml").read_text(encoding="utf-8")
    survey = survey_repo(repo)
    proposal = propose_teams(survey, _merged_prs(repo, survey)) if survey is not None else None
    if proposal is not None:
        config, goals = render_config(proposal, config), render_goals(proposal, goals)
    for target, text in ((config_path, config), (goals_path, goals)):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return Written((config_path, goals_path), proposal)


def _merged_prs(repo: Path, survey: RepoSurvey) -> list[PullRequest]:
    """The PRs merged into the surveyed branch over the survey's window.

    Empty when the history cannot be read as PRs (no PR was ever merged, a detached
    checkout): the proposal then counts the commits pushed to the branch instead.
    """
    if not survey.since or not survey.until:
        return []
    since = datetime.fromisoformat(survey.since).replace(tzinfo=UTC)
    # `until` is the newest commit's day; the window ends after it.
    until = datetime.fromisoformat(survey.until).replace(tzinfo=UTC) + timedelta(days=1)
    try:
        # The review's own reading: the default branch and the release branches merged
        # into it, so the people counted are the authors the review will name.
        return read_merged_prs(repo, since, until)
    except HistoryError:
        return []
