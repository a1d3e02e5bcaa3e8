"""Unplanned work by type and area: labels, conventional-commit prefixes, folders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from quarterdeck.core.model import Link, PullRequest
from quarterdeck.core.review.work_types import (
    NO_FILES,
    TOP_LEVEL,
    area,
    folder_areas,
    group_by_area,
    group_by_type,
    main_folder,
    work_type,
)

NOV = datetime(2026, 11, 2, tzinfo=UTC)


def pr(title: str, *paths: str, labels: tuple[str, ...] = (), number: int = 1) -> PullRequest:
    return PullRequest(number, title, "ann", NOV + timedelta(hours=number), labels=labels,
                       paths=paths)  # fmt: skip


@pytest.mark.parametrize(
    ("title", "labels", "kind"),
    [
        ("fix: crash on load", (), "fix"),
        ("feat(replay): canvas", (), "feat"),
        ("Feat!: breaking", (), "feat"),
        ("chore(deps): update posthog-js", (), "deps"),
        ("build(deps-dev): bump vite", (), "deps"),
        ("build: vite 6", (), "build"),
        ("docs: typo", (), "docs"),
        ("refactor(core): split", (), "refactor"),
        ("test: flaky", (), "test"),
        ("perf: faster", (), "perf"),
        ("ci: cache", (), "ci"),
        ("chore: tidy", (), "chore"),
        ("release: 1.2", (), "other"),  # a prefix, but no known type
        ("Bump jinja2 from 3.1.3 to 3.1.4", (), "deps"),
        ("Update dependency vite to v6", (), "deps"),
        ('Revert "Add funnels"', (), "revert"),
        ("Add funnels", (), "other"),
        ("Fix: crash", (), "fix"),
        ("Fixing the crash", (), "other"),  # no colon: not a prefix
        # Labels win over the title, in any common spelling.
        ("feat: add", ("bug",), "fix"),
        ("Add", ("enhancement",), "feat"),
        ("Add", ("documentation",), "docs"),
        ("Add", ("dependencies", "bug"), "deps"),
        ("Add", ("type/bug",), "fix"),
        ("Add", ("kind: Feature",), "feat"),
        ("Add", ("goal:funnels", "team/web"), "other"),
    ],
)
def test_work_type(title: str, labels: tuple[str, ...], kind: str) -> None:
    assert work_type(pr(title, labels=labels)) == kind


def test_area_is_the_scope_else_the_main_top_folder() -> None:
    assert area(pr("feat(replay): canvas", "packages/browser/src/x.ts")) == "replay"
    assert area(pr("chore(deps): bump", "web/package.json")) == "web"  # deps is no area
    assert area(pr("Fix", "docs/a.md", "web/b.py", "web/c.py")) == "web"
    assert area(pr("Fix", "packages/browser/src/a.ts", "packages/react/b.ts")) == (
        "packages/browser"  # containers split by project; tie by name
    )
    assert area(pr("Fix", "README.md")) == TOP_LEVEL
    assert area(pr("Fix")) == NO_FILES
    assert main_folder(pr("feat(replay): canvas", "packages/browser/src/x.ts")) == (
        "packages/browser"
    )
    assert folder_areas(pr("Fix", "b/x", "a/y", "b/z", "packages/p.json")) == ("b", "a", "packages")


def test_groups_by_type_then_area_largest_first_every_pr_once() -> None:
    links = [
        Link(pr(title, *paths, number=n), None, "web", "paths", "r")
        for n, (title, paths) in enumerate(
            [
                ("fix: a", ("web/a",)),
                ("docs: b", ("docs/b",)),
                ("fix(api): c", ("web/c",)),
                ("fix: d", ("web/d",)),
                ("Add e", ("web/e",)),
                ("docs: f", ("docs/f",)),
            ],
            start=1,
        )
    ]
    groups = group_by_type(links)
    assert [(g.label, g.count) for g in groups] == [("Fixes", 3), ("Docs", 2), ("Other", 1)]
    fixes = groups[0]
    assert [(a.area, [lk.pr.number for lk in a.links]) for a in fixes.areas] == [
        ("web", [1, 4]),
        ("api", [3]),
    ]
    numbers = sorted(lk.pr.number for g in groups for a in g.areas for lk in a.links)
    assert numbers == [1, 2, 3, 4, 5, 6]


def test_area_groups_by_folder_with_authors() -> None:
    a = Link(pr("feat(x): a", "docs/a", number=1), None, None, "none", "r")
    b = Link(PullRequest(2, "b", "bob", NOV, paths=("docs/b",)), None, None, "none", "r")
    c = Link(pr("c", "web/c", number=3), None, None, "none", "r")
    groups = group_by_area([a, b, c], main_folder)
    assert [(g.area, g.authors) for g in groups] == [("docs", ("ann", "bob")), ("web", ("ann",))]
