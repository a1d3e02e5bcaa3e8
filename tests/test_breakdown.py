"""A flagged figure's breakdown by segment: the arithmetic of why it moved (issue 25).

Values are small integers and halves, exact in binary floating point, so every change,
total and share is compared exactly.
"""

from __future__ import annotations

from datetime import date

import pytest

from quarterdeck.core.business.breakdown import (
    MAX_SEGMENT_ROWS,
    BreakdownDef,
    breakdown_from_rows,
    unavailable_breakdown,
)
from quarterdeck.core.calendar import Month

NOV, OCT = Month(2026, 11), Month(2026, 10)
PLAN = BreakdownDef("plan", "sql", "select …", "usd")


def _of(rows: list[tuple[object, ...]], **kw: object):
    return breakdown_from_rows(PLAN, rows, NOV, OCT, "the breakdown by plan", **kw)  # type: ignore[arg-type]


def test_the_largest_moves_with_their_share_of_the_total_change() -> None:
    got = _of(
        [
            ("team", "2026-10", 1000),
            ("team", "2026-11", 1600),  # +600
            ("enterprise", "2026-10", 5000),
            ("enterprise", "2026-11", 4800),  # -200
            ("startup", "2026-10", 300),
            ("startup", "2026-11", 400),  # +100
            ("free", "2026-10", 0),
            ("free", "2026-11", 0),  # unchanged: never shown
            ("hobby", "2026-10", 10),
            ("hobby", "2026-11", 30),  # +20, the fourth move
        ]
    )
    assert got.total_change == 520  # 600 - 200 + 100 + 20
    assert [(s.segment, s.previous, s.current, s.change) for s in got.segments] == [
        ("team", 1000, 1600, 600),
        ("enterprise", 5000, 4800, -200),
        ("startup", 300, 400, 100),
    ]
    assert [s.share for s in got.segments] == [600 / 520, -200 / 520, 100 / 520]
    assert got.segment_count == 5
    assert got.others == 2
    assert got.others_change == 20
    assert (got.by, got.unit, got.month, got.previous_month) == ("plan", "usd", NOV, OCT)
    assert got.unavailable is None


def test_a_segment_against_the_total_has_a_negative_share_and_a_sign_flip_counts() -> None:
    # The total falls, one segment rises: its share is negative; a segment that goes
    # from positive to negative (refunds exceed sales) changes by the whole swing.
    got = _of(
        [
            ("eu", OCT, 100.5),
            ("eu", NOV, -50),  # -150.5
            ("us", OCT, 200),
            ("us", NOV, 250),  # +50
        ]
    )
    assert got.total_change == -100.5
    eu, us = got.segments
    assert (eu.segment, eu.change, eu.share) == ("eu", -150.5, -150.5 / -100.5)
    assert (us.segment, us.change, us.share) == ("us", 50, 50 / -100.5)
    assert us.share is not None
    assert us.share < 0 < eu.share


def test_changes_that_cancel_out_have_no_share() -> None:
    got = _of([("a", OCT, 10), ("a", NOV, 30), ("b", OCT, 50), ("b", NOV, 30)])
    assert got.total_change == 0
    assert [(s.segment, s.change, s.share) for s in got.segments] == [
        ("a", 20, None),
        ("b", -20, None),
    ]


def test_new_and_vanished_segments_move_by_all_of_their_value() -> None:
    got = _of(
        [
            ("new", date(2026, 11, 1), 70),
            ("gone", date(2026, 10, 1), 40),
            ("gone", date(2026, 11, 1), None),  # a NULL is no row, not zero
            ("older", "2026-09", 9999),  # outside the two months: ignored
        ]
    )
    new, gone = got.segments
    assert (new.previous, new.current, new.change, new.new, new.gone) == (None, 70, 70, True, False)
    assert (gone.previous, gone.current, gone.change, gone.new, gone.gone) == (
        40,
        None,
        -40,
        False,
        True,
    )
    assert got.total_change == 30
    assert (new.share, gone.share) == (70 / 30, -40 / 30)
    assert got.segment_count == 2


def test_rows_of_one_segment_add_up_and_ties_go_by_name() -> None:
    got = _of(
        [
            ("b", OCT, 1),
            ("b", NOV, 3),
            ("b", NOV, 3),  # two rows of one month: 6
            ("a", OCT, 0),
            ("a", NOV, 5),
            ("c", NOV, 5),
        ],
        top=2,
    )
    assert [(s.segment, s.change) for s in got.segments] == [("a", 5), ("b", 5)]
    assert got.others == 1
    assert got.others_change == 5


def test_segment_names_are_tidied_but_kept_as_given() -> None:
    long = "x" * 200
    got = _of([(None, NOV, 1), ("  two\nlines ", NOV, 2), (long, NOV, 3), ("", NOV, 4)])
    names = {s.segment for s in got.segments}
    assert "(empty)" in names
    assert "two lines" in names
    assert "x" * 79 + "…" in names
    assert _of([(None, NOV, 9)]).segments[0].segment == "(none)"
    # A name is untrusted text: the breakdown keeps it verbatim (the template escapes).
    assert _of([("<b>@team</b>", NOV, 1)]).segments[0].segment == "<b>@team</b>"


@pytest.mark.parametrize(
    ("rows", "said"),
    [
        ([("a", NOV)], "row 1 has 2 column(s); return (segment, month, value)"),
        ([("a", "soon", 1)], "row 1: 'soon' names no month"),
        ([("a", NOV, "lots")], "row 1: 'lots' is not a number"),
        ([("a", NOV, float("nan"))], "row 1: nan is not a finite number"),
    ],
)
def test_a_row_that_is_not_segment_month_value_says_where(
    rows: list[tuple[object, ...]], said: str
) -> None:
    with pytest.raises(ValueError, match="the breakdown by plan: ") as caught:
        _of(rows)
    assert said in str(caught.value)


def test_an_unquoted_source_never_shows_its_cells() -> None:
    with pytest.raises(ValueError, match="row 1: ") as caught:
        _of([("a", NOV, "secret-cell")], quote=False)
    assert "secret-cell" not in str(caught.value)
    assert "its value is not a number" in str(caught.value)


def test_too_many_rows_is_a_wrong_dimension() -> None:
    rows = [(f"c{i}", NOV, 1) for i in range(MAX_SEGMENT_ROWS + 1)]
    with pytest.raises(ValueError, match="more than the 5000 a breakdown reads"):
        _of(rows)


def test_no_rows_is_no_move_and_unavailable_says_why() -> None:
    empty = _of([])
    assert (empty.segments, empty.total_change, empty.segment_count) == ((), 0, 0)
    down = unavailable_breakdown(PLAN, NOV, OCT, "the warehouse refused")
    assert (down.unavailable, down.segments, down.by) == ("the warehouse refused", (), "plan")
