"""Unplanned work's team: the most specific pattern per path, CODEOWNERS entries, ties,
co-authors. Each test checks the exact team, rule and reason of real-shaped PRs."""

from __future__ import annotations

from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import pytest

from quarterdeck.core.model import Config, Link, PullRequest, Team
from quarterdeck.core.review.codeowners import parse_codeowners
from quarterdeck.core.review.globs import Specificity, specificity
from quarterdeck.core.review.linking import link_pr

MERGED = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
REPLAY_DIR = "packages/browser/src/extensions/replay"

WEB = Team("web", members=("wanda",), paths=("packages/browser/**",))
REPLAY = Team("replay", members=("rita",), paths=(f"{REPLAY_DIR}/**",))


def pr(*paths: str, **fields: Any) -> PullRequest:
    fields.setdefault("author", "zed")
    return PullRequest(1, "Fix it", merged_at=MERGED, paths=paths, source="github", **fields)


def link(pull: PullRequest, *teams: Team, codeowners: str | None = None) -> Link:
    owners = parse_codeowners(codeowners, ".github/CODEOWNERS") if codeowners else None
    return link_pr(pull, Config(teams=teams, codeowners=owners), quarter="2026-Q4")


# ---------------------------------------------------------------------------- specificity


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("packages/browser/**", (2, 15)),
        (f"{REPLAY_DIR}/**", (5, 34)),
        ("frontend/insights/", (2, 16)),
        ("frontend/insights", (2, 16)),
        ("/frontend/*.ts", (1, 11)),
        ("*.md", (0, 3)),
        ("src/[ab]/x.py", (1, 7)),  # a character class is one unknown character
        ("**/test_*.py", (0, 8)),
    ],
)
def test_specificity(pattern: str, expected: tuple[int, int]) -> None:
    assert specificity(pattern) == Specificity(*expected)


# ---------------------------------------------------------------------------- nested paths


@pytest.mark.parametrize("teams", [(WEB, REPLAY), (REPLAY, WEB)])
def test_nested_pattern_beats_its_parent_whatever_the_config_order(teams: tuple[Team, ...]) -> None:
    pull = pr(*(f"{REPLAY_DIR}/{n}.ts" for n in "abc"), "packages/browser/src/index.ts")
    found = link(pull, *teams)
    assert (found.rule, found.team, found.goal_id) == ("paths", "replay", None)
    assert found.reason == (
        f"3 of 4 changed paths are under replay's `{REPLAY_DIR}/**` "
        "(more specific than web's `packages/browser/**`)"
    )


def test_parent_team_keeps_what_the_nested_team_does_not_own() -> None:
    found = link(pr("packages/browser/src/index.ts", "packages/browser/a.ts"), REPLAY, WEB)
    assert found.team == "web"
    assert found.reason == "2 of 2 changed paths are under web's `packages/browser/**`"


def test_equal_counts_go_to_the_more_specific_team_and_the_reason_says_tie() -> None:
    pull = pr(
        f"{REPLAY_DIR}/a.ts", f"{REPLAY_DIR}/b.ts", "packages/browser/x.ts", "packages/browser/y.ts"
    )
    for teams in ((WEB, REPLAY), (REPLAY, WEB)):
        found = link(pull, *teams)
        assert found.team == "replay"
        assert found.reason == (
            f"2 of 4 changed paths are under replay's `{REPLAY_DIR}/**` (more specific than "
            "web's `packages/browser/**`); tie with web (2 paths each), whose patterns are "
            "less specific"
        )


SHARED_A = Team("alpha", members=("ann",), paths=("shared/**",))
SHARED_B = Team("beta", members=("ben",), paths=("shared/",))


def test_equally_specific_tie_goes_to_the_authors_team() -> None:
    found = link(pr("shared/x.py", author="ben"), SHARED_A, SHARED_B)
    assert found.team == "beta"
    assert found.reason == (
        "1 of 1 changed path is under beta's `shared/`; tie with alpha "
        "(1 path each, equally specific): author ben is on beta"
    )


def test_equally_specific_tie_goes_to_a_co_authors_team() -> None:
    found = link(pr("shared/x.py", author="zed", co_authors=("nobody", "ann")), SHARED_B, SHARED_A)
    assert found.team == "alpha"
    assert found.reason.endswith("(1 path each, equally specific): co-author ann is on alpha")


def test_equally_specific_tie_with_no_one_on_either_team_is_decided_by_name() -> None:
    for teams in ((SHARED_A, SHARED_B), (SHARED_B, SHARED_A)):
        found = link(pr("shared/x.py", "shared/y.py"), *teams)
        assert found.team == "alpha"
        assert found.reason == (
            "2 of 2 changed paths are under alpha's `shared/**`; tie with beta (2 paths each, "
            "equally specific), first by name: give one team a more specific pattern to decide"
        )


def test_a_shared_path_counts_for_both_teams() -> None:
    # alpha and beta own shared/ equally; alpha also owns lib/, so alpha has 2 of 3.
    alpha = Team("alpha", paths=("shared/**", "lib/**"))
    found = link(pr("shared/x.py", "lib/a.py", "docs/z.md"), SHARED_B, alpha)
    assert found.team == "alpha"
    assert found.reason == "2 of 3 changed paths are under alpha's `shared/**` and `lib/**`"


# ---------------------------------------------------------------------------- CODEOWNERS

CODEOWNERS = """\
# Owners of posthog-js
*                                   @acme/core
/packages/browser/                  @acme/web
/packages/browser/src/extensions/replay/ @ACME/Replay @rita   # team and user
docs/                               @dora
/packages/browser/src/vendor/
"""
CO_WEB = Team("web", codeowners=("@acme/web",))
CO_REPLAY = Team("replay", codeowners=("@acme/replay",))
CO_CORE = Team("core", codeowners=("@acme/core",))


def test_codeowners_entries_own_their_lines_and_the_most_specific_wins() -> None:
    pull = pr(f"{REPLAY_DIR}/a.ts", f"{REPLAY_DIR}/b.ts", "packages/browser/x.ts")
    found = link(pull, CO_CORE, CO_WEB, CO_REPLAY, codeowners=CODEOWNERS)
    assert (found.rule, found.team) == ("paths", "replay")
    # Each path has one deciding line (the last match): replay's two paths never
    # match web's line there, so there is nothing to be more specific than.
    assert found.reason == (
        "2 of 3 changed paths are under replay's `/packages/browser/src/extensions/replay/` "
        "(.github/CODEOWNERS line 4, `@acme/replay`)"
    )


def test_codeowners_last_matching_line_wins_not_the_most_specific() -> None:
    # docs/ (line 5) comes after /packages/browser/ (line 3): GitHub gives
    # packages/browser/docs/ to @dora, so web does not own it through CODEOWNERS.
    dora = Team("docs", members=("dora",), codeowners=("@dora",))
    found = link(pr("packages/browser/docs/a.md"), CO_WEB, dora, codeowners=CODEOWNERS)
    assert found.team == "docs"
    assert found.reason == (
        "1 of 1 changed path is under docs's `docs/` (.github/CODEOWNERS line 5, `@dora`)"
    )


def test_codeowners_user_entry() -> None:
    rita = Team("replay", codeowners=("@rita",))
    found = link(pr(f"{REPLAY_DIR}/a.ts"), CO_WEB, rita, codeowners=CODEOWNERS)
    assert found.team == "replay"
    assert "(.github/CODEOWNERS line 4, `@rita`)" in found.reason


def test_codeowners_line_without_owners_leaves_the_path_unowned() -> None:
    found = link(pr("packages/browser/src/vendor/lib.js"), CO_CORE, CO_WEB, codeowners=CODEOWNERS)
    assert (found.rule, found.team) == ("none", None)


def test_codeowners_catch_all_owns_what_nothing_later_matches() -> None:
    found = link(pr("README.md"), CO_CORE, CO_WEB, codeowners=CODEOWNERS)
    assert found.team == "core"
    assert found.reason == (
        "1 of 1 changed path matches core's `*` (.github/CODEOWNERS line 2, `@acme/core`)"
    )


def test_codeowners_line_competes_with_config_patterns_by_specificity() -> None:
    # web owns packages/browser/** in the config; replay only through CODEOWNERS, with a
    # deeper pattern: the deeper one wins. A catch-all line loses to the config pattern.
    found = link(pr(f"{REPLAY_DIR}/a.ts"), WEB, CO_REPLAY, codeowners=CODEOWNERS)
    assert found.team == "replay"
    assert found.reason == (
        "1 of 1 changed path is under replay's `/packages/browser/src/extensions/replay/` "
        "(.github/CODEOWNERS line 4, `@acme/replay`) (more specific than web's "
        "`packages/browser/**`)"
    )
    found = link(pr("packages/browser/README.md"), CO_CORE, WEB, codeowners="* @acme/core\n")
    assert found.team == "web"
    assert found.reason == (
        "1 of 1 changed path is under web's `packages/browser/**` (more specific than "
        "core's `*` (.github/CODEOWNERS line 1, `@acme/core`))"
    )


def test_teams_without_a_codeowners_file_own_nothing_by_it() -> None:
    assert link(pr(f"{REPLAY_DIR}/a.ts"), CO_REPLAY).rule == "none"


# ---------------------------------------------------------------------------- people

GROWTH = Team("growth", members=("gus",))
ANALYTICS = Team("analytics", lead="ada", members=("al",))
IDENTITIES = MappingProxyType({"al": ("al@example.com",)})


def test_author_on_a_team_beats_co_authors() -> None:
    found = link(pr(author="gus", co_authors=("ada",)), ANALYTICS, GROWTH)
    assert (found.rule, found.team, found.reason) == ("author", "growth", "author gus is on growth")


def test_co_author_team_when_the_author_is_on_none() -> None:
    found = link(pr(author="outsider", co_authors=("nobody", "gus")), ANALYTICS, GROWTH)
    assert (found.rule, found.team) == ("author", "growth")
    assert found.reason == "co-author gus is on growth (author outsider is on no team)"


def test_most_co_authors_decide_and_identities_count() -> None:
    config = Config(teams=(GROWTH, ANALYTICS), identities=IDENTITIES)
    pull = pr(author="outsider", co_authors=("gus", "al@example.com", "ada"))
    found = link_pr(pull, config, quarter="2026-Q4")
    assert found.team == "analytics"
    assert found.reason == (
        "co-authors al@example.com and ada are on analytics (author outsider is on no team)"
    )


def test_co_authors_on_no_team_leave_the_pr_unowned() -> None:
    assert link(pr(author="outsider", co_authors=("x",)), ANALYTICS, GROWTH).rule == "none"


# ---------------------------------------------------------------------------- catch-all teams
# Teams keep the catch-all team informed by naming it on every line beside the
# specialist: `/replay/ @acme/client-libraries @acme/replay`. The specialist's paths
# are its work; the catch-all team keeps what nobody more specific owns.

OVERLAPPING = """\
*                @acme/client-libraries
/replay/         @acme/client-libraries @acme/replay
/android/        @acme/client-libraries @acme/mobile
"""
CO_ALL = Team("client-libraries", members=("cleo",), codeowners=("@acme/client-libraries",))
CO_REPLAY_ONLY = Team("replay", members=("rita",), codeowners=("@acme/replay",))
CO_MOBILE = Team("mobile", members=("mo",), codeowners=("@acme/mobile",))


def test_a_line_naming_a_catch_all_team_and_a_specialist_goes_to_the_specialist() -> None:
    # Before: the catch-all team also owned both replay paths and CHANGELOG.md (3 of 3).
    pull = pr("replay/a.kt", "replay/b.kt", "CHANGELOG.md", author="cleo")
    for teams in ((CO_ALL, CO_REPLAY_ONLY, CO_MOBILE), (CO_MOBILE, CO_REPLAY_ONLY, CO_ALL)):
        found = link(pull, *teams, codeowners=OVERLAPPING)
        assert (found.rule, found.team) == ("paths", "replay")
        assert found.reason == (
            "2 of 3 changed paths are under replay's `/replay/` (.github/CODEOWNERS line 2, "
            "`@acme/replay`) (also listed: client-libraries, which owns everything)"
        )


def test_the_specialist_wins_even_when_the_author_is_on_the_catch_all_team() -> None:
    # Before: a tie on every path, decided by the author's team.
    found = link(pr("android/x.kt", author="cleo"), CO_ALL, CO_MOBILE, codeowners=OVERLAPPING)
    assert found.team == "mobile"
    assert "(also listed: client-libraries, which owns everything)" in found.reason


def test_the_catch_all_team_keeps_what_no_specialist_owns() -> None:
    found = link(pr("README.md", "build.gradle"), CO_ALL, CO_REPLAY_ONLY, codeowners=OVERLAPPING)
    assert found.team == "client-libraries"
    assert found.reason == (
        "2 of 2 changed paths match client-libraries's `*` (.github/CODEOWNERS line 1, "
        "`@acme/client-libraries`)"
    )
    # And more of a PR's paths than the specialist's is still the catch-all team's.
    pull = pr("replay/a.kt", "README.md", "build.gradle")
    found = link(pull, CO_ALL, CO_REPLAY_ONLY, codeowners=OVERLAPPING)
    assert found.team == "client-libraries"


def test_two_specialists_on_one_line_still_tie_as_before() -> None:
    both = "*  @acme/client-libraries\n/replay/  @acme/replay @acme/mobile\n"
    found = link(pr("replay/a.kt", author="mo"), CO_REPLAY_ONLY, CO_MOBILE, codeowners=both)
    assert found.team == "mobile"
    assert "equally specific): author mo is on mobile" in found.reason
    assert "also listed" not in found.reason


def test_config_paths_a_catch_all_team_shares_go_to_the_specialist() -> None:
    everything = Team("platform", members=("pat",), paths=("**", "sdk/replay/**"))
    replay = Team("replay", members=("rita",), paths=("sdk/replay/**",))
    found = link(pr("sdk/replay/a.ts", "sdk/replay/b.ts", author="pat"), everything, replay)
    assert found.team == "replay"
    assert found.reason == (
        "2 of 2 changed paths are under replay's `sdk/replay/**` "
        "(also listed: platform, which owns everything)"
    )
    # A catch-all in another repository's scope says nothing about this one.
    elsewhere = Team("platform", members=("pat",), paths=("acme/other:**", "sdk/replay/**"))
    found = link(pr("sdk/replay/a.ts", author="pat"), elsewhere, replay)
    assert found.team == "platform"
    assert "author pat is on platform" in found.reason
