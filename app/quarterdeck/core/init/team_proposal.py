"""`init`'s proposal: teams and ownership read from a repository survey, as YAML.

Teams follow the repository's own structure, in this order of preference: one team
per CODEOWNERS team entry (`@acme/replay` -> `owns: {codeowners: [...]}`; the
catch-all's team too, keeping what no specialist owns), else one per component of
the repository (`packages/*`, `libs/*`, `apps/*`, top-level framework folders; never
a dot-folder nor docs or tests, which go to the team working there most), grouping
components led by the same person, else one per conventional-commit scope. Work is
counted in merged PRs (a direct push counts as one), each for the one area the review
would give it. Each person joins the one team where they shipped most; a team keeps
its six people who shipped most there and the first is proposed as lead.
Everything is a pure function of the survey and its PRs, so the same history gives
the same file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import yaml

from quarterdeck.core.config.checks import CHECK_MARK
from quarterdeck.core.init.repo_survey import (
    Area,
    Person,
    RepoSurvey,
    busy_folders,
    codeowners_areas,
    resolve_people,
    scope_areas,
    shipped_work,
    support_folders,
    whole_repository,
)
from quarterdeck.core.model import MAX_TEAM_SIZE, PullRequest
from quarterdeck.core.review.identities import noreply_login

__all__ = [
    "Member",
    "Proposal",
    "ProposedTeam",
    "propose_teams",
    "render_config",
    "render_goals",
]

_SHOWN_SCOPES = 5
# An area is a team of its own when the people who ship most there, and nowhere else
# more, shipped at least this share of its PRs; a CODEOWNERS team whose own people
# shipped less borrows the one who shipped most there as its lead.
OWN_SHARE = 1 / 3
_COMMENT_COLUMN = 32


@dataclass(frozen=True)
class Member:
    """A proposed team member and the evidence for them."""

    login: str
    shipped: int  # merged PRs (and direct pushes) in the team's areas
    person: Person | None = None  # None when the login is not a commit author's
    unit: str = "PR"  # what `shipped` counts: "PR", or "commit" when no PR could be read


@dataclass(frozen=True)
class ProposedTeam:
    """One proposed team: its people, what it owns, and the areas it came from."""

    slug: str
    areas: tuple[Area, ...]
    members: tuple[Member, ...]  # most PRs shipped first; the first is the proposed lead
    left_out: tuple[Member, ...] = ()  # active here, but beyond six people
    borrowed: str = ""  # the lead's own team, when the team had nobody else
    support: tuple[str, ...] = ()  # docs, tests, small folders its people work in most

    @property
    def shipped(self) -> int:
        """Merged PRs (and direct pushes) counted for the team's areas."""
        return sum(a.shipped for a in self.areas)

    @property
    def codeowners(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.areas if a.kind == "codeowners")

    @property
    def paths(self) -> tuple[str, ...]:
        if any(a.kind == "repository" for a in self.areas):
            return ("**",)
        folders = [a.key for a in self.areas if a.kind == "folder"]
        return tuple(f"{f}/**" for f in (*folders, *self.support))

    @property
    def scopes(self) -> tuple[tuple[str, int], ...]:
        counts: dict[str, int] = {}
        for area in self.areas:
            for scope, n in area.scopes:
                counts[scope] = counts.get(scope, 0) + n
        return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class Proposal:
    """The teams `init` proposes, and what it read to propose them."""

    survey: RepoSurvey
    basis: str  # "codeowners", "folders" or "scopes"
    teams: tuple[ProposedTeam, ...]
    idle_entries: tuple[str, ...] = ()  # CODEOWNERS teams without work in the window
    prs: int = 0  # merged PRs read in the window
    pushes: int = 0  # commits pushed straight to the branch in the window

    def identities(self) -> dict[str, tuple[str, ...]]:
        """login -> the plain emails its commits use, for every proposed person, where
        a noreply email or a personal fork's merge proves the login (evidence only)."""
        return {login: emails for login, emails, _ in self._emails(guessed=False)}

    def to_check(self) -> list[tuple[str, tuple[str, ...], str]]:
        """(login, emails, how) of every proposed person's emails whose login is only a
        guess: written as a commented block for a person to confirm, never as identities."""
        return self._emails(guessed=True)

    def _emails(self, *, guessed: bool) -> list[tuple[str, tuple[str, ...], str]]:
        logins = {m.login for team in self.teams for m in team.members}
        found: dict[str, tuple[list[str], str]] = {}
        for person in resolve_people(self.survey).values():
            if person.login not in logins or person.guessed is not guessed:
                continue
            emails, _ = found.setdefault(person.login, ([], person.how))
            emails += [e for e in person.emails if noreply_login(e) is None and e not in emails]
        return [
            (login, tuple(emails), how) for login, (emails, how) in sorted(found.items()) if emails
        ]


def propose_teams(survey: RepoSurvey, prs: Sequence[PullRequest] = ()) -> Proposal | None:
    """Teams for `survey`'s repository; None when its history shows no structure.

    `prs` are the PRs merged in the survey's window, as the review reads them.
    """
    people = resolve_people(survey)
    work = shipped_work(survey, people, prs)
    merged = sum(1 for w in work if w.number)
    pushes = len(work) - merged
    unit = "PR" if merged else "commit"
    areas = codeowners_areas(survey, work)
    owned = [a for a in areas if a.shipped]
    if owned:
        idle = tuple(a.key for a in areas if not a.shipped)
        groups = [[a] for a in sorted(owned, key=lambda a: (-a.shipped, a.key))]
        return Proposal(
            survey, "codeowners", _teams(groups, people, unit), idle, prs=merged, pushes=pushes
        )
    folders = busy_folders(work)
    if folders:
        groups = _by_people(folders)
        if len(groups) == 1:
            # One component, one team: it owns the whole repository.
            groups = [[whole_repository(groups[0][0].key, work)]]
        teams = _with_support(_teams(groups, people, unit), work)
        return Proposal(survey, "folders", teams, prs=merged, pushes=pushes)
    scopes = _busy(scope_areas(work))
    if scopes:
        return Proposal(
            survey, "scopes", _teams(_by_people(scopes), people, unit), prs=merged, pushes=pushes
        )
    return None


def render_config(proposal: Proposal, starter: str) -> str:
    """The starter config with its placeholder team replaced by the proposed teams.

    `starter` is the bundled commented config; everything outside its `teams:`
    section (goals, review, the identities example) is kept as written.
    """
    head, teams_and_rest = _split_at(starter, "teams:\n")
    _, rest = _split_at(teams_and_rest, "# ---", before=True)
    lines = ["teams:", *_intro(proposal)]
    for team in proposal.teams:
        lines += _team_lines(team, proposal.teams)
    text = head + "\n".join(lines) + "\n\n" + rest
    people = _identity_lines(proposal.identities(), proposal.to_check())
    if people:
        text = text.rstrip("\n") + "\n" + "\n".join(people) + "\n"
    return text


def render_goals(proposal: Proposal, starter: str) -> str:
    """The starter goals file, its example goal given to the first team and its lead.

    Both are written as YAML scalars that read back as text (`owners: ["55728"]`), so
    the file passes `validate` whatever the login or slug looks like.
    """
    team = proposal.teams[0]
    return starter.replace("team: my-team", f"team: {_scalar(team.slug)}").replace(
        "[your-github-login]", _flow([team.members[0].login])
    )


# ---------------------------------------------------------------------------
# Forming teams


def _busy(areas: list[Area]) -> list[Area]:
    total = sum(a.shipped for a in areas)
    return [a for a in areas if a.shipped >= 0.1 * total]


def _with_support(
    teams: tuple[ProposedTeam, ...], work: Sequence[PullRequest]
) -> tuple[ProposedTeam, ...]:
    """Each folder no team owns (docs, tests, small components) to the team whose people
    shipped most there (a tie: the busier team), so its PRs are not left to no team."""
    on: dict[str, int] = {}
    for i, team in enumerate(teams):
        for member in (*team.members, *team.left_out):
            on.setdefault(member.login, i)
    owned = [a.key for t in teams for a in t.areas]
    extra: dict[int, list[str]] = {}
    for folder in support_folders(work, owned):
        counts = [0] * len(teams)
        for pr in work:
            if pr.author in on and any(p.startswith(folder + "/") for p in pr.paths):
                counts[on[pr.author]] += 1
        if any(counts):
            best = min(range(len(teams)), key=lambda i: (-counts[i], i))
            extra.setdefault(best, []).append(folder)
    return tuple(
        replace(t, support=tuple(extra.get(i, ()))) if i in extra else t
        for i, t in enumerate(teams)
    )


def _by_people(areas: Sequence[Area]) -> list[list[Area]]:
    """One group per area with people of its own, busiest first.

    A person belongs where they shipped most (a tie: the busier area). An area whose
    own people shipped under OWN_SHARE of its PRs (its main shippers belong elsewhere)
    joins the group of the area its top shipper belongs to, rather than making a team
    led by a passer-by.
    """
    ordered = sorted(areas, key=lambda a: (-a.shipped, a.key))
    counts = [dict(a.authors) for a in ordered]
    home = {
        login: min(range(len(ordered)), key=lambda i: (-counts[i].get(login, 0), i))
        for login in sorted({login for c in counts for login in c})
    }
    groups: dict[int, list[Area]] = {}
    for i, area in enumerate(ordered):
        own = sum(n for login, n in counts[i].items() if home[login] == i)
        if own and own >= OWN_SHARE * area.shipped:
            groups[i] = [area]
    for i, area in enumerate(ordered):
        if i in groups or not area.authors:
            continue
        top = home[area.authors[0][0]]
        groups.setdefault(top, [ordered[top]] if top != i else []).append(area)
    return [groups[i] for i in sorted(groups)]


def _teams(
    groups: list[list[Area]], people: Mapping[str, Person], unit: str
) -> tuple[ProposedTeam, ...]:
    by_login = _by_login(people)
    shipped = [_author_shipped(g) for g in groups]
    home: dict[str, int] = {}
    for login in sorted({login for c in shipped for login in c}):
        # Most PRs shipped wins; a tie goes to the busier team (listed first).
        home[login] = min(range(len(groups)), key=lambda i: (-shipped[i].get(login, 0), i))
    slugs = _slugs([g[0] for g in groups])
    teams: list[ProposedTeam] = []
    for i, group in enumerate(groups):
        ranked = sorted(shipped[i].items(), key=lambda kv: (-kv[1], kv[0].casefold()))
        mine = [
            Member(login, n, by_login.get(login), unit) for login, n in ranked if home[login] == i
        ]
        borrowed = ""
        total = sum(n for _, n in ranked)
        if ranked and sum(m.shipped for m in mine) < OWN_SHARE * total:
            # Its own people are passers-by: the one who shipped most here leads it,
            # though they are on another team too (the lead's note says so).
            login, n = ranked[0]
            lead = Member(login, n, by_login.get(login), unit)
            mine, borrowed = [lead, *mine], slugs[home[login]]
        teams.append(
            ProposedTeam(
                slug=slugs[i],
                areas=tuple(group),
                members=tuple(mine[:MAX_TEAM_SIZE]),
                left_out=tuple(mine[MAX_TEAM_SIZE:]),
                borrowed=borrowed,
            )
        )
    return tuple(t for t in teams if t.members)


def _by_login(people: Mapping[str, Person]) -> dict[str, Person]:
    """One Person per login, with every email it commits under (one person, two emails)."""
    found: dict[str, Person] = {}
    for person in sorted(people.values(), key=lambda p: (p.guessed, p.how)):
        seen = found.get(person.login)
        if seen is None:
            found[person.login] = person
        else:
            emails = tuple(dict.fromkeys((*seen.emails, *person.emails)))
            found[person.login] = Person(seen.login, seen.guessed, seen.how, emails)
    return found


def _author_shipped(group: Sequence[Area]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for area in group:
        for login, n in area.authors:
            counts[login] = counts.get(login, 0) + n
    return counts


def _slugs(areas: Sequence[Area]) -> list[str]:
    slugs: list[str] = []
    for area in areas:
        name = area.key.rpartition("/")[2] or area.key
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "team"
        slug, n = base, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.append(slug)
    return slugs


# ---------------------------------------------------------------------------
# Writing YAML


def _scalar(value: str) -> str:
    """`value` as a YAML scalar that reads back as the same string.

    Plain when YAML reads it as that text; double-quoted otherwise (`"55728"`, `"yes"`,
    `"null"`, `"0x1F"`, `"007"`), since `validate` wants logins and slugs as text.
    """
    plain = re.fullmatch(r"[A-Za-z0-9](?:[\w .+/@-]*[\w.+/@-])?", value) is not None
    if plain and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _flow(values: Sequence[str]) -> str:
    return "[" + ", ".join(_scalar(v) for v in values) + "]"


def _commented(text: str, comment: str) -> str:
    return f"{text.ljust(_COMMENT_COLUMN - 1)} # {comment}" if comment else text


def _split_at(text: str, marker: str, *, before: bool = False) -> tuple[str, str]:
    index = text.index(marker)
    cut = index if before else index + len(marker)
    return text[:index], text[cut:]


def _window(survey: RepoSurvey) -> str:
    read = f"the history of {survey.branch}"
    if survey.since and survey.until:
        read += f" from {survey.since} to {survey.until}"
    return read


def _intro(proposal: Proposal) -> list[str]:
    survey = proposal.survey
    read = _count(proposal.prs, "merged PR")
    if proposal.pushes:
        read += f" and {_count(proposal.pushes, 'direct push', 'direct pushes')}"
    counted = "PRs merged; a direct push counts as one"
    if not proposal.prs:
        read = _count(proposal.pushes, "commit")  # a history without PRs, or cut short
        counted = "in commits: no merged PR could be read"
    source = {
        "codeowners": f"one team per team named in {survey.codeowners.source}"
        if survey.codeowners
        else "",
        "folders": "one team per component (packages/*, apps/*, a top-level\n"
        "  # folder with its own activity; docs and tests go to the team working there most)",
        "scopes": "one team per busy commit scope (`feat(<scope>): …`)",
    }[proposal.basis]
    lines = [
        f"  # Proposed by `quarterdeck init` from {_window(survey)}",
        f"  # ({read}): {source},",
        f"  # each with the people who shipped most there ({counted}).",
        "  # Check every line marked `check`: rename",
        "  # teams, fix logins, move people, delete what is wrong. `lead` writes the",
        "  # review's decision; `members` are GitHub logins (no @); a PR linked to no goal",
        "  # is unplanned work of the team that `owns` its files (CODEOWNERS entries, or",
        "  # globs where ** is any depth), its labels, or its author.",
    ]
    if proposal.idle_entries:
        idle = ", ".join(proposal.idle_entries)
        lines.append(f"  # No PRs in that window under CODEOWNERS {idle}: add a team by")
        lines.append("  # hand if it still exists.")
    return lines


def _team_lines(team: ProposedTeam, teams: Sequence[ProposedTeam]) -> list[str]:
    lead = team.members[0]
    lines = ["", f"  {_scalar(team.slug)}:"]
    lines.append(
        _commented(f"    mission: {_scalar(_mission(team))}", "check: why the team exists")
    )
    lead_note = f"check: shipped most here ({lead.shipped} of {_count(team.shipped, lead.unit)})"
    if team.borrowed:
        lead_note += f"; also on {team.borrowed}"
    lines.append(_commented(f"    lead: {_scalar(lead.login)}", lead_note))
    lines.append(_commented("    # pm: pm-github-login", "the team's product manager, if any"))
    lines.append("    members:")
    for member in team.members:
        lines.append(_commented(f"      - {_scalar(member.login)}", _member_note(member)))
    lines.append("    owns:")
    if team.codeowners:
        patterns = ", ".join(p for a in team.areas for p in a.patterns)
        lines.append(
            _commented(f"      codeowners: {_flow(team.codeowners)}", f"CODEOWNERS: {patterns}")
        )
    lines.append(f"      paths: {_flow(team.paths)}")
    lines.append(_commented("      labels: []", f'e.g. ["team/{team.slug}"]'))
    if team.scopes:
        shown = ", ".join(f"{s} ({n})" for s, n in team.scopes[:_SHOWN_SCOPES])
        lines.append(f"    # Commit scopes here: {shown}; a goal can claim its work by scope.")
    if team.left_out:
        names = ", ".join(f"{m.login} ({m.shipped})" for m in team.left_out)
        lines.append(f"    # Also active here, left out to keep the team at six: {names}")
    return lines


def _mission(team: ProposedTeam) -> str:
    if team.codeowners:
        return f"Own the code CODEOWNERS gives {', '.join(team.codeowners)}"
    if any(a.kind == "repository" for a in team.areas):
        return f"Own the repository: {team.areas[0].key}/ and everything around it"
    if any(a.kind == "folder" for a in team.areas):
        return "Own " + ", ".join(f"{a.key}/" for a in team.areas)
    return "Own the work scoped " + ", ".join(f"`{a.key}`" for a in team.areas)


def _count(n: int, one: str, many: str = "") -> str:
    return f"{n} {one}" if n == 1 else f"{n} {many or one + 's'}"


def _member_note(member: Member) -> str:
    note = _count(member.shipped, member.unit)
    if member.person is not None and member.person.guessed:
        note += f"; check: login {member.person.how}"
    return note


def _identity_lines(
    identities: Mapping[str, tuple[str, ...]], to_check: Sequence[tuple[str, tuple[str, ...], str]]
) -> list[str]:
    """`identities:` for the logins the history proves, then the guesses to check: a
    commented block under CHECK_MARK, which `validate` reports until a person confirms."""
    lines: list[str] = []
    if identities:
        lines += [
            "# The proposed people's commit emails, so the offline review knows their logins",
            "# (each proven by a noreply email or a merge from their own fork):",
            "identities:",
        ]
        lines += [f"  {_scalar(login)}: {_flow(emails)}" for login, emails in identities.items()]
    if to_check:
        lines += [
            "",
            f"{CHECK_MARK} logins `init` could only guess (a clone cannot tell a login",
            "# from a name or a work email). Confirm each on GitHub, then move its line, without",
            "# the leading '#', under `identities:`, fix the login in `teams:` if it differs,",
            "# and delete this block; `quarterdeck validate` warns until then.",
        ]
        lines += [
            _commented(f"#   {_scalar(login)}: {_flow(emails)}", how)
            for login, emails, how in to_check
        ]
    return lines
