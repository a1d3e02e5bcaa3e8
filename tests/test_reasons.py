"""A link's reason in a few words: known rule ids as words, unknown ones by their reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quarterdeck.core.model import Link, PullRequest
from quarterdeck.core.review.reasons import RULE_WORDS, rule_words, shorten

PR = PullRequest(1, "Fix", "ann", datetime(2026, 11, 2, tzinfo=UTC))


def _link(rule: str, reason: str = "a reason") -> Link:
    return Link(pr=PR, goal_id=None, team=None, rule=rule, reason=reason)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("none", "no team owns these paths"),
        ("paths", "via team paths"),
        ("reference", "via goal reference"),
        ("goal-scope", "via the goal's commit scope"),
    ],
)
def test_known_rules_read_as_words(rule: str, words: str) -> None:
    assert rule_words(_link(rule)) == words


def test_no_rule_id_shows_as_is() -> None:
    assert all(words != rule for rule, words in RULE_WORDS.items())


def test_an_unknown_rule_falls_back_to_its_reason_shortened() -> None:
    reason = "title keyword `replay` matches goal session-replay, which the team declared"
    assert rule_words(_link("goal-something-new", reason)) == (
        "title keyword `replay` matches goal session-replay, which…"
    )
    assert rule_words(_link("new", "short\nreason")) == "short reason"


@pytest.mark.parametrize("limit", [10, 20, 60])
def test_shorten_stays_within_the_limit(limit: int) -> None:
    text = "word " * 40
    assert len(shorten(text, limit)) <= limit
    assert shorten(text, limit).endswith("…")
