"""Which team's unplanned work a merged PR is: by paths, then labels, then people.

Pure functions over the model, used by `core.review.linking` after every goal rule failed.

**Paths.** Each changed path belongs to the team whose matching pattern is the most
specific (`core.review.globs.Specificity`: literal leading segments, then literal
characters), as in CODEOWNERS, never by the config's order. A team's patterns are
its `owns.paths` and, through `owns.codeowners`, the CODEOWNERS lines naming one of
its entries: for each path only the file's *last* matching line counts (GitHub's
rule), and that line's pattern competes with its own specificity. Two teams equally
specific on a path both own it, except that a team owning everything (a catch-all
such as CODEOWNERS' `*` or `owns.paths: ["**"]`) yields to a specialist named as
specifically: teams write `/replay/ @acme/sdk-all @acme/replay` to keep the catch-all
team informed, not to give it the replay team's work (the reason names both). The PR
goes to the team owning most of its changed paths; between teams owning as many, to
the one with the most specific pattern, then to the team of the author or a
co-author, then by name, and the reason says which.

Patterns are the home repository's, or another's as `owner/name:glob`; the
CODEOWNERS file is the home repository's (`core.review.repositories.in_scope`).

**Labels**: the first PR label a team lists in `owns.labels`. **Repository**: the
team whose `owns.repos` names the PR's repository. **People**: the author's team; if
the author is on no team, the team most of the co-authors are on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from quarterdeck.core.model import Config, PullRequest, Team
from quarterdeck.core.review.globs import (
    Specificity,
    is_directory_pattern,
    path_matches,
    specificity,
)
from quarterdeck.core.review.identities import shown_author, shown_person
from quarterdeck.core.review.repositories import from_home, in_scope, owns_repo

__all__ = [
    "TeamMatch",
    "by_author",
    "by_paths",
    "by_repo",
    "by_team_label",
    "is_on",
    "nobody_reason",
    "team_of",
]

TeamMatch = tuple[Team, str, str]  # the team, the rule id, the reason in words


_NOTHING = Specificity(-1, -1)  # below any pattern's


@dataclass(frozen=True)
class _Claim:
    """One team's best pattern for one path."""

    team: Team
    pattern: str
    rank: Specificity
    # How a reason quotes it: "`a/**`" or "`/a/` (.github/CODEOWNERS line 3, `@acme/a`)".
    shown: str
    order: tuple[int, int]  # where the team declares it: (0, index in paths) or (1, line)


@dataclass
class _Tally:
    """What one team owns of a PR's changed paths."""

    team: Team
    paths: int = 0
    best: Specificity = _NOTHING
    shown: dict[str, tuple[int, int]] = field(default_factory=dict)  # pattern used -> order
    patterns: list[str] = field(default_factory=list)
    beaten: dict[str, str] = field(default_factory=dict)  # other team -> its weaker pattern
    shared: set[str] = field(default_factory=set)  # teams equally specific on some path
    # Catch-all teams listed as specifically on some path, which yielded to this one.
    listed: set[str] = field(default_factory=set)


def by_paths(pr: PullRequest, config: Config, home: str | None = None) -> TeamMatch | None:
    """The team owning most of the PR's changed paths, most specific pattern per path.

    `home` is the repository plain patterns and CODEOWNERS belong to (None: the PR's)."""
    tallies: dict[str, _Tally] = {}
    everything = _owning_everything(config, pr, home)
    for path in pr.paths:
        claims = _claims(path, config, pr, home)
        if not claims:
            continue
        top = max(c.rank for c in claims)
        winners = [c for c in claims if c.rank == top]
        specialists = [c for c in winners if c.team.slug not in everything]
        yielded = [c.team.slug for c in winners if c.team.slug in everything]
        if specialists and yielded:
            winners = specialists
        else:
            yielded = []
        for claim in winners:
            tally = tallies.setdefault(claim.team.slug, _Tally(claim.team))
            tally.paths += 1
            tally.best = max(tally.best, claim.rank)
            tally.shown.setdefault(claim.shown, claim.order)
            tally.patterns.append(claim.pattern)
            tally.shared.update(w.team.slug for w in winners if w is not claim)
            tally.listed.update(yielded)
            for loser in claims:
                if loser.rank < top:
                    tally.beaten.setdefault(loser.team.slug, loser.shown)
    if not tallies:
        return None
    ranked = sorted(tallies.values(), key=lambda t: (-t.paths, _neg(t.best), t.team.slug))
    winner = ranked[0]
    reason = _paths_reason(winner, len(pr.paths))
    rivals = [t for t in ranked[1:] if t.paths == winner.paths]
    if rivals:
        winner, why = _break_tie([winner, *rivals], pr, config)
        reason = _paths_reason(winner, len(pr.paths)) + why
    return winner.team, "paths", reason


def _neg(rank: Specificity) -> tuple[int, int]:
    return (-rank.segments, -rank.characters)


def _owning_everything(config: Config, pr: PullRequest, home: str | None) -> set[str]:
    """Slugs of the teams with a catch-all pattern (no literal character) for `pr`."""
    found: set[str] = set()
    codeowners = config.codeowners if from_home(pr, home) else None
    catch_alls = (
        [r for r in codeowners.rules if r.specificity[1] == 0] if codeowners is not None else []
    )
    for team in config.teams:
        globs = (in_scope(p, pr, home) for p in team.paths)
        if any(g is not None and specificity(g).characters == 0 for g in globs) or any(
            _mentions(rule.owners, entry) for rule in catch_alls for entry in team.codeowners
        ):
            found.add(team.slug)
    return found


def _claims(path: str, config: Config, pr: PullRequest, home: str | None) -> list[_Claim]:
    """Each team's most specific pattern matching `path` of `pr`, if it has one."""
    claims: list[_Claim] = []
    codeowners = config.codeowners if from_home(pr, home) else None
    rule = codeowners.rule_for(path) if codeowners is not None else None
    for team in config.teams:
        best: _Claim | None = None
        for i, pattern in enumerate(team.paths):
            glob = in_scope(pattern, pr, home)
            if glob is not None and path_matches(path, glob):
                rank = specificity(glob)
                if best is None or rank > best.rank:
                    best = _Claim(team, pattern, rank, f"`{pattern}`", (0, i))
        if rule is not None and config.codeowners is not None:
            entry = next((o for o in team.codeowners if _mentions(rule.owners, o)), None)
            rank = Specificity(*rule.specificity)
            if entry is not None and (best is None or rank > best.rank):
                where = f"{config.codeowners.source} line {rule.line}, `{entry}`"
                shown = f"`{rule.pattern}` ({where})"
                best = _Claim(team, rule.pattern, rank, shown, (1, rule.line))
        if best is not None:
            claims.append(best)
    return claims


def _mentions(owners: Sequence[str], entry: str) -> bool:
    # GitHub logins, team names and emails are all case-insensitive.
    wanted = entry.casefold()
    return any(owner.casefold() == wanted for owner in owners)


def _paths_reason(tally: _Tally, total: int) -> str:
    # In the order the team declares them, so every PR of a team reads alike.
    patterns = " and ".join(sorted(tally.shown, key=tally.shown.__getitem__))
    verb = "are under" if all(is_directory_pattern(p) for p in tally.patterns) else "match"
    noun = "changed path" if total == 1 else "changed paths"
    verb = verb if tally.paths != 1 else ("is under" if verb == "are under" else "matches")
    reason = f"{tally.paths} of {total} {noun} {verb} {tally.team.slug}'s {patterns}"
    if tally.listed:
        names = " and ".join(sorted(tally.listed))
        which = "which owns" if len(tally.listed) == 1 else "which own"
        reason += f" (also listed: {names}, {which} everything)"
    if tally.beaten:
        weaker = " and ".join(f"{slug}'s {shown}" for slug, shown in sorted(tally.beaten.items()))
        reason += f" (more specific than {weaker})"
    return reason


def _break_tie(tied: list[_Tally], pr: PullRequest, config: Config) -> tuple[_Tally, str]:
    """Between teams owning as many paths: most specific, then the author's people, then name."""
    count = tied[0].paths
    each = f"{count} path{'' if count == 1 else 's'} each"
    best = max(t.best for t in tied)
    sharpest = [t for t in tied if t.best == best]
    if len(sharpest) == 1:
        winner = sharpest[0]
        rest = _rest(tied, winner)
        return winner, f"; tie with {rest} ({each}), whose patterns are less specific"
    for person, role in ((pr.author, "author"), *((c, "co-author") for c in pr.co_authors)):
        home = [t for t in sharpest if is_on(person, t.team, config)]
        if len(home) == 1:
            winner = home[0]
            return winner, (
                f"; tie with {_rest(tied, winner)} ({each}, equally specific): "
                f"{role} {shown_person(pr, person)} is on {winner.team.slug}"
            )
    winner = min(sharpest, key=lambda t: t.team.slug)
    return winner, (
        f"; tie with {_rest(tied, winner)} ({each}, equally specific), first by name: "
        "give one team a more specific pattern to decide"
    )


def _rest(tied: list[_Tally], winner: _Tally) -> str:
    return " and ".join(t.team.slug for t in tied if t is not winner)


def by_team_label(pr: PullRequest, config: Config) -> TeamMatch | None:
    """The team listing one of the PR's labels in `owns.labels` (first label first)."""
    for label in pr.labels:
        for team in config.teams:
            if label in team.labels:
                return team, "team-label", f"label `{label}` belongs to {team.slug}"
    return None


def by_repo(pr: PullRequest, config: Config) -> TeamMatch | None:
    """The first team whose `owns.repos` names the PR's repository."""
    for team in config.teams:
        pattern = owns_repo(team.repos, pr)
        if pattern is not None:
            named = f"`{pattern}`" if pattern.casefold() != pr.repo.casefold() else "it"
            return (
                team,
                "repo",
                f"{pr.repo} is {team.slug}'s repository (`owns.repos` names {named})",
            )
    return None


def by_author(pr: PullRequest, config: Config) -> TeamMatch | None:
    """The author's team; else the team most co-authors are on (first listed first)."""
    found = team_of(pr.author, config)
    if found is not None:
        team, login = found
        if login is None:
            return team, "author", f"author {shown_author(pr)} is on {team.slug}"
        reason = f"author {shown_author(pr)} is {login} (config identities), on {team.slug}"
        return team, "author", reason
    homes: dict[str, tuple[Team, list[str]]] = {}
    for co_author in dict.fromkeys(pr.co_authors):
        home = team_of(co_author, config)
        if home is not None:
            homes.setdefault(home[0].slug, (home[0], []))[1].append(co_author)
    if not homes:
        return None
    # dicts keep insertion order, so between equal counts the first co-author's team wins
    team, people = max(homes.values(), key=lambda tp: len(tp[1]))
    names = " and ".join(shown_person(pr, p) for p in people)
    verb = "is" if len(people) == 1 else "are"
    word = "co-author" if len(people) == 1 else "co-authors"
    reason = f"{word} {names} {verb} on {team.slug} (author {shown_author(pr)} is on no team)"
    return team, "author", reason


def team_of(person: str, config: Config) -> tuple[Team, str | None] | None:
    """The first team `person` is on, and the login they are when known by an alias."""
    for team in config.teams:
        login = _login_on(person, team, config)
        if login is not None:
            return team, (None if login.casefold() == person.casefold() else login)
    return None


def is_on(person: str, team: Team, config: Config) -> bool:
    """Whether `person` (a login, or an alias in config identities) is on `team`."""
    return _login_on(person, team, config) is not None


def _login_on(person: str, team: Team, config: Config) -> str | None:
    """The team login `person` is, directly or through config identities; None if none."""
    wanted = person.casefold()
    for login in team.people:
        if login.casefold() == wanted:
            return login
        if any(alias.casefold() == wanted for alias in config.identities.get(login, ())):
            return login
    return None


def nobody_reason(pr: PullRequest) -> str:
    """Why no team owns the PR, and how to assign work like it."""
    hints: list[str] = []
    folder = _common_folder(pr.paths)
    if folder:
        hints.append(f"`{folder}/**` to a team's `owns.paths`")
    elif pr.paths:
        hints.append("its paths to a team's `owns.paths`")
    if pr.labels:
        hints.append("a label to a team's `owns.labels`")
    hints.append(f"{shown_author(pr)} to a team's `members`")
    how = ", ".join(hints[:-1]) + f" or {hints[-1]}" if len(hints) > 1 else hints[0]
    return (
        "no goal claims it and no team owns its paths, labels or author; "
        f"to assign work like it, add {how}"
    )


def _common_folder(paths: Sequence[str]) -> str:
    """The deepest folder holding every path, or "" if they share none."""
    folders = [p.strip("/").split("/")[:-1] for p in paths]
    if not folders:
        return ""
    common: list[str] = []
    for parts in zip(*folders, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/".join(common)
