"""Shipping-speed metrics, comparisons, goal progress and team summaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import BotSettings, Config, Goal, Link, PullRequest, Team
from quarterdeck.core.review.comparison import Change, compare
from quarterdeck.core.review.distribution import (
    Distribution,
    Unavailable,
    distribution,
    format_hours,
    percentile,
)
from quarterdeck.core.review.progress import STALLED_AFTER_DAYS, goal_progress
from quarterdeck.core.review.speed import NEEDS_GITHUB, NO_PRS, ONLY_BOTS, speed
from quarterdeck.core.review.summary import summarise

NOV = datetime(2026, 11, 1, tzinfo=UTC)
DEC = datetime(2026, 12, 1, tzinfo=UTC)
OCT = datetime(2026, 10, 1, tzinfo=UTC)
H = timedelta(hours=1)


def make_link(
    number: int = 1,
    merged_at: datetime = NOV + timedelta(days=3),
    *,
    goal: str | None = None,
    team: str | None = "web",
    **fields: Any,
) -> Link:
    """A Link around a merged PR; `fields` go to the PullRequest."""
    fields.setdefault("author", "ann")
    fields.setdefault("title", f"PR {number}")
    pr = PullRequest(number=number, merged_at=merged_at, **fields)
    rule = "label" if goal else "author" if team else "none"
    return Link(pr=pr, goal_id=goal, team=team, rule=rule, reason="test")


def github_link(number: int, merged_at: datetime, opened_hours_before: float, **fields: Any):
    """A GitHub-sourced PR opened `opened_hours_before` its merge."""
    return make_link(
        number,
        merged_at,
        source="github",
        created_at=merged_at - opened_hours_before * H,
        **fields,
    )


def approx_dist(n: int, median: float, p75: float, p90: float) -> Any:
    """Compares equal to a Distribution with these figures, up to float rounding."""
    return Distribution(n, pytest.approx(median), pytest.approx(p75), pytest.approx(p90))


# ---------------------------------------------------------------------------- percentiles


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 75, 3.25),
        ([1, 2, 3, 4], 90, 3.7),
        ([4, 1, 3, 2], 90, 3.7),  # order does not matter
        ([1, 2, 3, 4, 5], 50, 3),
        ([1, 2, 3, 4, 5], 90, 4.6),
        ([10, 20], 75, 17.5),
        ([7], 90, 7),
        ([1, 2, 3], 0, 1),
        ([1, 2, 3], 100, 3),
        ([0.5, 100.0, 2.0, 8.0], 50, 5.0),
    ],
)
def test_percentile_by_hand(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 100.5)])
def test_percentile_rejects(values: list[float], q: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile(values, q)


hours = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(hours, min_size=1, max_size=50))
def test_percentiles_are_ordered(values: list[float]) -> None:
    d = distribution(values)
    assert d is not None
    assert d.n == len(values)
    assert min(values) <= d.median <= d.p75 <= d.p90 <= max(values)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(hours, min_size=1, max_size=30).flatmap(
        lambda v: st.tuples(st.just(v), st.permutations(v))
    )
)
def test_percentiles_ignore_order(pair: tuple[list[float], list[float]]) -> None:
    values, shuffled = pair
    assert distribution(values) == distribution(shuffled)


@settings(max_examples=100, deadline=None)
@given(hours, st.integers(1, 40))
def test_constant_list(value: float, n: int) -> None:
    assert distribution([value] * n) == Distribution(n, value, value, value)


def test_empty_distribution_is_none() -> None:
    assert distribution([]) is None


# ---------------------------------------------------------------------------- speed


def test_speed_from_github_timestamps() -> None:
    merged = NOV + timedelta(days=5)
    links = [
        make_link(
            1,
            merged,
            source="github",
            created_at=merged - 10 * H,
            first_review_at=merged - 4 * H,
            first_commit_at=merged - 30 * H,
        ),
        make_link(
            2,
            merged,
            source="github",
            created_at=merged - 20 * H,
            first_review_at=merged - 2 * H,
        ),
    ]
    result = speed(links, NOV, DEC)
    assert result.shipped == 2
    assert result.cycle_time == approx_dist(2, 15.0, 17.5, 19.0)
    assert result.time_to_first_review == approx_dist(2, 12.0, 15.0, 16.8)
    assert result.review_time == approx_dist(2, 3.0, 3.5, 3.8)
    assert result.lead_time == Distribution(1, 30.0, 30.0, 30.0)  # only PR 1 has it
    assert result.weeks == pytest.approx(30 / 7)
    assert result.throughput == pytest.approx(2 / (30 / 7))


def test_draft_pr_measures_from_ready_for_review() -> None:
    merged = NOV + timedelta(days=5)
    draft = make_link(
        1,
        merged,
        source="github",
        created_at=merged - 100 * H,
        ready_at=merged - 6 * H,
        first_review_at=merged - 1 * H,
    )
    result = speed([draft], NOV, DEC)
    assert result.cycle_time == Distribution(1, 6.0, 6.0, 6.0)
    assert result.time_to_first_review == Distribution(1, 5.0, 5.0, 5.0)


def test_offline_metrics_say_needs_github() -> None:
    links = [make_link(1, first_commit_at=NOV), make_link(2)]
    result = speed(links, NOV, DEC)
    assert result.cycle_time == Unavailable(NEEDS_GITHUB)
    assert result.time_to_first_review == Unavailable(NEEDS_GITHUB)
    assert result.review_time == Unavailable(NEEDS_GITHUB)
    assert result.lead_time == Distribution(1, 72.0, 72.0, 72.0)
    assert str(result.cycle_time) == "needs GitHub"
    assert not result.cycle_time.available
    assert result.lead_time.available


def test_lead_time_unavailable_when_no_pr_has_it() -> None:
    result = speed([make_link(1)], NOV, DEC)
    assert isinstance(result.lead_time, Unavailable)
    assert result.lead_time.reason == "no first-commit times in the history"


def test_github_prs_without_reviews_are_not_needs_github() -> None:
    result = speed([github_link(1, NOV + timedelta(days=1), 3)], NOV, DEC)
    assert result.cycle_time == Distribution(1, 3.0, 3.0, 3.0)
    assert result.review_time == Unavailable("no reviewed PRs in the window")


def test_empty_window_is_no_data_not_zero() -> None:
    result = speed([make_link(1, OCT + timedelta(days=2))], NOV, DEC)
    assert (result.shipped, result.throughput) == (0, 0.0)
    for metric in (result.cycle_time, result.review_time, result.lead_time):
        assert metric == Unavailable(NO_PRS)


def test_window_is_half_open() -> None:
    links = [make_link(1, NOV), make_link(2, DEC), make_link(3, DEC - timedelta(microseconds=1))]
    assert speed(links, NOV, DEC).shipped == 2


def test_window_must_not_be_empty() -> None:
    with pytest.raises(ValueError, match="not after"):
        speed([], DEC, NOV)


def test_bots_are_left_out_of_durations_but_goal_work_ships() -> None:
    merged = NOV + timedelta(days=2)
    links = [
        github_link(1, merged, 2),
        github_link(2, merged, 500, author="dependabot[bot]", goal="funnels"),
        github_link(3, merged, 500, author="renovate", is_bot=True),  # unplanned bot PR
    ]
    result = speed(links, NOV, DEC)
    assert result.cycle_time == Distribution(1, 2.0, 2.0, 2.0)
    assert result.shipped == 2  # the person's and the goal-linked bot PR
    assert result.bot_prs == 2


def test_only_bots_means_no_duration_data() -> None:
    links = [github_link(1, NOV + H, 2, author="dependabot[bot]", goal="g")]
    result = speed(links, NOV, DEC)
    assert result.shipped == 1
    assert result.cycle_time == Unavailable(ONLY_BOTS)


def test_negative_durations_count_as_zero() -> None:
    merged = NOV + timedelta(days=1)
    result = speed([make_link(1, merged, first_commit_at=merged + H)], NOV, DEC)
    assert result.lead_time == Distribution(1, 0.0, 0.0, 0.0)


# ---------------------------------------------------------------------------- timezones


def test_month_end_in_london() -> None:
    london = ZoneInfo("Europe/London")
    late = make_link(1, datetime(2026, 3, 31, 23, 30, tzinfo=UTC))  # 00:30 BST, 1 April
    march, april = Month(2026, 3), Month(2026, 4)
    assert speed([late], march.start("Europe/London"), march.end("Europe/London")).shipped == 0
    assert speed([late], april.start("Europe/London"), april.end("Europe/London")).shipped == 1
    assert speed([late], march.start(), march.end()).shipped == 1
    # March in London is an hour short of 31 days: the clocks go forward on the 29th.
    weeks = speed([], march.start("Europe/London"), march.end("Europe/London")).weeks
    assert weeks == pytest.approx((31 * 24 - 1) / (7 * 24))
    assert datetime(2026, 3, 29, 12, tzinfo=london).utcoffset() == H


def test_month_end_in_new_york() -> None:
    halloween = make_link(1, datetime(2026, 11, 1, 3, 0, tzinfo=UTC))  # 23:00 EDT, 31 Oct
    oct_, nov = Month(2026, 10), Month(2026, 11)
    tz = "America/New_York"
    assert speed([halloween], oct_.start(tz), oct_.end(tz)).shipped == 1
    assert speed([halloween], nov.start(tz), nov.end(tz)).shipped == 0


@pytest.mark.parametrize(
    ("tz", "opened", "merged", "expected"),
    [
        # Spring forward: 01:00 EST to 03:00 EDT on 8 March 2026 is one hour.
        ("America/New_York", datetime(2026, 3, 8, 1), datetime(2026, 3, 8, 3), 1.0),
        # Fall back: 00:30 BST to 01:30 GMT on 25 October 2026 is two hours.
        (
            "Europe/London",
            datetime(2026, 10, 25, 0, 30),
            datetime(2026, 10, 25, 1, 30, fold=1),
            2.0,
        ),
    ],
)
def test_durations_across_dst_use_real_hours(
    tz: str, opened: datetime, merged: datetime, expected: float
) -> None:
    zone = ZoneInfo(tz)
    opened, merged = opened.replace(tzinfo=zone), merged.replace(tzinfo=zone)
    link = make_link(1, merged, source="github", created_at=opened)
    month = Month(merged.year, merged.month)
    result = speed([link], month.start(tz), month.end(tz))
    assert result.cycle_time == Distribution(1, expected, expected, expected)


# ---------------------------------------------------------------------------- compare


def _speed_with(shipped: int, cycle_hours: list[float] | None, start: datetime = NOV):
    """A month's Speed with `shipped` PRs, GitHub-sourced when `cycle_hours` is given."""
    end = Month(start.year, start.month).end()
    links = []
    for i in range(shipped):
        merged = start + timedelta(days=1, hours=i)
        if cycle_hours is None:
            links.append(make_link(i, merged))
        else:
            links.append(github_link(i, merged, cycle_hours[i % len(cycle_hours)]))
    return speed(links, start, end)


def test_compare_changes() -> None:
    this = speed(
        [
            github_link(i, NOV + timedelta(days=1), h)
            for i, h in enumerate([1.0, 2.0, 3.0, 4.0, 5.0])
        ],
        NOV,
        NOV + timedelta(days=28),
    )
    before = speed(
        [github_link(i, OCT + timedelta(days=1), h) for i, h in enumerate([5.1, 6.1, 6.1, 7.1])],
        OCT,
        OCT + timedelta(days=28),
    )
    result = compare(this, before)
    assert result.shipped.text == "+1"
    assert result.throughput.text == "+25 %"
    assert result.throughput.percent == pytest.approx(25.0)
    assert isinstance(result.cycle_time, Change)
    assert result.cycle_time.text == "−3.1 h"
    assert result.cycle_time.delta == pytest.approx(-3.1)


def test_compare_from_zero_says_new() -> None:
    result = compare(_speed_with(3, None), _speed_with(0, None, OCT))
    assert result.throughput.text == "new"
    assert result.throughput.percent is None
    assert result.shipped.text == "+3"


def test_compare_zero_to_zero_and_drop_to_zero() -> None:
    assert compare(_speed_with(0, None), _speed_with(0, None, OCT)).throughput.text == "no change"
    dropped = compare(_speed_with(0, None, DEC), _speed_with(2, None))
    assert dropped.throughput.text.startswith("−100")
    assert dropped.shipped.text == "−2"


def test_compare_unavailable_on_either_side() -> None:
    offline = compare(_speed_with(2, None), _speed_with(2, [1.0], OCT))
    assert offline.cycle_time == Unavailable(NEEDS_GITHUB)
    missing_before = compare(_speed_with(2, [1.0]), _speed_with(0, [1.0], OCT))
    assert missing_before.cycle_time == Unavailable(f"{NO_PRS} (previous period)")


# ---------------------------------------------------------------------------- goal progress

FUNNELS = Goal("funnels", "Funnels", "web", "2026-Q4")


def test_goal_progress() -> None:
    links = [
        make_link(1, datetime(2026, 10, 5, 9, tzinfo=UTC), goal="funnels"),
        make_link(2, datetime(2026, 11, 20, 18, tzinfo=UTC), goal="funnels"),
        make_link(3, datetime(2026, 10, 6, tzinfo=UTC), goal="other"),
        make_link(4, datetime(2026, 9, 30, tzinfo=UTC), goal="funnels"),  # last quarter
        make_link(5, datetime(2026, 12, 2, tzinfo=UTC), goal="funnels"),  # after as_of
        make_link(6, datetime(2026, 11, 1, tzinfo=UTC), goal="funnels", author="x[bot]"),
    ]
    result = goal_progress(FUNNELS, links, OCT, DEC)
    assert [lk.pr.number for lk in result.prs] == [1, 6, 2]
    assert result.shipped == 3
    assert result.first_ship == datetime(2026, 10, 5, 9, tzinfo=UTC)
    assert result.last_ship == datetime(2026, 11, 20, 18, tzinfo=UTC)
    assert result.days_since_last_ship == 11
    assert not result.stalled
    assert (result.tasks_done, result.tasks_total) == (None, None)


@pytest.mark.parametrize(
    ("days", "stalled"), [(STALLED_AFTER_DAYS - 1, False), (STALLED_AFTER_DAYS, True)]
)
def test_stalled_threshold(days: int, stalled: bool) -> None:
    as_of = DEC
    last = make_link(1, as_of - timedelta(days=days), goal="funnels")
    result = goal_progress(FUNNELS, [last], OCT, as_of)
    assert (result.days_since_last_ship, result.stalled) == (days, stalled)


def test_days_are_calendar_days_in_as_of_timezone() -> None:
    tz = ZoneInfo("America/New_York")
    shipped = make_link(1, datetime(2026, 11, 30, 3, tzinfo=UTC), goal="funnels")  # 29th in NY
    result = goal_progress(FUNNELS, [shipped], OCT, datetime(2026, 11, 30, 9, tzinfo=tz))
    assert result.days_since_last_ship == 1


def test_nothing_shipped_stalls_from_quarter_start() -> None:
    early = goal_progress(FUNNELS, [], OCT, OCT + timedelta(days=10))
    assert (early.shipped, early.days_since_last_ship, early.quiet_days) == (0, None, 10)
    assert not early.stalled
    assert goal_progress(FUNNELS, [], OCT, OCT + timedelta(days=21)).stalled


def test_finished_goals_do_not_stall() -> None:
    done = Goal("funnels", "Funnels", "web", "2026-Q4", status="shipped")
    assert not goal_progress(done, [], OCT, DEC).stalled


# ---------------------------------------------------------------------------- summarise

WEB = Team("web", members=("ann",))
API = Team("api", members=("ben",))
Q4 = (
    Goal("funnels", "Funnels", "web", "2026-Q4"),
    Goal("api-keys", "API keys", "api", "2026-Q4"),
    Goal("paths", "Paths", "web", "2026-Q4"),
)
OLD = Goal("legacy", "Legacy", "web", "2026-Q3")
OLDER = Goal("charts", "Charts", "web", "2026-Q2")
SUMMARY_CONFIG = Config(teams=(WEB, API), goals=(*Q4, OLDER, OLD))


def _summarise(links: list[Link]):
    return summarise(links, SUMMARY_CONFIG, NOV, DEC, OCT, OCT)


def test_summarise_groups_by_team_and_goal() -> None:
    d = NOV + timedelta(days=2)
    links = [
        make_link(1, d + 3 * H, goal="paths"),
        make_link(2, d + 2 * H, goal="funnels"),
        make_link(3, d + 1 * H, goal="funnels"),
        make_link(4, d, team="web"),
        make_link(5, d, team="api", goal="api-keys"),
        make_link(6, OCT + timedelta(days=3), goal="funnels"),  # previous month
        make_link(7, d, goal="legacy"),  # older quarters' goals still shipping
        make_link(9, d + H, goal="charts"),
        make_link(8, d + H, team="web", author="bot[bot]"),  # unplanned bot PR: listed only
    ]
    web, api = _summarise(links)
    assert (web.team, web.unowned, api.team) == ("web", False, "api")
    assert [g.goal.id for g in web.goals] == ["funnels", "paths", "charts", "legacy"]
    funnels = web.goals[0]
    assert [lk.pr.number for lk in funnels.prs] == [3, 2]
    assert (funnels.shipped, funnels.previous_shipped) == (2, 1)
    assert funnels.throughput == pytest.approx(2 / (30 / 7))
    assert funnels.previous_throughput == pytest.approx(1 / (31 / 7))
    assert [lk.pr.number for lk in web.unplanned] == [4, 8]
    assert (web.shipped, web.planned) == (6, 5)
    assert (web.speed.shipped, web.previous_speed.shipped) == (6, 1)
    assert web.comparison.shipped.text == "+5"
    assert [p.goal.id for p in web.progress] == ["funnels", "paths"]
    assert web.progress[0].shipped == 3
    assert [g.goal.id for g in api.goals] == ["api-keys"]


def test_unowned_entry_only_when_needed() -> None:
    d = NOV + timedelta(days=1)
    assert [s.team for s in _summarise([make_link(1, d)])] == ["web", "api"]
    stray = make_link(2, d, team=None)
    old_stray = make_link(3, OCT + H, team=None)
    assert [s.team for s in _summarise([make_link(1, d), old_stray])] == ["web", "api"]
    summaries = _summarise([make_link(1, d), stray, old_stray])
    assert [s.team for s in summaries] == ["web", "api", "unowned"]
    unowned = summaries[-1]
    assert (unowned.team, unowned.unowned) == ("unowned", True)
    assert (unowned.goals, unowned.progress) == ((), ())
    assert [lk.pr.number for lk in unowned.unplanned] == [2]
    assert unowned.previous_speed.shipped == 1


def test_every_pr_of_the_month_appears_once() -> None:
    d = NOV + timedelta(days=4)
    links = [
        make_link(1, d, goal="funnels"),
        make_link(2, d, team="api"),
        make_link(3, d, team=None),
        make_link(4, d, team="ghost"),  # a team the config lacks
        make_link(5, d, goal="gone", team="api"),  # a goal the config lacks
        make_link(6, DEC + H, team="web"),  # next month
    ]
    summaries = _summarise(links)
    assert [s.team for s in summaries] == ["web", "api", "ghost", "unowned"]
    seen = [lk.pr.number for s in summaries for lk in s.unplanned] + [
        lk.pr.number for s in summaries for g in s.goals for lk in g.prs
    ]
    assert sorted(seen) == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    ("hours", "text"), [(0.25, "15 min"), (3.14, "3.1 h"), (47.9, "47.9 h"), (105.0, "4.4 d")]
)
def test_format_hours_picks_the_unit_a_person_reads_fastest(hours: float, text: str) -> None:
    assert format_hours(hours) == text


# ---------------------------------------------------------------------------- bots that ship


@pytest.mark.parametrize("author", ["posthog-bot", "PostHog-Bot", "renovate[bot]", "Renovate"])
def test_bots_that_ship_count_when_unplanned_and_stay_out_of_durations(author: str) -> None:
    merged = NOV + timedelta(days=2)
    links = [
        github_link(1, merged, 2),
        github_link(2, merged, 500, author=author),  # unplanned, by a bot that ships
        github_link(3, merged, 500, author="dependabot[bot]"),  # unplanned, another bot
    ]
    result = speed(links, NOV, DEC, shipping_bots=("posthog-bot", "renovate[bot]"))
    assert result.shipped == 2  # the person's and the shipping bot's
    assert result.merged == 3
    assert result.bot_prs == 2
    assert result.cycle_time == Distribution(1, 2.0, 2.0, 2.0)


def test_summary_counts_shipping_bots_from_the_config() -> None:
    d = NOV + timedelta(days=2)
    config = Config(teams=(WEB,), bots=BotSettings(count=("posthog-bot",)))
    links = [
        make_link(1, d, team="web"),
        make_link(2, d, team="web", author="posthog-bot"),
        make_link(3, d, team="web", author="renovate[bot]"),
    ]
    [web] = summarise(links, config, NOV, DEC, OCT, OCT)
    assert (web.shipped, web.speed.merged, web.speed.bot_prs) == (2, 3, 2)


def test_merged_change_compares_merged_with_merged() -> None:
    d = NOV + timedelta(days=2)
    links = [
        make_link(1, OCT + timedelta(days=2), team="web"),
        make_link(2, d, team="web"),
        make_link(3, d, team="web", author="dependabot[bot]"),
        make_link(4, d, team="web", author="renovate[bot]"),
    ]
    web, _api = _summarise(links)
    assert web.comparison.shipped.text == "no change"  # 1 person's PR each month
    assert web.comparison.merged.text == "+2"  # 1 merged in October, 3 in November


def test_a_planned_goal_that_shipped_is_in_progress() -> None:
    shipped = make_link(1, NOV + H, goal="funnels")
    assert goal_progress(FUNNELS, [shipped], OCT, DEC).status == "in-progress"
    assert goal_progress(FUNNELS, [], OCT, DEC).status == "planned"
    done = Goal("funnels", "Funnels", "web", "2026-Q4", status="shipped")
    assert goal_progress(done, [shipped], OCT, DEC).status == "shipped"
