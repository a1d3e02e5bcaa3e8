"""CODEOWNERS parsing and matching, checked against GitHub's "About code owners" page."""

from __future__ import annotations

import pytest

from quarterdeck.core.review.codeowners import (
    CODEOWNERS_PATHS,
    Rule,
    parse_codeowners,
    specificity_of,
)

# The example file from GitHub's "About code owners" (comments shortened).
GITHUB_EXAMPLE = """\
# This is a comment.
# Each line is a file pattern followed by one or more owners.

*       @global-owner1 @global-owner2
*.js    @js-owner #This is an inline comment.
*.go docs@example.com
*.txt @octo-org/octocats
/build/logs/ @doctocat
docs/*  docs@example.com
apps/ @octocat
/docs/ @doctocat
/scripts/ @doctocat @octocat
**/logs @octocat
/apps/ @octocat
/apps/github
/apps/ @octocat
/apps/github @doctocat
"""


def line_of(text: str, content: str) -> int:
    """The 1-based number of the last line of `text` that is exactly `content`."""
    lines = text.splitlines()
    return max(i for i, line in enumerate(lines, start=1) if line == content)


@pytest.mark.parametrize(
    ("path", "owners", "deciding"),
    [
        (
            "README.md",
            ("@global-owner1", "@global-owner2"),
            "*       @global-owner1 @global-owner2",
        ),
        ("src/app.js", ("@js-owner",), "*.js    @js-owner #This is an inline comment."),
        ("cmd/main.go", ("docs@example.com",), "*.go docs@example.com"),
        ("notes.txt", ("@octo-org/octocats",), "*.txt @octo-org/octocats"),
        # `/build/logs/` matches, but `**/logs` comes later and wins.
        ("build/logs/today.log", ("@octocat",), "**/logs @octocat"),
        ("deeply/nested/logs/x.log", ("@octocat",), "**/logs @octocat"),
        ("scripts/run.sh", ("@doctocat", "@octocat"), "/scripts/ @doctocat @octocat"),
        ("lib/apps/main.py", ("@octocat",), "apps/ @octocat"),
        ("docs/build-app/troubleshooting.md", ("@doctocat",), "/docs/ @doctocat"),
        ("apps/github/hub.py", ("@doctocat",), "/apps/github @doctocat"),
        ("apps/other/thing.py", ("@octocat",), "/apps/ @octocat"),
    ],
)
def test_github_example_last_matching_line_wins(
    path: str, owners: tuple[str, ...], deciding: str
) -> None:
    codeowners = parse_codeowners(GITHUB_EXAMPLE, ".github/CODEOWNERS")
    assert codeowners.problems == ()
    assert codeowners.owners_of(path) == owners
    rule = codeowners.rule_for(path)
    assert rule is not None
    assert rule.line == line_of(GITHUB_EXAMPLE, deciding)


def test_github_example_rules_and_entries() -> None:
    codeowners = parse_codeowners(GITHUB_EXAMPLE, "CODEOWNERS")
    assert [r.pattern for r in codeowners.rules] == [
        "*",
        "*.js",
        "*.go",
        "*.txt",
        "/build/logs/",
        "docs/*",
        "apps/",
        "/docs/",
        "/scripts/",
        "**/logs",
        "/apps/",
        "/apps/github",
        "/apps/",
        "/apps/github",
    ]
    assert codeowners.rules[1] == Rule(5, "*.js", ("@js-owner",))
    assert codeowners.entries() == {
        "@global-owner1",
        "@global-owner2",
        "@js-owner",
        "docs@example.com",
        "@octo-org/octocats",
        "@doctocat",
        "@octocat",
    }


def test_docs_star_owns_only_files_directly_in_docs() -> None:
    # GitHub: `docs/*` matches `docs/getting-started.md` but not
    # `docs/build-app/troubleshooting.md` (gitignore would match both).
    codeowners = parse_codeowners("docs/*  docs@example.com\n", "CODEOWNERS")
    assert codeowners.owners_of("docs/getting-started.md") == ("docs@example.com",)
    assert codeowners.owners_of("docs/build-app/troubleshooting.md") == ()
    assert codeowners.owners_of("docs/a/b/c.md") == ()
    assert codeowners.owners_of("other/docs/x.md") == ()


def test_a_line_without_owners_leaves_its_paths_unowned() -> None:
    text = "/apps/ @octocat\n/apps/github\n"
    codeowners = parse_codeowners(text, "CODEOWNERS")
    assert codeowners.problems == ()
    assert codeowners.owners_of("apps/web/index.js") == ("@octocat",)
    assert codeowners.owners_of("apps/github/hub.py") == ()
    assert codeowners.rule_for("apps/github/hub.py") == Rule(2, "/apps/github", ())
    assert codeowners.owners_of("README.md") == ()
    assert codeowners.rule_for("README.md") is None
    assert codeowners.entries() == {"@octocat"}


@pytest.mark.parametrize(
    ("pattern", "matching", "not_matching"),
    [
        ("foo", ["foo", "foo/bar", "bar/foo", "bar/foo/baz"], ["foo.txt", "bar/foo.txt"]),
        ("/foo", ["foo", "foo/bar/baz"], ["bar/foo", "fool.txt"]),
        ("foo/", ["foo/bar", "bar/foo/baz/qux"], ["foo", "bar/foo"]),
        ("/foo/", ["foo/bar", "foo/bar/baz"], ["foo", "bar/foo/baz"]),
        ("foo/bar", ["foo/bar", "foo/bar/baz"], ["foo/bart", "baz/foo/bar"]),
        ("foo/bar/", ["foo/bar/baz"], ["foo/bar", "baz/foo/bar/qux"]),
        ("*", ["foo", "foo/bar", "a/b/c"], []),
        ("f*", ["foo", "foo/bar", "bar/foo/baz"], ["bar/baz", "xfoo"]),
        ("/*", ["foo", "bar"], ["foo/bar", "foo/bar/baz"]),
        ("/f*", ["foo", "foo/bar/baz"], ["bar/foo", "xfoo"]),
        ("/*/", ["foo/bar", "bar/foo/baz"], ["foo"]),
        ("foo/*", ["foo/bar"], ["foo", "foo/bar/baz", "bar/foo/baz"]),
        ("foo/*.txt", ["foo/bar.txt"], ["foo/bar/baz.txt", "qux/foo/bar.txt"]),
        ("foo/*/baz", ["foo/bar/baz", "foo/bar/baz/qux"], ["foo/baz", "foo/bar"]),
        ("*/*", ["a/b"], ["a", "a/b/c"]),
        ("f?o", ["foo"], ["fo", "fooo"]),
        ("f\\*o", ["f*o"], ["foo"]),
        ("**/foo/bar", ["foo/bar", "qux/foo/bar/baz"], ["foo/baz/bar"]),
        ("**/*", ["a", "a/b/c"], []),
        ("foo/**/*", ["foo/a", "foo/a/b/c"], ["foo", "bar/a"]),
        ("foo/bar/**", ["foo/bar/baz", "foo/bar/baz/qux"], ["foo/bar", "qux/foo/bar/baz"]),
        ("foo/**/bar", ["foo/bar", "foo/a/b/bar/baz"], ["qux/foo/bar"]),
        ("foo/**/bar/b*", ["foo/bar/baz", "foo/qux/bar/baz"], ["foo/bar/qux", "foo/bar"]),
        ("docs/**/*.md", ["docs/a.md", "docs/x/y/z.md"], ["docs/a.txt", "x/docs/a.md"]),
        ("my\\ file.txt", ["my file.txt", "sub/my file.txt"], ["my"]),
    ],
)
def test_pattern_syntax(pattern: str, matching: list[str], not_matching: list[str]) -> None:
    rule = Rule(1, pattern, ("@owner",))
    assert [p for p in matching if not rule.matches(p)] == []
    assert [p for p in not_matching if rule.matches(p)] == []


def test_paths_are_case_sensitive() -> None:
    codeowners = parse_codeowners("/Docs/ @a\n*.MD @b\n", "CODEOWNERS")
    assert codeowners.owners_of("docs/x.txt") == ()
    assert codeowners.owners_of("Docs/x.txt") == ("@a",)
    assert codeowners.owners_of("Docs/x.md") == ("@a",)
    assert codeowners.owners_of("Docs/x.MD") == ("@b",)


def test_a_leading_slash_on_the_path_is_ignored() -> None:
    codeowners = parse_codeowners("/src/ @a\n", "CODEOWNERS")
    assert codeowners.owners_of("/src/main.py") == ("@a",)
    assert codeowners.owners_of("") == ()


def test_invalid_lines_are_skipped_and_reported_with_source_and_line() -> None:
    text = (
        "* @everyone\n"
        "!secret.txt @a\n"
        "src/[ab].py @b\n"
        "\\#notes @c\n"
        "/lib/ @lib-team TODO\n"
        "a/***/b @d\n"
        "/ @e\n"
        "/web/ @acme/web  # a trailing comment\n"
    )
    codeowners = parse_codeowners(text, ".github/CODEOWNERS")
    assert [(r.line, r.pattern, r.owners) for r in codeowners.rules] == [
        (1, "*", ("@everyone",)),
        (8, "/web/", ("@acme/web",)),
    ]
    assert [(p.file, p.line, p.severity) for p in codeowners.problems] == [
        (".github/CODEOWNERS", n, "warning") for n in (2, 3, 4, 5, 6, 7)
    ]
    messages = [str(p) for p in codeowners.problems]
    assert messages[0].startswith(".github/CODEOWNERS:2: `!secret.txt`: negation")
    assert "`[ ]` ranges" in messages[1]
    assert "escaping `#`" in messages[2]
    assert messages[3] == (
        ".github/CODEOWNERS:5: `TODO` is not an owner (write @user, @org/team or an "
        "email address); line skipped (warning)"
    )
    assert "***" in messages[4]
    assert "matches nothing" in messages[5]
    # The skipped lines never decide: GitHub uses the rest of the file.
    assert codeowners.owners_of("lib/x.py") == ("@everyone",)
    assert codeowners.owners_of("secret.txt") == ("@everyone",)
    assert codeowners.owners_of("web/app.ts") == ("@acme/web",)


@pytest.mark.parametrize(
    "owner", ["@alice", "@a-b", "@acme/replay", "@Acme/Team_1.x", "jane.doe@example.com"]
)
def test_valid_owner_forms(owner: str) -> None:
    codeowners = parse_codeowners(f"* {owner}\n", "CODEOWNERS")
    assert codeowners.problems == ()
    assert codeowners.entries() == {owner}


@pytest.mark.parametrize("owner", ["@", "alice", "@-alice", "@acme/", "@acme/team/x", "a@b"])
def test_invalid_owner_forms(owner: str) -> None:
    codeowners = parse_codeowners(f"* {owner}\n", "CODEOWNERS")
    assert codeowners.rules == ()
    assert len(codeowners.problems) == 1


def test_comments_blank_lines_and_crlf() -> None:
    text = "# owners\r\n\r\n   \r\n  # indented comment\r\n/src/ @a\r\n"
    codeowners = parse_codeowners(text, "CODEOWNERS")
    assert codeowners.rules == (Rule(5, "/src/", ("@a",)),)
    assert codeowners.problems == ()
    assert parse_codeowners("", "CODEOWNERS").rules == ()


def test_locations_in_githubs_order() -> None:
    assert CODEOWNERS_PATHS == (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")


def test_specificity_orders_nested_patterns() -> None:
    replay = Rule(1, "/packages/browser/src/extensions/replay/", ("@acme/replay",))
    browser = Rule(2, "/packages/browser/", ("@acme/browser",))
    js = Rule(3, "*.js", ("@js",))
    floating = Rule(4, "apps/", ("@apps",))
    assert replay.specificity == (5, 34)
    assert browser.specificity == (2, 15)
    assert js.specificity == (0, 3)
    assert floating.specificity == (0, 4)
    assert replay.specificity > browser.specificity > floating.specificity > js.specificity
    assert not floating.anchored
    assert replay.anchored
    assert Rule(5, "docs/*", ()).specificity == (1, 4)


def test_specificity_of_config_patterns_shares_the_scale() -> None:
    # Config path patterns are anchored at the root, like `/packages/browser/`.
    assert specificity_of("packages/browser/**") == Rule(1, "/packages/browser/", ()).specificity
    assert specificity_of("packages/*/src/**") == (1, 11)
    assert specificity_of("**/*.md", anchored=True) == (0, 3)
    assert specificity_of("apps", anchored=False) == (0, 4)
