"""Link each merged PR to the quarterly goal it moves, or to the team whose unplanned work it is.

Pure functions over the model: no I/O, no clock. The first rule that matches wins:

1. ``reference``  — the body references a goal's tracking issue (``Goal: #12``,
   ``Part of #12``, ``Fixes #12``), or an issue whose parent is a goal issue;
   GitHub's own list of issues the PR closes counts too.
2. ``label``      — a PR label ``goal:<id>``, or a ``goal:<id>`` token in the body
   (offline, the commit message stands in for labels);
   ``branch``     — the branch name starts with ``<goal-id>/``.
3. what a goal of the merge quarter declares (`core.review.goal_rules`): ``goal-label``,
   ``goal-branch``, ``goal-scope``, ``goal-paths``, ``goal-keyword``, in that order.
4. unplanned work (`core.review.ownership`): ``paths`` (the team owning most changed paths,
   most specific pattern per path, CODEOWNERS lines included), ``team-label``,
   ``repo`` (the team owning the PR's repository), ``author`` (the author's team, else
   a co-author's), else ``none``.

`Link.rule` is that short id; `Link.reason` says in words what matched.

Bots are linked like anyone else; metrics decide what to do with them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from quarterdeck.core.calendar import Month
from quarterdeck.core.model import Config, Goal, Link, PullRequest
from quarterdeck.core.review import goal_rules, ownership
from quarterdeck.core.review.globs import path_matches
from quarterdeck.core.review.goal_rules import GoalMatch
from quarterdeck.core.review.repositories import from_home
from quarterdeck.core.vocabulary import is_full_name

__all__ = [
    "References",
    "choose_goal",
    "link_all",
    "link_pr",
    "parse_references",
    "path_matches",
    "quarter_of",
    "resolve_goal",
    "strip_code",
    "strip_comments",
]

# Reference syntax. A keyword must start a word ("hotfix #3" is not "fix #3") and the
# number must end one ("#12abc" is not an issue). `Fixes acme/web#12` names issue 12
# of acme/web (`repo`); a bare `#12` is the PR's own repository's.
_CLOSING = r"close[sd]?|fix(?:e[sd])?|resolve[sd]?"
# Each alternative is one way through a run of spaces (`\s*:\s*` or `\s*`, never
# `\s*:?\s*`, whose two stars split a run n ways), so a match attempt is linear.
_ISSUE_REF = re.compile(
    rf"(?<![\w-])(?:goal\s*:\s*|part\s+of(?:\s*:\s*|\s*)|(?:{_CLOSING})(?:\s*:\s*|\s+))"
    r"(?P<repo>[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9_.-]{1,100})?#(?P<num>\d+)(?![\w-])",
    re.IGNORECASE,
)
_GOAL_TOKEN = re.compile(r"(?<![\w/.-])(?i:goal):(?P<id>[a-z0-9][a-z0-9-]*)(?![\w-])")

_FENCE_OPEN = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_FENCE_CLOSE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})[ \t]*$")
_TICKS = re.compile(r"`+")
# A newline that ends a paragraph: only spaces or tabs before the next newline.
_PARAGRAPH_BREAK = re.compile(r"\n(?=[ \t]*\n)")
# GitHub refuses a PR, issue or comment body over 65,536 characters, so nothing a PR
# can carry is lost by reading only that much; a longer commit message is cut there.
MAX_PARSED = 65_536


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
    repo: str | None = None  # `owner/name` of a qualified reference; None: the PR's own


def parse_references(text: str) -> References:
    """Find goal and issue references in a PR body or commit message.

    Issues come from ``Goal: #N``, ``Part of #N`` and GitHub's closing keywords
    (close/closes/closed, fix/fixes/fixed, resolve/resolves/resolved, any case, an
    optional colon); goal ids from ``goal:<slug>`` tokens. Order of appearance is kept
    and duplicates dropped. Anything inside inline code, fenced code blocks or HTML
    comments is ignored.

    References to another repository's issues (``Fixes acme/web#12``) are not issue
    numbers of this one, so they are left out here; linking reads them.

    Out of scope: full-URL references (``https://github.com/o/r/issues/12``), keyword
    lists (``Fixes #1, #2`` yields only #1, as on GitHub) and indented code blocks.
    """
    mentions = _mentions(text)
    issues = dict.fromkeys(m.issue for m in mentions if m.issue is not None and m.repo is None)
    goal_ids = dict.fromkeys(m.goal_id for m in mentions if m.goal_id is not None)
    return References(issues=tuple(issues), goal_ids=tuple(goal_ids))


def _mentions(text: str) -> list[_Mention]:
    prose = strip_code(text[:MAX_PARSED])
    found: list[tuple[int, _Mention]] = []
    for m in _ISSUE_REF.finditer(prose):
        number = int(m.group("num"))
        repo = m.group("repo")
        # `Goal: acme/..#3` names no repository: a qualified reference that could walk
        # the API's URL is no reference at all (`vocabulary.is_full_name`).
        if number > 0 and (repo is None or is_full_name(repo)):
            mention = _Mention(_squash(m.group(0)), issue=number, repo=m.group("repo"))
            found.append((m.start(), mention))
    for m in _GOAL_TOKEN.finditer(prose):
        found.append((m.start(), _Mention(m.group(0), goal_id=m.group("id"))))
    found.sort(key=lambda item: item[0])
    return [mention for _, mention in found]


def _squash(text: str) -> str:
    """`Part of\\n#12` quoted in a reason reads better on one line."""
    return " ".join(text.split())


def strip_code(text: str) -> str:
    """The text with fenced code blocks, code spans and HTML comments blanked out.

    Linear in the text's length: comments and code spans are found by one forward
    scan each, not by a regex that rescans the rest of the text from every `<!--` or
    backtick that is never closed.
    """
    text = strip_comments(text)
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
    return _strip_code_spans("\n".join(kept))


def strip_comments(text: str) -> str:
    """Each `<!-- … -->` replaced by a space; PR templates hide `<!-- Fixes #123 -->`.

    An opening `<!--` with no `-->` after it is left as text, and so is every later
    one: none of them can close either, so the scan stops there.
    """
    parts: list[str] = []
    at = 0
    while (start := text.find("<!--", at)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        parts += [text[at:start], " "]
        at = end + 3
    parts.append(text[at:])
    return "".join(parts)


def _strip_code_spans(text: str) -> str:
    """Each code span replaced by a space.

    A span is a run of n backticks closed by the next run of exactly n; it cannot
    cross a blank line (a paragraph break), so one stray backtick cannot hide the rest
    of a body. Each run's closer is looked up in a table built in one backward pass.
    """
    runs = [(m.start(), m.end()) for m in _TICKS.finditer(text)]
    if len(runs) < 2:
        return text
    breaks = [m.start() for m in _PARAGRAPH_BREAK.finditer(text)]
    paragraph = _paragraph_numbers([start for start, _ in runs], breaks)
    closer: list[int | None] = [None] * len(runs)
    last_of_length: dict[int, int] = {}
    for i in range(len(runs) - 1, -1, -1):
        length = runs[i][1] - runs[i][0]
        closer[i] = last_of_length.get(length)
        last_of_length[length] = i
    parts: list[str] = []
    at = i = 0
    while i < len(runs):
        j = closer[i]
        if j is not None and paragraph[j] == paragraph[i]:
            parts += [text[at : runs[i][0]], " "]
            at = runs[j][1]
            i = j + 1
        else:
            i += 1
    parts.append(text[at:])
    return "".join(parts)


def _paragraph_numbers(positions: list[int], breaks: list[int]) -> list[int]:
    """For each of the ascending `positions`, how many paragraph breaks come before it."""
    numbers: list[int] = []
    passed = 0
    for position in positions:
        while passed < len(breaks) and breaks[passed] < position:
            passed += 1
        numbers.append(passed)
    return numbers


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
    goals: tuple[Goal, ...]
    claiming: dict[str | None, list[Goal]]  # quarter -> goals whose declarations claim

    @classmethod
    def build(cls, config: Config) -> _Index:
        by_id: dict[str, list[Goal]] = {}
        by_issue: dict[int, list[Goal]] = {}
        for goal in config.goals:
            by_id.setdefault(goal.id, []).append(goal)
            if goal.issue is not None:
                by_issue.setdefault(goal.issue, []).append(goal)
        return cls(by_id, by_issue, config.goals, {})

    def claiming_goals(self, quarter: str | None) -> list[Goal]:
        if quarter not in self.claiming:
            self.claiming[quarter] = goal_rules.claiming_goals(self.goals, quarter)
        return self.claiming[quarter]


# ---------------------------------------------------------------------------- linking


def link_pr(
    pr: PullRequest, config: Config, *, quarter: str | None = None, home: str | None = None
) -> Link:
    """Link one merged PR: to a goal if a goal rule matches, else to a team, else to nobody.

    `quarter` is the PR's merge quarter (`YYYY-Qn`); it decides between goals that
    share an id or an issue across quarters. Goal-linked PRs belong to the goal's team.
    `home` is the repository the goal issues live in (see `link_all`). The Link's
    `reason` quotes what matched, unescaped (rendering escapes).
    """
    return _link(pr, config, _Index.build(config), quarter, home)


def link_all(
    prs: Sequence[PullRequest], config: Config, *, tz: str = "UTC", home: str | None = None
) -> list[Link]:
    """Link every PR, in input order, each to exactly one bucket.

    A PR's quarter is taken from its `merged_at` in timezone `tz`. `home` is the
    repository the goal issues live in ("owner/name"; None: the PRs' own): `#12` in
    a PR of another repository is that repository's #12, so it never names a goal.
    """
    index = _Index.build(config)
    return [_link(pr, config, index, quarter_of(pr.merged_at, tz), home) for pr in prs]


def _link(
    pr: PullRequest, config: Config, index: _Index, quarter: str | None, home: str | None = None
) -> Link:
    # Every goal rule answers with a goal of the index: without goals there is nothing
    # to find, and reading a busy window's messages for references costs the most.
    if index.goals:
        found = _goal_of(pr, config, index, quarter, home)
        if found is not None:
            goal, name, reason = found
            return Link(pr, goal.id, goal.team, name, reason, goal)
    owned_by = (
        lambda: ownership.by_paths(pr, config, home),
        lambda: ownership.by_team_label(pr, config),
        lambda: ownership.by_repo(pr, config),
        lambda: ownership.by_author(pr, config),
    )
    for team_rule in owned_by:
        owned = team_rule()
        if owned is not None:
            team, name, reason = owned
            return Link(pr=pr, goal_id=None, team=team.slug, rule=name, reason=reason)
    reason = ownership.nobody_reason(pr)
    return Link(pr=pr, goal_id=None, team=None, rule="none", reason=reason)


def _goal_of(
    pr: PullRequest, config: Config, index: _Index, quarter: str | None, home: str | None
) -> GoalMatch | None:
    """The goal a goal rule links the PR to, the rules in order; None if none does."""
    mentions = _mentions(pr.body)
    return (
        _by_reference(pr, mentions, index, quarter, home)
        or _by_label(pr, mentions, index, quarter)
        or _by_branch(pr, mentions, index, quarter)
        or goal_rules.declared_goal(pr, index.claiming_goals(quarter), config, home)
    )


def _where(pr: PullRequest) -> str:
    return "the commit message" if pr.source == "git" else "the body"


def _by_reference(
    pr: PullRequest, mentions: list[_Mention], index: _Index, quarter: str | None, home: str | None
) -> GoalMatch | None:
    """A goal issue the PR references, in the repository goal issues live in.

    That is `home` (None: the PR's own). A bare `#12` and GitHub's closing issues are
    the PR's own repository's, so they count only for the home repository's PRs;
    `acme/web#12`, GitHub's closing references to the home repository and sub-issues
    whose parent is there count from any repository.
    """
    here = (home or pr.repo).casefold()
    own = from_home(pr, home)
    seen: set[tuple[str, int]] = set()

    def there(repo: str | None) -> bool:
        return own if repo is None else bool(here) and repo.casefold() == here

    for mention in mentions:
        if mention.issue is None or not there(mention.repo):
            continue
        key = (here, mention.issue)
        if key in seen:
            continue
        seen.add(key)
        said = f"{_where(pr)} says `{mention.text}`"
        local = mention.repo is None or mention.repo.casefold() == pr.repo.casefold()
        found = _goal_of_issue(mention.issue, said, pr, index, quarter, parents=local)
        if found is not None:
            return found
    closing = [(n, f"#{n}", True) for n in pr.closing_issues if own]
    for ref in pr.closing_elsewhere:
        repo, _, digits = ref.rpartition("#")
        if there(repo) and digits.isdigit():
            closing.append((int(digits), ref, False))
    for number, shown, local in closing:
        if (here, number) in seen:
            continue
        seen.add((here, number))
        said = f"GitHub says it closes {shown}"
        found = _goal_of_issue(number, said, pr, index, quarter, parents=local)
        if found is not None:
            return found
    for number, parent in pr.parents_elsewhere.items():
        repo, _, parent_number = parent.rpartition("#")
        if there(repo) and parent_number.isdigit():
            goal = choose_goal(index.by_issue.get(int(parent_number), ()), quarter)
            if goal is not None:
                reason = (
                    f"GitHub says it closes #{number}, which belongs to {parent}, "
                    f"the goal issue of {goal.id}"
                )
                return goal, "reference", reason
    return None


def _goal_of_issue(
    number: int,
    said: str,
    pr: PullRequest,
    index: _Index,
    quarter: str | None,
    *,
    parents: bool = True,
) -> GoalMatch | None:
    goal = choose_goal(index.by_issue.get(number, ()), quarter)
    if goal is not None:
        return goal, "reference", f"{said} (goal issue of {goal.id})"
    # `parent_issues` holds the PR's own repository's issues only.
    parent = pr.parent_issues.get(number) if parents else None
    goal = choose_goal(index.by_issue.get(parent, ()), quarter) if parent is not None else None
    if goal is not None:
        reason = f"{said}; #{number} belongs to #{parent}, the goal issue of {goal.id}"
        return goal, "reference", reason
    return None


def _by_label(
    pr: PullRequest, mentions: list[_Mention], index: _Index, quarter: str | None
) -> GoalMatch | None:
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
) -> GoalMatch | None:
    # Goal ids are slugs without "/", so only the branch's first segment can match.
    if not pr.branch or "/" not in pr.branch:
        return None
    prefix = pr.branch.split("/", 1)[0]
    goal = choose_goal(index.by_id.get(prefix, ()), quarter)
    if goal is None:
        return None
    return goal, "branch", f"branch `{pr.branch}` starts with goal id `{prefix}/`"
