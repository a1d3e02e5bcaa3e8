"""`init`'s proposal: teams and ownership read from a repository survey, as YAML.

Teams follow the repository's own structure, in this order of preference: one team
per CODEOWNERS team entry (`@acme/replay` -> `owns: {codeowners: [...]}`), else one
per busy folder (folders whose most active author is the same person form one team),
else one per conventional-commit scope. Each person joins the one team where they
committed most; a team keeps its six most active people and its most active one is
proposed as lead. Everything is a pure function of the survey, so the same history
gives the same file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import yaml

from quarterdeck.core.init.repo_survey import (
    Area,
    Person,
    RepoSurvey,
    busy_folders,
    codeowners_areas,
    resolve_people,
    scope_areas,
)
from quarterdeck.core.model import MAX_TEAM_SIZE

__all__ = [
    "Member",
    "Proposal",
    "ProposedTeam",
    "propose_teams",
    "render_config",
    "render_goals",
]

_SHOWN_SCOPES = 5
_COMMENT_COLUMN = 32


@dataclass(frozen=True)
class Member:
    """A proposed team member and the evidence for them."""

    login: str
    commits: int
    person: Person | None = None  # None when the login is not a commit author's


@dataclass(frozen=True)
class ProposedTeam:
    """One proposed team: its people, what it owns, and the areas it came from."""

    slug: str
    areas: tuple[Area, ...]
    members: tuple[Member, ...]  # most active first; the first is the proposed lead
    left_out: tuple[Member, ...] = ()  # active here, but beyond six people
    borrowed: str = ""  # the lead's own team, when the team had nobody else

    @property
    def commits(self) -> int:
        return sum(a.commits for a in self.areas)

    @property
    def codeowners(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.areas if a.kind == "codeowners")

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(f"{a.key}/**" for a in self.areas if a.kind == "folder")

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
    idle_entries: tuple[str, ...] = ()  # CODEOWNERS teams without commits in the window

    def identities(self) -> dict[str, tuple[str, ...]]:
        """login -> the plain emails its commits use, for every proposed person."""
        found: dict[str, tuple[str, ...]] = {}
        for team in self.teams:
            for member in team.members:
                if member.person is None:
                    continue
                emails = tuple(e for e in member.person.emails if "noreply" not in e.lower())
                if emails:
                    found.setdefault(member.login, emails)
        return dict(sorted(found.items()))


def propose_teams(survey: RepoSurvey) -> Proposal | None:
    """Teams for `survey`'s repository; None when its history shows no structure."""
    people = resolve_people(survey)
    owned = [a for a in codeowners_areas(survey, people) if a.commits]
    if owned:
        idle = tuple(a.key for a in codeowners_areas(survey, people) if not a.commits)
        groups = [[a] for a in sorted(owned, key=lambda a: (-a.commits, a.key))]
        return Proposal(survey, "codeowners", _teams(groups, people), idle)
    for basis, areas in (
        ("folders", busy_folders(survey, people)),
        ("scopes", _busy(scope_areas(survey, people))),
    ):
        if areas:
            return Proposal(survey, basis, _teams(_by_lead(areas), people))
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
    identities = proposal.identities()
    if identities:
        text = text.rstrip("\n") + "\n" + "\n".join(_identity_lines(proposal, identities)) + "\n"
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
    total = sum(a.commits for a in areas)
    return [a for a in areas if a.commits >= 0.1 * total]


def _by_lead(areas: Sequence[Area]) -> list[list[Area]]:
    """Areas grouped by their most active author, busiest group first."""
    groups: dict[str, list[Area]] = {}
    for area in sorted(areas, key=lambda a: (-a.commits, a.key)):
        groups.setdefault(area.authors[0][0] if area.authors else area.key, []).append(area)
    return sorted(groups.values(), key=lambda g: (-sum(a.commits for a in g), g[0].key))


def _teams(groups: list[list[Area]], people: Mapping[str, Person]) -> tuple[ProposedTeam, ...]:
    by_login = _by_login(people)
    commits = [_author_commits(g) for g in groups]
    home: dict[str, int] = {}
    for login in sorted({login for c in commits for login in c}):
        # Most commits wins; a tie goes to the busier team (listed first).
        home[login] = min(range(len(groups)), key=lambda i: (-commits[i].get(login, 0), i))
    slugs = _slugs([g[0] for g in groups])
    teams: list[ProposedTeam] = []
    for i, group in enumerate(groups):
        ranked = sorted(commits[i].items(), key=lambda kv: (-kv[1], kv[0].casefold()))
        mine = [Member(login, n, by_login.get(login)) for login, n in ranked if home[login] == i]
        borrowed = ""
        if not mine and ranked:
            login, n = ranked[0]
            mine, borrowed = [Member(login, n, by_login.get(login))], slugs[home[login]]
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


def _author_commits(group: Sequence[Area]) -> dict[str, int]:
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
    work = sum(1 for c in survey.commits if not c.is_merge)
    source = {
        "codeowners": f"one team per team named in {survey.codeowners.source}"
        if survey.codeowners
        else "",
        "folders": "one team per busy folder (folders led by the same person form one team)",
        "scopes": "one team per busy commit scope (`feat(<scope>): …`)",
    }[proposal.basis]
    lines = [
        f"  # Proposed by `quarterdeck init` from {_window(survey)}",
        f"  # ({_commits(work)}): {source},",
        "  # each with its most active authors. Check every line marked `check`: rename",
        "  # teams, fix logins, move people, delete what is wrong. `lead` writes the",
        "  # review's decision; `members` are GitHub logins (no @); a PR linked to no goal",
        "  # is unplanned work of the team that `owns` its files (CODEOWNERS entries, or",
        "  # globs where ** is any depth), its labels, or its author.",
    ]
    if proposal.idle_entries:
        idle = ", ".join(proposal.idle_entries)
        lines.append(f"  # No commits in that window under CODEOWNERS {idle}: add a team by")
        lines.append("  # hand if it still exists.")
    return lines


def _team_lines(team: ProposedTeam, teams: Sequence[ProposedTeam]) -> list[str]:
    lead = team.members[0]
    lines = ["", f"  {_scalar(team.slug)}:"]
    lines.append(
        _commented(f"    mission: {_scalar(_mission(team))}", "check: why the team exists")
    )
    lead_note = f"check: most active here ({lead.commits} of {_commits(team.commits)})"
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
        names = ", ".join(f"{m.login} ({m.commits})" for m in team.left_out)
        lines.append(f"    # Also active here, left out to keep the team at six: {names}")
    return lines


def _mission(team: ProposedTeam) -> str:
    if team.codeowners:
        return f"Own the code CODEOWNERS gives {', '.join(team.codeowners)}"
    if team.paths:
        return "Own " + ", ".join(f"{a.key}/" for a in team.areas)
    return "Own the work scoped " + ", ".join(f"`{a.key}`" for a in team.areas)


def _commits(n: int) -> str:
    return f"{n} commit" if n == 1 else f"{n} commits"


def _member_note(member: Member) -> str:
    note = _commits(member.commits)
    if member.person is not None and member.person.guessed:
        note += f"; check: login {member.person.how}"
    return note


def _identity_lines(proposal: Proposal, identities: Mapping[str, tuple[str, ...]]) -> list[str]:
    guessed = {
        m.login
        for t in proposal.teams
        for m in t.members
        if m.person is not None and m.person.guessed
    }
    lines = [
        "# The proposed people's commit emails, so the offline review knows their logins:",
        "identities:",
    ]
    for login, emails in identities.items():
        note = "check: guessed login" if login in guessed else ""
        lines.append(_commented(f"  {_scalar(login)}: {_flow(emails)}", note))
    return lines
