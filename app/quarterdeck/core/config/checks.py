"""Checks across files that no single file model can make.

Duplicate goal ids within a quarter, goals of unknown teams, goals without owners or
with owners from other teams, company objectives (duplicate ids within a quarter,
goals naming an objective their quarter does not have), oversized teams, the
starter's untouched placeholders, `owns.codeowners` entries the CODEOWNERS file does
not name, the `_extends` offline notice, metric definitions (formulas over metrics
nobody defines or over themselves, queries whose source is not configured), and a
PostHog host the operator's outbound policy refuses.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Mapping, Sequence

from quarterdeck.core.business.definitions import parse_derivation
from quarterdeck.core.config.layers import LayeredDoc
from quarterdeck.core.config.schema import (
    ConfigFile,
    GoalSpec,
    MetricSpec,
    ObjectiveSpec,
    QuestionSpec,
)
from quarterdeck.core.config.to_domain import to_metric, to_team
from quarterdeck.core.config.yaml_nodes import Doc, render_key
from quarterdeck.core.model import MAX_TEAM_SIZE
from quarterdeck.core.outbound_policy import POSTHOG_KEY_ENV, OutboundPolicy, host_refusal
from quarterdeck.core.review.codeowners import CODEOWNERS_PATHS, Codeowners
from quarterdeck.core.review.slack_overview import SLACK_TOKEN_ENV
from quarterdeck.errors import Problem

__all__ = [
    "STARTER_LOGINS",
    "STARTER_TEXT",
    "PlacedGoal",
    "PlacedObjective",
    "codeowners_checks",
    "credential_checks",
    "extends_notice",
    "goal_checks",
    "metric_checks",
    "objective_checks",
    "placeholder_checks",
    "posthog_host_checks",
    "question_checks",
    "team_checks",
]

# The placeholders of the files `quarterdeck init` writes (app/quarterdeck/starter/):
# left as they are, the review would credit work to nobody real. A test runs validate
# on fresh `init` output, so a new placeholder there cannot go unnoticed here.
STARTER_LOGINS = frozenset(
    {"your-github-login", "pm-github-login", "another-login", "a-third-login"}
)
STARTER_TEXT = "Replace this with"


def extends_notice(cfg: ConfigFile, doc: Doc) -> Iterator[Problem]:
    # A layered doc means the base was read (GitHub mode); only a lone file warns.
    if cfg.extends and not isinstance(doc, LayeredDoc):
        yield Problem(
            doc.file,
            doc.line_of_value(["_extends"]),
            "_extends",
            f"{cfg.extends!r} is not read offline; only this file's settings are used",
            "warning",
        )


def team_checks(cfg: ConfigFile, doc: Doc, *, strict: bool) -> Iterator[Problem]:
    for slug, team in cfg.teams.items():
        size = len(to_team(slug, team).people)
        if size > MAX_TEAM_SIZE:
            yield Problem(
                doc.file_at(["teams", slug]),
                doc.line_of_value(["teams", slug]),
                f"teams.{slug}",
                f"team '{slug}' has {size} people; teams work best at six or fewer — "
                "split the team",
                "error" if strict else "warning",
            )


def codeowners_checks(
    cfg: ConfigFile, doc: Doc, codeowners: Codeowners | None
) -> Iterator[Problem]:
    """Teams naming CODEOWNERS entries: the file must exist and name each entry.

    Warnings only: the rest of the ownership rules still place the team's work.
    """
    if codeowners is not None:
        yield from codeowners.problems
    named = {e.casefold(): e for e in codeowners.entries()} if codeowners else {}
    for slug, team in cfg.teams.items():
        key = ["teams", slug, "owns", "codeowners"]
        if not team.owns.codeowners:
            continue
        if codeowners is None:
            yield Problem(
                doc.file_at(key),
                doc.line_of_value(key),
                f"teams.{slug}.owns.codeowners",
                f"no CODEOWNERS file ({', '.join(CODEOWNERS_PATHS)}), so these entries own "
                "nothing; add the file or list the team's paths in `owns.paths`",
                "warning",
            )
            continue
        for j, entry in enumerate(team.owns.codeowners):
            if entry.casefold() in named:
                continue
            close = difflib.get_close_matches(entry, list(named.values()), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            yield Problem(
                doc.file_at([*key, j]),
                doc.line_of_value([*key, j]),
                f"teams.{slug}.owns.codeowners[{j}]",
                f"'{entry}' appears nowhere in {codeowners.source}, so it owns nothing; "
                f"{hint}write the owner as the file does",
                "warning",
            )


# A goal as read: its spec, its goals file's document, its index in the file's list,
# and its quarter (from the file's name, `loading` reads it once).
PlacedGoal = tuple[GoalSpec, Doc, int, str]
# An objective as read: its spec, the document and path it is at, and its quarter.
PlacedObjective = tuple[ObjectiveSpec, Doc, list[int | str], str]


def placeholder_checks(
    cfg: ConfigFile, doc: Doc, placed: Sequence[PlacedGoal], *, strict: bool
) -> Iterator[Problem]:
    """Warn (fail, if `strict`) on the starter's placeholders left in teams and goals.

    Each message names its field, since the review shows it without file and key.
    """
    severity = "error" if strict else "warning"
    for slug, team in cfg.teams.items():
        at: list[int | str] = ["teams", slug]
        logins = [([*at, "lead"], team.lead, "the team lead"), ([*at, "pm"], team.pm, "the PM")]
        logins += [([*at, "members", j], m, "a member") for j, m in enumerate(team.members)]
        for loc, login, who in logins:
            if login in STARTER_LOGINS:
                yield _problem_at(doc, loc, _LOGIN.format(who=who, login=login), severity)
        if team.mission.startswith(STARTER_TEXT):
            message = _TEXT.format(what="the mission", say="in one sentence why the team exists")
            yield _problem_at(doc, [*at, "mission"], message, severity)
    for spec, goal_doc, i, _ in placed:
        for j, owner in enumerate(spec.owners):
            if owner in STARTER_LOGINS:
                message = _LOGIN.format(who=f"an owner of goal '{spec.id}'", login=owner)
                yield _problem_at(goal_doc, [i, "owners", j], message, severity)
        texts: tuple[tuple[str, str, str], ...] = (
            ("title", spec.title, "what the team will build"),
            ("motivation", spec.motivation, "why it matters now"),
        )
        for name, text, say in texts:
            if text.startswith(STARTER_TEXT):
                message = _TEXT.format(what=f"the {name} of goal '{spec.id}'", say=say)
                yield _problem_at(goal_doc, [i, name], message, severity)


# `init` writes the logins it could only guess in a commented block under this mark,
# never as `identities:` (which would override evidence); `validate` reports the block.
CHECK_MARK = "# quarterdeck: check:"
_CHECK_LINE = re.compile(r"^#\s*quarterdeck:\s*check\b")
_CHECK_ENTRY = re.compile(r"^#\s+\"?(?P<login>[^\s\":#]+)\"?\s*:")


def to_check_blocks(text: str) -> list[tuple[int, tuple[str, ...]]]:
    """(line, logins) of each `# quarterdeck: check:` block in a config's text."""
    lines = text.splitlines()
    blocks: list[tuple[int, tuple[str, ...]]] = []
    for number, line in enumerate(lines, start=1):
        if not _CHECK_LINE.match(line.strip()):
            continue
        logins: list[str] = []
        for entry in lines[number:]:
            if not entry.startswith("#"):
                break
            m = _CHECK_ENTRY.match(entry)
            if m and entry.startswith("#   "):
                logins.append(m["login"])
        blocks.append((number, tuple(logins)))
    return blocks


def to_check_problems(text: str, file: str, *, strict: bool) -> Iterator[Problem]:
    """Warn (fail, if `strict`) on each `# quarterdeck: check:` block left in a config:
    the logins `init` guessed and a person has not confirmed yet."""
    severity = "error" if strict else "warning"
    for number, logins in to_check_blocks(text):
        who = ", ".join(logins) if logins else "the people below it"
        yield Problem(
            file,
            number,
            "",
            f"logins still to check (guessed by `quarterdeck init`): {who}; confirm each "
            "login on GitHub, move its line under `identities:` (without the '#'), then "
            "delete the `# quarterdeck: check:` block",
            severity,
        )


_LOGIN = "{who} is still the starter's placeholder '{login}': put their GitHub login here"
_TEXT = "{what} is still the starter's placeholder text: say {say}"


def goal_checks(
    cfg: ConfigFile | None,
    config_file: str,
    placed: Sequence[PlacedGoal],
    *,
    broken_teams: frozenset[str] = frozenset(),
) -> Iterator[Problem]:
    """Checks of goals against each other and against the teams of `cfg`; goals of
    `broken_teams` (teams whose own entry is invalid) are not checked against them."""
    first: dict[tuple[str, str], tuple[Doc, int]] = {}  # where each id was first seen
    teams = {slug: to_team(slug, t) for slug, t in cfg.teams.items()} if cfg else {}
    declared: dict[tuple[str, str, str], str] = {}  # (quarter, key, value) -> first goal
    for spec, doc, i, quarter in placed:
        yield from _shared_declarations(spec, doc, i, quarter, declared)
        if (quarter, spec.id) in first:
            first_doc, first_i = first[quarter, spec.id]
            where = f"{first_doc.file}:{first_doc.line_of_value([first_i, 'id'])}"
            yield Problem(
                doc.file,
                doc.line_of_value([i, "id"]),
                f"{spec.id}.id",
                f"duplicate goal id '{spec.id}' in {quarter} (first at {where}); "
                "give each goal its own id",
            )
        else:
            first[quarter, spec.id] = (doc, i)
        if not spec.owners:
            line = doc.line_of_value([i, "owners"]) if "owners" in doc.data[i] else None
            yield Problem(
                doc.file,
                line or doc.line_of_value([i]),
                f"{spec.id}.owners",
                "every goal needs an owner: add `owners: [<login>]` with the engineers "
                "who will build it",
            )
        if cfg is None or spec.team in broken_teams:
            continue
        team = teams.get(spec.team)
        if team is None:
            close = difflib.get_close_matches(spec.team, list(teams), n=1)
            hint = (
                f"did you mean '{close[0]}'?"
                if close
                else f"define it under `teams:` in {config_file}"
            )
            yield Problem(
                doc.file,
                doc.line_of_value([i, "team"]),
                f"{spec.id}.team",
                f"unknown team '{spec.team}'; {hint}",
            )
            continue
        for j, owner in enumerate(spec.owners):
            if owner not in team.people:
                close = difflib.get_close_matches(owner, list(team.people), n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                yield Problem(
                    doc.file,
                    doc.line_of_value([i, "owners", j]),
                    f"{spec.id}.owners[{j}]",
                    f"owner '{owner}' is not on team '{spec.team}'; {hint}"
                    "fine if they are helping from another team",
                    "warning",
                )


def objective_checks(
    objectives: Sequence[PlacedObjective],
    goals: Sequence[PlacedGoal],
    *,
    config_file: str,
    objectives_dir: str,
) -> Iterator[Problem]:
    """Objective ids repeated within a quarter, and goals naming an objective that is
    not one of their quarter's.

    Naming an objective of another quarter is a warning (the goal serves none this
    quarter); one no quarter has is an error with the closest id, unless the goal's
    quarter has no objectives written anywhere here: they may be `objective` issues,
    which only GitHub mode reads, so that is a warning.
    """
    first: dict[tuple[str, str], tuple[str, int | None]] = {}
    by_quarter: dict[str, list[str]] = {}
    for spec, doc, loc, quarter in objectives:
        at: list[int | str] = [*loc, "id"]
        line = doc.line_of_value(at)
        if (quarter, spec.id) in first:
            where = "{}:{}".format(*first[quarter, spec.id])
            yield Problem(
                doc.file_at(at),
                line,
                _objective_key(spec, doc, loc),
                f"duplicate objective id '{spec.id}' in {quarter} (first at {where}); "
                "give each objective its own id",
            )
            continue
        first[quarter, spec.id] = (doc.file_at(at), line)
        by_quarter.setdefault(quarter, []).append(spec.id)
    for goal, doc, i, quarter in goals:
        if goal.objective is None:
            continue
        ids = by_quarter.get(quarter, [])
        if goal.objective in ids:
            continue
        others = sorted(q for q, listed in by_quarter.items() if goal.objective in listed)
        name = f"'{goal.objective}'"
        file = f"{objectives_dir.strip('/')}/{quarter}.yml"
        if others:
            message = (
                f"objective {name} is one of {', '.join(others)}'s, not of {quarter}, the "
                f"goal's quarter, so the goal serves no objective; name one of {quarter}'s "
                f"({', '.join(ids) or 'none yet'}) or add {name} to {file}"
            )
            yield _problem_at(doc, [i, "objective"], message, "warning")
        elif not ids:
            message = (
                f"{quarter} has no objectives in {file} or in `objectives:` of {config_file}; "
                f"fine if {name} is an `objective` issue (read in GitHub mode), else add it "
                f"to {file}"
            )
            yield _problem_at(doc, [i, "objective"], message, "warning")
        else:
            close = difflib.get_close_matches(goal.objective, ids, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"{quarter}'s are: {', '.join(ids)}"
            message = f"unknown objective {name} in {quarter}; {hint}"
            yield _problem_at(doc, [i, "objective"], message, "error")


def _objective_key(spec: ObjectiveSpec, doc: Doc, loc: list[int | str]) -> str:
    # In an objectives file, "top-of-funnel.id" reads better than "[2].id".
    return f"{spec.id}.id" if len(loc) == 1 else render_key([*loc, "id"], doc)


def _shared_declarations(
    spec: GoalSpec, doc: Doc, i: int, quarter: str, declared: dict[tuple[str, str, str], str]
) -> Iterator[Problem]:
    """Two goals of a quarter declaring the same label, branch prefix or scope tie on
    every PR that carries it; say so where the second one declares it."""
    for key in ("labels", "branches", "scopes"):
        for j, value in enumerate(getattr(spec, key)):
            slot = (quarter, key, value.strip().casefold())
            other = declared.setdefault(slot, spec.id)
            if other != spec.id:
                yield Problem(
                    doc.file,
                    doc.line_of_value([i, key, j]),
                    f"{spec.id}.{key}[{j}]",
                    f"goal '{other}' declares '{value}' too, so PRs with it tie between the "
                    "two (the reason says which won); give each goal its own",
                    "warning",
                )


_Loc = list[int | str]


def metric_checks(cfg: ConfigFile, doc: Doc, *, strict: bool) -> Iterator[Problem]:
    """Metric definitions that cannot give a figure.

    Errors: an id listed twice in one list, a formula (`from:`, or a standard metric's
    own, such as growth(mrr)) over a metric defined neither company-wide nor by the
    team, and a formula computed from itself. Warnings (errors if `strict`): a
    `posthog:` metric (or breakdown) without `sources.posthog`, a `sql:` one without
    `sources.warehouse`, and a company-wide formula over a metric only some teams
    define; the review still renders, with those figures unavailable. A warning: a
    breakdown on a metric that is never flagged (no target, `alert: false`).
    """
    company = _placed(cfg.metrics, ["metrics"])
    teams = {
        slug: _placed(team.metrics, ["teams", slug, "metrics"]) for slug, team in cfg.teams.items()
    }
    for listed in (company, *teams.values()):
        yield from _duplicate_ids(listed, doc)
    yield from _unconfigured_sources(
        [*company, *(m for t in teams.values() for m in t)], cfg, doc, strict
    )
    defined_by = {slug: {spec.id for spec, _ in listed} for slug, listed in teams.items()}
    own_ids = {spec.id for spec, _ in company}
    for spec, loc in company:
        for name in _inputs(spec):
            if name in own_ids:
                continue
            some = sorted(slug for slug, ids in defined_by.items() if name in ids)
            others = sorted(set(teams) - set(some))
            if some and others:
                yield _problem_at(
                    doc,
                    _formula_loc(spec, loc),
                    f"{_formula_shown(spec)} needs {name}, which only {_teams(some)} "
                    f"{'defines' if len(some) == 1 else 'define'}, so the reviews of "
                    f"{_teams(others)} show {spec.id} as unavailable; define {name} under "
                    f"`metrics:`, or move {spec.id} to the teams that have it",
                    "error" if strict else "warning",
                )
            elif not some:
                yield _undefined(doc, spec, loc, name, own_ids)
    for slug, listed in teams.items():
        scope = own_ids | defined_by[slug]
        for spec, loc in listed:
            for name in _inputs(spec):
                if name not in scope:
                    yield _undefined(doc, spec, loc, name, scope, team=slug)
    yield from _cycles(company, teams, doc)
    yield from _same_titles(company, teams, doc, strict)


def _same_titles(
    company: list[tuple[MetricSpec, _Loc]],
    teams: Mapping[str, list[tuple[MetricSpec, _Loc]]],
    doc: Doc,
    strict: bool,
) -> Iterator[Problem]:
    """Two metrics one review shows under the same title: one name, two values.

    A review shows the company-wide metrics a team does not replace (same id), then the
    team's own (see Config.metrics_of); each such list is checked, and each clash is
    reported once, at the metric that comes second.
    """
    reported: set[tuple[str | int, ...]] = set()
    reviews = [(None, company)] + [
        (slug, [*((s, loc) for s, loc in company if s.id not in {t.id for t, _ in own}), *own])
        for slug, own in teams.items()
    ]
    for slug, shown in reviews:
        first: dict[str, tuple[MetricSpec, _Loc]] = {}
        for spec, loc in shown:
            title = to_metric(spec, slug).title
            earlier = first.setdefault(title.casefold(), (spec, loc))
            # The same id twice is reported as such (_duplicate_ids).
            if earlier[1] is loc or earlier[0].id == spec.id or tuple(loc) in reported:
                continue
            reported.add(tuple(loc))
            where = f"team {slug}'s review" if slug else "the company-wide review"
            yield _problem_at(
                doc,
                [*loc, "title"] if spec.title else [*loc, "id"],
                f"metric {spec.id} prints as {title!r}, the title of metric {earlier[0].id} "
                f"(line {doc.line_of_value([*earlier[1], 'id'])}) in {where}: one name "
                "would show two values; give one of them a title of its own "
                f"(e.g. '{title}, {slug or 'company'}')",
                "error" if strict else "warning",
            )


def _placed(specs: Sequence[MetricSpec], at: _Loc) -> list[tuple[MetricSpec, _Loc]]:
    return [(spec, [*at, i]) for i, spec in enumerate(specs)]


def _formula(spec: MetricSpec) -> str:
    """The formula a metric is computed by (its own or its standard one, as the review
    reads it), or "" when it is queried."""
    metric = to_metric(spec, None)
    return metric.query.strip() if metric.source == "from" else ""


def _formula_shown(spec: MetricSpec) -> str:
    implied = "" if spec.derived else f" (the standard formula of {spec.id})"
    return f"{_formula(spec)}{implied}"


def _inputs(spec: MetricSpec) -> tuple[str, ...]:
    formula = _formula(spec)
    if not formula:
        return ()
    try:
        return tuple(dict.fromkeys(parse_derivation(formula).inputs))
    except ValueError:  # reported by the schema already
        return ()


def _formula_loc(spec: MetricSpec, loc: _Loc) -> _Loc:
    # A standard metric's own formula is written nowhere: point at its id.
    return [*loc, "from"] if spec.derived else [*loc, "id"]


def _undefined(
    doc: Doc,
    spec: MetricSpec,
    loc: _Loc,
    name: str,
    scope: set[str],
    *,
    team: str | None = None,
) -> Problem:
    close = difflib.get_close_matches(name, sorted(scope - {spec.id}), n=1)
    where = f"company-wide or by team '{team}'" if team else "company-wide"
    hint = f"did you mean '{close[0]}'?" if close else f"define a metric with id {name}"
    return _problem_at(
        doc,
        _formula_loc(spec, loc),
        f"{_formula_shown(spec)} needs metric {name}, which is not defined {where}; {hint}",
        "error",
    )


def _duplicate_ids(listed: list[tuple[MetricSpec, _Loc]], doc: Doc) -> Iterator[Problem]:
    first: dict[str, _Loc] = {}
    for spec, loc in listed:
        if spec.id in first:
            line = doc.line_of_value([*first[spec.id], "id"])
            yield _problem_at(
                doc,
                [*loc, "id"],
                f"metric {spec.id} is listed twice (first at line {line}); keep one",
                "error",
            )
        else:
            first[spec.id] = loc


def _queries(spec: MetricSpec, loc: _Loc) -> Iterator[tuple[str, _Loc, str]]:
    # (source, where, what) of each query a metric may send: its own, then its
    # breakdown's (asked only when the figure is flagged, from the same sources).
    for key in ("posthog", "sql"):
        if getattr(spec, key):
            yield key, [*loc, key], spec.id
    if spec.breakdown is not None:
        for key in ("posthog", "sql"):
            if getattr(spec.breakdown, key):
                yield key, [*loc, "breakdown", key], f"{spec.id}'s breakdown"


def _unconfigured_sources(
    listed: list[tuple[MetricSpec, _Loc]], cfg: ConfigFile, doc: Doc, strict: bool
) -> Iterator[Problem]:
    severity = "error" if strict else "warning"
    for spec, loc in listed:
        for source, where, what in _queries(spec, loc):
            if source == "posthog" and cfg.sources.posthog is None:
                yield _problem_at(
                    doc,
                    where,
                    f"{what} is a PostHog query, but no PostHog project is configured, so it "
                    "will be unavailable; add `sources: {posthog: {project: <id>}}` (the id "
                    "is on the project's settings page)",
                    severity,
                )
            if source == "sql" and cfg.sources.warehouse is None:
                yield _problem_at(
                    doc,
                    where,
                    f"{what} is a SQL query, but no warehouse is configured, so it will be "
                    "unavailable; add `sources: {warehouse: {url_env: "
                    "QUARTERDECK_WAREHOUSE_URL}}` and set that variable to the database URL",
                    severity,
                )
        if spec.breakdown is not None and spec.target is None and not spec.alert:
            yield _problem_at(
                doc,
                [*loc, "breakdown"],
                f"{spec.id} has a breakdown, but with no target and `alert: false` it is never "
                "flagged, so the breakdown is never asked; add a target, or remove the "
                "breakdown",
                "warning",
            )


def credential_checks(
    cfg: ConfigFile, doc: Doc, present: Collection[str], *, strict: bool
) -> Iterator[Problem]:
    """A warning (an error if `strict`) at each metric whose configured source needs a
    credential from the environment that `present` (the names of the variables set,
    non-empty, where `validate` runs) lacks: POSTHOG_PERSONAL_API_KEY for `posthog:`,
    the variable `sources.warehouse.url_env` names for `sql:` (a metric's or its
    breakdown's). Without it the review
    would show the figure as unavailable. A source not configured at all is
    `metric_checks`' to report, once. Likewise a team's Slack channel without
    QUARTERDECK_SLACK_TOKEN: the review would be published, its overview not posted."""
    severity = "error" if strict else "warning"
    listed = [*_placed(cfg.metrics, ["metrics"])] + [
        placed
        for slug, team in cfg.teams.items()
        for placed in _placed(team.metrics, ["teams", slug, "metrics"])
    ]
    warehouse = cfg.sources.warehouse
    for source, where, what in (q for spec, loc in listed for q in _queries(spec, loc)):
        if (
            source == "posthog"
            and cfg.sources.posthog is not None
            and POSTHOG_KEY_ENV not in present
        ):
            yield _problem_at(
                doc,
                where,
                f"metric {what} is a PostHog query, but {POSTHOG_KEY_ENV} is not set, so "
                f"it would be unavailable; set {POSTHOG_KEY_ENV} to a personal API key with "
                f"query:read (in a workflow, from a secret: `{POSTHOG_KEY_ENV}: "
                f"${{{{ secrets.{POSTHOG_KEY_ENV} }}}}` in the step's `env:`)",
                severity,
            )
        if source == "sql" and warehouse is not None and warehouse.url_env not in present:
            yield _problem_at(
                doc,
                where,
                f"metric {what} is a SQL query, but {warehouse.url_env} (the warehouse's "
                f"`url_env`) is not set, so it would be unavailable; set {warehouse.url_env} "
                f"to the database URL (in a workflow, from a secret: `{warehouse.url_env}: "
                f"${{{{ secrets.{warehouse.url_env} }}}}` in the step's `env:`)",
                severity,
            )
    for slug, team in cfg.teams.items():
        if team.slack is not None and SLACK_TOKEN_ENV not in present:
            yield _problem_at(
                doc,
                ["teams", slug, "slack", "channel"],
                f"team {slug} shares its review in Slack, but {SLACK_TOKEN_ENV} is not set, "
                "so nothing would be posted; set it to the Slack app's bot token (xoxb-…, "
                f"scope chat:write; in a workflow, from a secret: `{SLACK_TOKEN_ENV}: "
                f"${{{{ secrets.{SLACK_TOKEN_ENV} }}}}` in the step's `env:`), or remove `slack:`",
                severity,
            )


def posthog_host_checks(cfg: ConfigFile, doc: Doc, policy: OutboundPolicy) -> Iterator[Problem]:
    """An error at `sources.posthog.host` when `policy` (the operator's, from the
    environment `validate` runs in) would not let a query, and its key, go there."""
    if cfg.sources.posthog is None:
        return
    loc: _Loc = ["sources", "posthog", "host"]
    why = host_refusal(cfg.sources.posthog.host, policy)
    if why is not None:
        yield _problem_at(
            doc,
            loc,
            f"{why}; the PostHog key is sent nowhere and PostHog's figures are unavailable",
            "error",
        )


def _cycles(
    company: list[tuple[MetricSpec, _Loc]],
    teams: Mapping[str, list[tuple[MetricSpec, _Loc]]],
    doc: Doc,
) -> Iterator[Problem]:
    """Formulas that reach themselves, in the company-wide list and in each team's
    (where a team's metric replaces a company-wide one of its id); each told once."""
    told: set[tuple[int | str, ...]] = set()
    shared = {spec.id: (spec, loc) for spec, loc in company}
    scopes = [("", shared)]
    scopes += [
        (f" in team '{slug}'s review", {**shared, **{spec.id: (spec, loc) for spec, loc in listed}})
        for slug, listed in teams.items()
    ]
    for where, scope in scopes:
        for start, (spec, loc) in scope.items():
            path = _path_back(start, scope)
            if path is None or tuple(loc) in told:
                continue
            told.add(tuple(loc))
            yield _problem_at(
                doc,
                _formula_loc(spec, loc),
                f"{spec.id} is computed from itself{where} ({' → '.join([start, *path])}); "
                "compute it from queried metrics",
                "error",
            )


def _path_back(start: str, scope: Mapping[str, tuple[MetricSpec, _Loc]]) -> list[str] | None:
    """The ids from `start`'s inputs back to `start`, if its formula reaches it."""
    seen: set[str] = set()

    def walk(node: str) -> list[str] | None:
        for name in _inputs(scope[node][0]):
            if name == start:
                return [name]
            if name in scope and name not in seen:
                seen.add(name)
                rest = walk(name)
                if rest is not None:
                    return [name, *rest]
        return None

    return walk(start)


def _teams(slugs: Sequence[str]) -> str:
    return ("team " if len(slugs) == 1 else "teams ") + ", ".join(f"'{s}'" for s in slugs)


def question_checks(
    cfg: ConfigFile, doc: Doc, present: Collection[str] | None, *, strict: bool
) -> Iterator[Problem]:
    """A warning (an error if `strict`) at each question whose query's source is not
    configured, or (with `present`, the variables set where `validate` runs) whose
    credential the environment lacks: the review would show its table unavailable."""
    severity = "error" if strict else "warning"
    questions = cfg.review.questions if isinstance(cfg.review.questions, list) else []
    warehouse, posthog = cfg.sources.warehouse, cfg.sources.posthog
    for i, question in enumerate(questions):
        if not isinstance(question, QuestionSpec):
            continue
        at: _Loc = ["review", "questions", i]
        if question.sql is not None and warehouse is None:
            yield _problem_at(
                doc,
                [*at, "sql"],
                f"question {i + 1} is a SQL query, but no warehouse is configured, so its "
                "table will be unavailable; add `sources: {warehouse: {url_env: "
                "QUARTERDECK_WAREHOUSE_URL}}` and set that variable to the database URL",
                severity,
            )
        elif question.sql is not None and warehouse is not None and present is not None:
            yield from _missing(doc, [*at, "sql"], i, warehouse.url_env, present, severity)
        if question.posthog is not None and posthog is None:
            yield _problem_at(
                doc,
                [*at, "posthog"],
                f"question {i + 1} is a PostHog query, but no PostHog project is configured, "
                "so its table will be unavailable; add `sources: {posthog: {project: <id>}}`",
                severity,
            )
        elif question.posthog is not None and present is not None:
            yield from _missing(doc, [*at, "posthog"], i, POSTHOG_KEY_ENV, present, severity)


def _missing(
    doc: Doc, loc: _Loc, index: int, variable: str, present: Collection[str], severity: str
) -> Iterator[Problem]:
    """A question's source needs `variable`, which the environment lacks."""
    if variable not in present:
        what = "the database URL" if loc[-1] == "sql" else "a personal API key with query:read"
        yield _problem_at(
            doc,
            loc,
            f"question {index + 1} is a {'SQL' if loc[-1] == 'sql' else 'PostHog'} query, but "
            f"{variable} is not set, so its table would be unavailable; set {variable} to "
            f"{what} (in a workflow, from a secret in the step's `env:`)",
            severity,
        )


def _problem_at(doc: Doc, loc: _Loc, message: str, severity: str) -> Problem:
    return Problem(
        doc.file_at(loc), doc.line_of_value(loc), render_key(loc, doc), message, severity
    )
