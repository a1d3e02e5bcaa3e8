"""Link each merged PR to the quarterly goal it moves, or to the team whose unplanned work it is.

Pure functions over the model: no I/O, no clock. The first rule that matches wins:

1. ``reference``  — the body references a goal's tracking issue (``Goal: #12``,
   ``Part of #12``, ``Fixes #12``), or an issue whose parent is a goal issue;
   GitHub's own list of issues the PR closes counts too.
2. ``label``      — a PR label ``goal:<id>``, or a ``goal:<id>`` token in the body
   (offline, the commit message stands in for labels);
   ``branch``     — the branch name starts with ``<goal-id>/``.
3. unplanned work: ``paths`` (the team owning most changed paths), ``team-label``,
   ``author`` (the team the author is on), else ``none``.

Bots are linked like anyone else; metrics decide what to do with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config, Goal, Link, PullRequest, Team

# Reference syntax. A keyword must start a word ("hotfix #3" is not "fix #3") and the
# number must end one ("#12abc" is not an issue). `owner/repo#12` never matches
# because the `#` has to follow the keyword directly.
_CLOSING = r"close[sd]?|fix(?:e[sd])?|resolve[sd]?"
_ISSUE_REF = re.compile(
    rf"(?<![\w-])(?:goal\s*:\s*|part\s+of\s*:?\s*|(?:{_CLOSING})(?:\s*:\s*|\s+))"
    r"#(?P<num>\d+)(?![\w-])",
    re.IGNORECASE,
)
_GOAL_TOKEN = re.compile(r"(?<![\w/.-])(?i:goal):(?P<id>[a-z0-9][a-z0-9-]*)(?![\w-])")

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_FENCE_CLOSE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*$")
# A code span: a run of n backticks closed by a run of exactly n; it cannot cross a
# blank line (a paragraph break), so one stray backtick cannot hide the rest of a body.
_INLINE_CODE = re.compile(
    r"(?<!`)(?P<ticks>`+)(?!`)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)(?P=ticks)(?!`)"
)
# PR templates hide examples such as `<!-- Fixes #123 -->` in comments.
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class References:
    """Issue numbers and goal ids a PR body or commit message points at, in order."""

    issues: tuple[int, ...] = ()
    goal_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Mention:
    """One reference as written, kept so a Link's reason can quote it."""

    text: str
    issue: int | None = None
    goal_id: str | None = None


def parse_references(text: str) -> References:
    """Find goal and issue references in a PR body or commit message.

    Issues come from ``Goal: #N``, ``Part of #N`` and GitHub's closing keywords
    (close/closes/closed, fix/fixes/fixed, resolve/resolves/resolved, any case, an
    optional colon); goal ids from ``goal:<slug>`` tokens. Order of appearance is kept
    and duplicates dropped. Anything inside inline code, fenced code blocks or HTML
    comments is ignored.

    Out of scope: full-URL references (``https://github.com/o/r/issues/12``), keyword
    lists (``Fixes #1, #2`` yields only #1, as on GitHub) and indented code blocks.
    """
    mentions = _mentions(text)
    issues = dict.fromkeys(m.issue for m in mentions if m.issue is not None)
    goal_ids = dict.fromkeys(m.goal_id for m in mentions if m.goal_id is not None)
    return References(issues=tuple(issues), goal_ids=tuple(goal_ids))


def _mentions(text: str) -> list[_Mention]:
    prose = strip_code(text)
    found: list[tuple[int, _Mention]] = []
    for m in _ISSUE_REF.finditer(prose):
        number = int(m.group("num"))
        if number > 0:
            found.append((m.start(), _Mention(_squash(m.group(0)), issue=number)))
    for m in _GOAL_TOKEN.finditer(prose):
        found.append((m.start(), _Mention(m.group(0), goal_id=m.group("id"))))
    found.sort(key=lambda item: item[0])
    return [mention for _, mention in found]


def _squash(text: str) -> str:
    """`Part of\\n#12` quoted in a reason reads better on one line."""
    return " ".join(text.split())


def strip_code(text: str) -> str:
    """The text with fenced code blocks, code spans and HTML comments blanked out."""
    text = _HTML_COMMENT.sub(" ", text)
    kept: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        if fence is None:
            opening = _FENCE_OPEN.match(line)
            # A backtick fence's info string cannot hold backticks (CommonMark), so
            # "```foo``` bar" is a code span, not a fence.
            if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
                fence = opening["fence"]
                kept.append("")
            else:
                kept.append(line)
            continue
        closing = _FENCE_CLOSE.match(line)
        if closing and closing["fence"][0] == fence[0] and len(closing["fence"]) >= len(fence):
            fence = None
        kept.append("")
    return _INLINE_CODE.sub(" ", "\n".join(kept))


# ---------------------------------------------------------------------------- goals


def quarter_of(moment: datetime, tz: str = "UTC") -> str:
    """The `YYYY-Qn` quarter a moment falls in, in timezone `tz` (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(tz))
    return Month(local.year, local.month).quarter


def choose_goal(candidates: Iterable[Goal], quarter: str | None) -> Goal | None:
    """Pick one of several goals sharing an id or issue across quarters.

    The goal of `quarter` (the PR's merge quarter) wins; else the latest quarter not
    after it (work carried on from an earlier goal); else the most recent quarter.
    Config order breaks ties. With no `quarter`, the most recent quarter wins.
    """
    goals = list(candidates)
    if not goals:
        return None
    if quarter is not None:
        same = [g for g in goals if g.quarter == quarter]
        if same:
            return same[0]
        earlier = [g for g in goals if g.quarter < quarter]
        if earlier:
            goals = earlier
    latest = max(g.quarter for g in goals)
    return next(g for g in goals if g.quarter == latest)


def resolve_goal(config: Config, goal_id: str, quarter: str | None = None) -> Goal | None:
    """The goal a `goal_id` means for a PR merged in `quarter` (see `choose_goal`)."""
    return choose_goal((g for g in config.goals if g.id == goal_id), quarter)


@dataclass(frozen=True)
class _Index:
    """Look-ups built once per config, so linking thousands of PRs stays linear."""

    by_id: dict[str, list[Goal]]
    by_issue: dict[int, list[Goal]]

    @classmethod
    def build(cls, config: Config) -> _Index:
        by_id: dict[str, list[Goal]] = {}
        by_issue: dict[int, list[Goal]] = {}
        for goal in config.goals:
            by_id.setdefault(goal.id, []).append(goal)
            if goal.issue is not None:
                by_issue.setdefault(goal.issue, []).append(goal)
        return cls(by_id, by_issue)


# ---------------------------------------------------------------------------- linking


def link_pr(pr: PullRequest, config: Config, *, quarter: str | None = None) -> Link:
    """Link one merged PR: to a goal if a goal rule matches, else to a team, else to nobody.

    `quarter` is the PR's merge quarter (`YYYY-Qn`); it decides between goals that
    share an id or an issue across quarters. Goal-linked PRs belong to the goal's team.
    The Link's `reason` quotes what matched, unescaped (rendering escapes).
    """
    return _link(pr, config, _Index.build(config), quarter)


def link_all(prs: Sequence[PullRequest], config: Config, *, tz: str = "UTC") -> list[Link]:
    """Link every PR, in input order, each to exactly one bucket.

    A PR's quarter is taken from its `merged_at` in timezone `tz`.
    """
    index = _Index.build(config)
    return [_link(pr, config, index, quarter_of(pr.merged_at, tz)) for pr in prs]


def _link(pr: PullRequest, config: Config, index: _Index, quarter: str | None) -> Link:
    mentions = _mentions(pr.body)
    for rule in (_by_reference, _by_label, _by_branch):
        found = rule(pr, mentions, index, quarter)
        if found is not None:
            goal, name, reason = found
            return Link(pr=pr, goal_id=goal.id, team=goal.team, rule=name, reason=reason)
    for team_rule in (_by_paths, _by_team_label, _by_author):
        owned = team_rule(pr, config)
        if owned is not None:
            team, name, reason = owned
            return Link(pr=pr, goal_id=None, team=team.slug, rule=name, reason=reason)
    return Link(
        pr=pr,
        goal_id=None,
        team=None,
        rule="none",
        reason="no goal reference, goal label or goal branch, and no team owns its paths, "
        "labels or author",
    )


_GoalMatch = tuple[Goal, str, str]
_TeamMatch = tuple[Team, str, str]


def _where(pr: PullRequest) -> str:
    return "the commit message" if pr.source == "git" else "the body"


def _by_reference(
    pr: PullRequest, mentions: list[_Mention], index: _Index, quarter: str | None
) -> _GoalMatch | None:
    seen: set[int] = set()
    for mention in mentions:
        if mention.issue is None or mention.issue in seen:
            continue
        seen.add(mention.issue)
        said = f"{_where(pr)} says `{mention.text}`"
        found = _goal_of_issue(mention.issue, said, pr, index, quarter)
        if found is not None:
            return found
    for number in pr.closing_issues:
        if number in seen:
            continue
        seen.add(number)
        found = _goal_of_issue(number, f"GitHub says it closes #{number}", pr, index, quarter)
        if found is not None:
            return found
    return None


def _goal_of_issue(
    number: int, said: str, pr: PullRequest, index: _Index, quarter: str | None
) -> _GoalMatch | None:
    goal = choose_goal(index.by_issue.get(number, ()), quarter)
    if goal is not None:
        return goal, "reference", f"{said} (goal issue of {goal.id})"
    parent = pr.parent_issues.get(number)
    goal = choose_goal(index.by_issue.get(parent, ()), quarter) if parent is not None else None
    if goal is not None:
        reason = f"{said}; #{number} belongs to #{parent}, the goal issue of {goal.id}"
        return goal, "reference", reason
    return None


def _by_label(
    pr: PullRequest, mentions: list[_Mention], index: _Index, quarter: str | None
) -> _GoalMatch | None:
    for label in pr.labels:
        goal_id = label.removeprefix("goal:")
        if label.startswith("goal:") and goal_id in index.by_id:
            goal = choose_goal(index.by_id[goal_id], quarter)
            assert goal is not None  # by_id holds only non-empty lists
            return goal, "label", f"label `{label}` names goal {goal.id}"
    for mention in mentions:
        if mention.goal_id is not None and mention.goal_id in index.by_id:
            goal = choose_goal(index.by_id[mention.goal_id], quarter)
            assert goal is not None
            return goal, "label", f"{_where(pr)} says `{mention.text}`"
    return None


def _by_branch(
    pr: PullRequest, mentions: list[_Mention], index: _Index, quarter: str | None
) -> _GoalMatch | None:
    # Goal ids are slugs without "/", so only the branch's first segment can match.
    if not pr.branch or "/" not in pr.branch:
        return None
    prefix = pr.branch.split("/", 1)[0]
    goal = choose_goal(index.by_id.get(prefix, ()), quarter)
    if goal is None:
        return None
    return goal, "branch", f"branch `{pr.branch}` starts with goal id `{prefix}/`"


def _by_paths(pr: PullRequest, config: Config) -> _TeamMatch | None:
    best: tuple[Team, int, list[str]] | None = None
    for team in config.teams:
        matched = [p for p in pr.paths if any(path_matches(p, pat) for pat in team.paths)]
        # Strictly more, so a tie goes to the team listed first in the config.
        if matched and (best is None or len(matched) > best[1]):
            used = [pat for pat in team.paths if any(path_matches(p, pat) for p in matched)]
            best = (team, len(matched), used)
    if best is None:
        return None
    team, count, used = best
    patterns = " and ".join(f"`{pat}`" for pat in used)
    verb = "are under" if all(_is_directory_pattern(pat) for pat in used) else "match"
    reason = f"{count} of {len(pr.paths)} changed paths {verb} {team.slug}'s {patterns}"
    return team, "paths", reason


def _by_team_label(pr: PullRequest, config: Config) -> _TeamMatch | None:
    for team in config.teams:
        label = next((lb for lb in pr.labels if lb in team.labels), None)
        if label is not None:
            return team, "team-label", f"label `{label}` belongs to {team.slug}"
    return None


def _by_author(pr: PullRequest, config: Config) -> _TeamMatch | None:
    author = pr.author.casefold()
    for team in config.teams:
        for login in team.people:
            if login.casefold() == author:
                return team, "author", f"author {pr.author} is on {team.slug}"
            aliases = config.identities.get(login, ())
            if any(alias.casefold() == author for alias in aliases):
                reason = f"author {pr.author} is {login} (config identities), on {team.slug}"
                return team, "author", reason
    return None


# ---------------------------------------------------------------------------- paths


def path_matches(path: str, pattern: str) -> bool:
    """Whether a repo-relative path falls under an ownership glob.

    Patterns are anchored at the repo root. ``*`` and ``?`` stay within one path
    segment, ``**`` spans any number of segments (``a/**/b`` matches ``a/b``), and
    ``[...]`` is a character class as in fnmatch. A pattern ending in ``/`` or without
    any glob character names a directory (or file) and matches everything under it.
    A pattern without a slash is still anchored: write ``**/*.md`` for any depth.
    """
    return _compile(pattern).fullmatch(path.lstrip("/")) is not None


def _is_directory_pattern(pattern: str) -> bool:
    return pattern.endswith(("/", "/**")) or not any(c in pattern for c in "*?[")


_DOUBLE_STAR = {
    (True, True): ".*",
    (True, False): "(?:.*/)?",
    (False, True): "(?:/.*)?",
    (False, False): "(?:/.*)?/",
}


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    pattern = pattern.strip().lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    elif not any(c in pattern for c in "*?["):
        pattern += "/**"  # a plain name owns itself and everything under it
    segments: list[str] = []
    for segment in pattern.split("/"):
        if not (segment == "**" and segments and segments[-1] == "**"):
            segments.append(segment)  # `**/**` means no more than `**`
    parts: list[str] = []
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "**":
            # Zero or more whole segments, separators included, so `a/**/b` matches
            # `a/b` and `a/x/y/b` but not `ab`; a trailing one matches the bare `a` too.
            parts.append(_DOUBLE_STAR[(i == 0, last)])
            continue
        parts.append(_segment(segment))
        if not last and segments[i + 1] != "**":
            parts.append("/")
    return re.compile("".join(parts))


def _segment(segment: str) -> str:
    """One path segment of a glob as a regex; `*`/`?` never cross a `/`."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        char = segment[i]
        if char == "*":
            while i + 1 < len(segment) and segment[i + 1] == "*":
                i += 1  # `a**b` inside a segment is just `*`, as in gitignore
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := segment.find("]", i + 2)) != -1:
            body = segment[i + 1 : end]
            negate = body.startswith("!")
            body = body[1:] if negate else body
            body = body.replace("\\", "\\\\").replace("[", "\\[")
            if not negate and body.startswith("^"):
                body = "\\" + body  # a literal caret, as fnmatch reads `[^a]`
            out.append("[" + ("^/" if negate else "") + body + "]")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)
