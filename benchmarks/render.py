"""Benchmark: rendering one team's growth review of 10,000 PRs, and fitting it into an issue.

    python -m benchmarks.render            # 10,000 PRs in the month
    python -m benchmarks.render --quick    # 1,000 PRs, for CI

Ours: `render_review` (Jinja2's sandbox, every value Markdown-escaped on output), then
`fit` (the body under GitHub's 65,536 characters, long lists moved to one comment).
Baseline, measured side by side on the same TeamReview: the same templates in a plain
`jinja2.Environment` without the sandbox and without escaping values on output (the
templates' own `|md` filters still run). For scale, a plain `"\\n".join` of one line
per PR is printed too. Targets: render under 2 s; the fitted body within the limit.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

import jinja2

from benchmarks import suite_main
from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config, Goal, PullRequest, Team
from quarterdeck.core.review.period import ReviewPeriod
from quarterdeck.core.text.issue_body import GITHUB_LIMIT, fit
from quarterdeck.core.text.render import make_environment
from quarterdeck.resources import resource
from quarterdeck.services.review.as_markdown import REVIEW_TEMPLATE, render_review
from quarterdeck.services.review.assemble import ReviewInputs, assemble_reviews
from quarterdeck.services.review.view import TeamReview

FULL, QUICK = 10_000, 1_000
RENDER_TARGET_S = 2.0
REPEATS = 3
MONTH = Month(2026, 11)
NASTY = "Fix `@everyone` <script> {{ 7*7 }} | pipe **now**"


def team_review(prs: int) -> TeamReview:
    """One team's review of `prs` PRs merged in November 2026, half toward goals."""
    team = Team(slug="growth", lead="alice", members=("alice", "bob"), paths=("web/**",))
    goals = tuple(
        Goal(id=f"goal-{g}", title=f"Goal {g}", team="growth", quarter="2026-Q4",
             owners=("alice",), issue=g + 1)
        for g in range(8)
    )  # fmt: skip
    start, step = datetime(2026, 11, 1, tzinfo=UTC), timedelta(days=29) / prs
    pulls = [
        PullRequest(
            number=n,
            title=NASTY if n % 97 == 0 else f"Improve insight number {n} for big customers",
            author="bob",
            merged_at=start + step * n,
            body=f"Goal: #{n % 8 + 1}" if n % 2 else "",
            paths=("web/a.py",),
        )
        for n in range(1, prs + 1)
    ]
    config = Config(teams=(team,), goals=goals)
    return assemble_reviews(
        ReviewInputs(
            config, [], pulls, ReviewPeriod.of(MONTH), team="growth",
            business=None, previous_business=None,
            repo_name="acme/web", branch="main", repo_url="https://github.com/acme/web",
            templates={},
        )
    )[0]  # fmt: skip


def plain_jinja(review: TeamReview) -> str:
    """The baseline: the same templates, no sandbox, values not escaped on output."""
    sandboxed = make_environment([resource("templates")], review.templates)
    env = jinja2.Environment(
        loader=sandboxed.loader,
        autoescape=False,  # noqa: S701 - the baseline measures exactly this
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(sandboxed.filters)
    return env.get_template(REVIEW_TEMPLATE).render(review=review, standalone=False)


def joined(review: TeamReview) -> str:
    """For scale: one unescaped line per PR, joined."""
    links = [*review.summary.unplanned, *(x for g in review.summary.goals for x in g.prs)]
    return "\n".join(f"- #{k.pr.number} {k.pr.title} · {k.pr.author}" for k in links)


def _best(fn, repeats: int = REPEATS) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(quick: bool) -> list[dict[str, object]]:
    """Rows for `python -m benchmarks`: render time, then the fitted body's size."""
    prs = QUICK if quick else FULL
    review = team_review(prs)
    ours_s = base_s = float("inf")
    rendered = ""
    for _ in range(REPEATS):  # interleaved, so a busy moment hits both
        s, rendered = _best(lambda: render_review(review, standalone=False), 1)
        ours_s = min(ours_s, s)
        base_s = min(base_s, _best(lambda: plain_jinja(review), 1)[0])
    fit_s, (body, overflow) = _best(lambda: fit(rendered))
    join_s, _ = _best(lambda: joined(review))
    print(
        f"{prs:,} PRs: rendered {len(rendered):,} chars in {ours_s:.3f} s (plain Jinja2 "
        f"{base_s:.3f} s, str.join {join_s:.4f} s); fit {fit_s:.3f} s -> body "
        f"{len(body):,} + comment {len(overflow):,} chars",
        flush=True,
    )
    total = ours_s + fit_s
    return [
        {
            "name": f"render review of {prs:,} PRs + fit, vs plain Jinja2",
            "ours_s": round(total, 4),
            "baseline_s": round(base_s, 4),
            "ratio": round(total / base_s, 2),
            "target": f"< {RENDER_TARGET_S:g} s",
            "met": total < RENDER_TARGET_S,
        },
        {
            "name": f"issue body of {prs:,} PRs after fit, vs raw render",
            "ours_s": len(body),
            "baseline_s": len(rendered),
            "ratio": round(len(body) / len(rendered), 3),
            "target": f"<= {GITHUB_LIMIT:,} chars",
            "met": len(body) <= GITHUB_LIMIT and len(overflow) <= GITHUB_LIMIT,
            "unit": "chars",
        },
    ]


if __name__ == "__main__":
    sys.exit(suite_main("python -m benchmarks.render", __doc__, f"{QUICK:,} PRs, for CI", run))
