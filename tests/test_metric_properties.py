"""Properties of the metric functions: percentiles of any list of floats, month windows
across DST changes and month ends in several timezones, and commit dates in any UTC
offset read back from a real git repo to the second."""

from __future__ import annotations

import math
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Link, PullRequest
from quarterdeck.core.review.distribution import distribution, percentile
from quarterdeck.core.review.speed import speed
from quarterdeck.sources.git_history import read_merged_prs
from tests.gitrepo import GitRepo

# Any finite float, the huge and the subnormal included.
finite = st.floats(allow_nan=False, allow_infinity=False)
BIGGEST = 1.7976931348623157e308


@settings(max_examples=300)
@given(st.lists(finite, min_size=1, max_size=40), st.floats(0, 100))
@example([-BIGGEST, BIGGEST], 50.0)  # high - low overflowed to inf: the median was nan
@example([-BIGGEST, BIGGEST], 0.0)  # 0 * inf = nan
@example([5e-324, 5e-324, 1e-320], 75.0)
def test_percentile_of_any_list_is_finite_and_between_its_neighbours(
    values: list[float], q: float
) -> None:
    result = percentile(values, q)
    ordered = sorted(values)
    assert math.isfinite(result)
    assert ordered[0] <= result <= ordered[-1]
    rank = (len(ordered) - 1) * q / 100
    assert ordered[math.floor(rank)] <= result <= ordered[math.ceil(rank)]
    assert percentile(values, 0) == ordered[0]
    assert percentile(values, 100) == ordered[-1]


@settings(max_examples=200)
@given(st.lists(finite, min_size=1, max_size=30), st.integers(2, 5))
@example([-BIGGEST, 0.0, BIGGEST], 2)
def test_distribution_is_ordered_and_duplicating_every_value_keeps_the_ends(
    values: list[float], copies: int
) -> None:
    d = distribution(values)
    assert d is not None
    assert min(values) <= d.median <= d.p75 <= d.p90 <= max(values)
    repeated = distribution(values * copies)
    assert repeated is not None
    assert repeated.n == len(values) * copies
    assert min(values) <= repeated.median <= repeated.p75 <= repeated.p90 <= max(values)


# ---------------------------------------------------------------------------- windows

ZONES = [
    "UTC", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
    "Pacific/Chatham", "America/St_Johns", "Pacific/Kiritimati", "Pacific/Pago_Pago",
]  # fmt: skip
months = st.builds(Month, st.integers(2020, 2030), st.integers(1, 12))
instants = st.datetimes(
    min_value=datetime(2020, 2, 1), max_value=datetime(2030, 11, 30), timezones=st.just(UTC)
)


def _link(merged: datetime) -> Link:
    pr = PullRequest(number=1, title="t", author="a", merged_at=merged)
    return Link(pr=pr, goal_id=None, team=None, rule="none", reason="r")


@settings(max_examples=200)
@given(months, st.sampled_from(ZONES))
@example(Month(2026, 3), "Europe/London")  # spring forward inside the month
@example(Month(2026, 10), "Australia/Sydney")  # the southern hemisphere moves the other way
def test_month_windows_tile_and_measure_real_weeks(month: Month, tz: str) -> None:
    start, end = month.start(tz), month.end(tz)
    assert start.astimezone(ZoneInfo(tz)).replace(tzinfo=None) == datetime(
        month.year, month.month, 1
    )
    assert month.next().start(tz) == end  # no gap, no overlap with the next month
    real_weeks = (end.timestamp() - start.timestamp()) / (7 * 24 * 3600)
    assert speed([], start, end).weeks == real_weeks
    assert 28 * 24 - 1 <= real_weeks * 7 * 24 <= 31 * 24 + 1  # a DST change moves an hour


@settings(max_examples=200)
@given(instants, st.sampled_from(ZONES))
@example(datetime(2026, 3, 31, 23, 30, tzinfo=UTC), "Europe/London")  # 00:30 BST, 1 April
@example(datetime(2026, 11, 1, 3, 0, tzinfo=UTC), "America/New_York")  # 23:00 EDT, 31 Oct
@example(datetime(2026, 12, 31, 10, 59, tzinfo=UTC), "Pacific/Kiritimati")  # 1 Jan, 00:59
def test_every_instant_falls_in_exactly_the_month_its_timezone_shows(
    merged: datetime, tz: str
) -> None:
    local = merged.astimezone(ZoneInfo(tz))
    around = Month(local.year, local.month).previous()
    hits = []
    for _ in range(3):
        if speed([_link(merged)], around.start(tz), around.end(tz)).shipped:
            hits.append(around)
        around = around.next()
    assert hits == [Month(local.year, local.month)]


# ---------------------------------------------------------------------------- git dates

offsets = st.builds(
    lambda h, m: timezone(timedelta(hours=h, minutes=m if h >= 0 else -m)),
    st.integers(-12, 14),
    st.sampled_from([0, 30, 45]),
).filter(lambda z: timedelta(hours=-12) <= z.utcoffset(None) <= timedelta(hours=14))
seconds = st.integers(0, 3 * 365 * 24 * 3600)
BASE = datetime(2024, 1, 1, tzinfo=UTC)


@settings(max_examples=12)
@given(st.lists(st.tuples(seconds, offsets, offsets), min_size=1, max_size=3))
@example([(0, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)))])
@example([(3600, timezone(timedelta(hours=5, minutes=45)), timezone(-timedelta(minutes=30)))])
def test_commit_dates_in_any_timezone_read_back_exactly(
    prs: list[tuple[int, timezone, timezone]],
) -> None:
    """A merge's date and its branch's first commit date, each in its own UTC offset."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = GitRepo.init(Path(tmp) / "repo")
        repo.commit("Initial commit", {"a": "0"}, date=BASE.astimezone(prs[0][1]))
        expected = []
        # Merges in time order, each an hour or more after the previous one.
        for n, (offset_s, branch_tz, merge_tz) in enumerate(
            sorted(prs, key=lambda p: p[0]), start=1
        ):
            first = BASE + timedelta(seconds=offset_s + n * 7200)
            merged = first + timedelta(minutes=30)
            repo.branch(f"b{n}")
            repo.commit(f"work {n}", {f"f{n}": "x"}, date=first.astimezone(branch_tz))
            repo.merge_pr(n, f"b{n}", f"PR {n}", date=merged.astimezone(merge_tz))
            expected.append((n, merged, first))
        found = read_merged_prs(repo.path, BASE, BASE + timedelta(days=4 * 365), branch="main")
    assert [(p.number, p.merged_at, p.first_commit_at) for p in found] == expected
    assert all(p.merged_at.utcoffset() == timedelta(0) for p in found)
