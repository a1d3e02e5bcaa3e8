"""Merged PRs of a time window from GitHub: one GraphQL search, 100 PRs a request.

Everything the linking and the speed metrics need comes back in the same query per
PR (body, author and whether a bot, labels, branch, created / ready-for-review /
merged times, first review and first non-author comment, first commit, changed
paths, closing issues and their parent issues), so a month of 1,000 PRs costs ten
requests, never one per PR. GitHub's search stops at 1,000 results per query, so a
window that matches more is read on past them without a wasted page: results come
oldest-created first, and the next query starts at the creation time the last one
reached (`_fetch_chain`). A search over many repositories whose query has no room
left for that is split into smaller windows instead (`_fetch_window`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from github import Github
from github.IssueComment import IssueComment

from quarterdeck.core.model import PullRequest
from quarterdeck.core.vocabulary import actor, is_bot_login, parse_timestamp
from quarterdeck.errors import GitHubError
from quarterdeck.sources.github.client import graphql, translated

__all__ = [
    "MAX_QUERY",
    "PAGE_SIZE",
    "SEARCH_CAP",
    "fetch_merged_prs",
    "fetch_pr",
    "fetch_pr_and_comments",
    "repo_chunks",
    "search_query",
]

log = logging.getLogger(__name__)

PAGE_SIZE = 100
SEARCH_CAP = 1000  # GitHub's search returns at most this many results per query
MAX_QUERY = 256  # GitHub refuses longer search queries
# Search results oldest-created first, so the 1,000 a query can list are the oldest
# and the rest start where they stop (`created:>=` the last one's time).
ORDER = " sort:created-asc"
_FROM = " created:>={}"
_FROM_LENGTH = len(_FROM.format("2026-01-01T00:00:00+00:00"))
_ACTOR = "login __typename"
# Reviews and comments read with each PR; a PR whose first this-many are all the
# author's or bots' is read further on its own (see `_first_response`).
RESPONSES = 20
# Every field a PR needs, fetched with the PR itself (never a request per PR).
FIELDS = f"""
fragment PR on PullRequest {{
  number title body url headRefName createdAt mergedAt isDraft
  repository {{ nameWithOwner }}
  author {{ {_ACTOR} }}
  mergeCommit {{ oid }}
  labels(first: 30) {{ nodes {{ name }} }}
  timelineItems(itemTypes: [READY_FOR_REVIEW_EVENT], first: 1) {{
    nodes {{ ... on ReadyForReviewEvent {{ createdAt }} }}
  }}
  reviews(first: {RESPONSES}) {{
    pageInfo {{ hasNextPage endCursor }} nodes {{ submittedAt author {{ {_ACTOR} }} }}
  }}
  comments(first: {RESPONSES}) {{
    pageInfo {{ hasNextPage endCursor }} nodes {{ createdAt author {{ {_ACTOR} }} }}
  }}
  commits(first: 30) {{
    totalCount
    nodes {{ commit {{ authoredDate authors(first: 5) {{ nodes {{ user {{ login }} }} }} }} }}
  }}
  files(first: 100) {{ nodes {{ path }} }}
  closingIssuesReferences(first: 10) {{
    nodes {{
      number repository {{ nameWithOwner }}
      parent {{ number repository {{ nameWithOwner }} }}
    }}
  }}
}}
"""
QUERY = f"""
query($q: String!, $cursor: String) {{
  rateLimit {{ remaining resetAt }}
  search(query: $q, type: ISSUE, first: {PAGE_SIZE}, after: $cursor) {{
    issueCount
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ ...PR }}
  }}
}}
{FIELDS}"""
MORE_RESPONSES = f"""
query($owner: String!, $name: String!, $number: Int!, $after: String,
      $reviews: Boolean!, $comments: Boolean!) {{
  repository(owner: $owner, name: $name) {{ pullRequest(number: $number) {{
    reviews(first: 100, after: $after) @include(if: $reviews) {{
      pageInfo {{ hasNextPage endCursor }} nodes {{ submittedAt author {{ {_ACTOR} }} }}
    }}
    comments(first: 100, after: $after) @include(if: $comments) {{
      pageInfo {{ hasNextPage endCursor }} nodes {{ createdAt author {{ {_ACTOR} }} }}
    }}
  }} }}
}}"""
ONE_QUERY = f"""
query($owner: String!, $name: String!, $number: Int!) {{
  repository(owner: $owner, name: $name) {{ pullRequest(number: $number) {{ ...PR }} }}
}}
{FIELDS}"""


def search_query(
    repos: str | Sequence[str], since: datetime, until: datetime, base: str | None
) -> str:
    """The search for PRs of `repos` merged in [since, until): GitHub's range is
    inclusive, so -1 s; repeated `repo:` qualifiers are ORed by GitHub."""
    names = [repos] if isinstance(repos, str) else list(repos)
    last = until - timedelta(seconds=1)
    scope = " ".join(f"repo:{name}" for name in names)
    query = f"{scope} is:pr is:merged merged:{_iso(since)}..{_iso(last)}"
    return f"{query} base:{base}" if base else query


def repo_chunks(
    repos: Sequence[str], since: datetime, until: datetime, base: str | None
) -> list[list[str]]:
    """`repos` cut into as few searches as GitHub's query length limit allows."""
    chunks: list[list[str]] = []
    for name in repos:
        if chunks and len(search_query([*chunks[-1], name], since, until, base)) <= MAX_QUERY:
            chunks[-1].append(name)
        else:
            chunks.append([name])
    return chunks


def fetch_merged_prs(
    gh: Github,
    repos: str | Sequence[str],
    since: datetime,
    until: datetime,
    *,
    bases: Sequence[str] = (),
) -> list[PullRequest]:
    """Every PR of `repos` (one `owner/name` or several) merged in [since, until), by
    merge time, each named by its repository.

    Into any branch, or only into `bases` when given (one search each: GitHub ANDs
    repeated `base:` qualifiers). Several repositories share each search, as many
    `repo:` qualifiers as fit in GitHub's query length limit. Raises GitHubError when
    GitHub refuses the query.
    """
    names = [repos] if isinstance(repos, str) else list(dict.fromkeys(repos))
    found: dict[tuple[str, int], PullRequest] = {}
    for base in dict.fromkeys(bases) if bases else [None]:
        for chunk in repo_chunks(names, since, until, base):
            _fetch_window(gh, chunk, since, until, base, found)
    return sorted(found.values(), key=lambda pr: (pr.merged_at, pr.key))


# The App's read of one PR: the PR, and its conversation (to find our own comment in
# the same request). The review's search never asks for comment bodies.
CONVERSATION = 100
APP_QUERY = f"""
query($owner: String!, $name: String!, $number: Int!) {{
  repository(owner: $owner, name: $name) {{ pullRequest(number: $number) {{
    ...PR
    conversation: comments(first: {CONVERSATION}) {{
      pageInfo {{ hasNextPage }} nodes {{ databaseId body author {{ {_ACTOR} }} }}
    }}
  }} }}
}}
{FIELDS}"""


def fetch_pr(gh: Github, full_name: str, number: int) -> PullRequest:
    """One merged PR with the same fields; GitHubError if it is missing or not merged."""
    return _to_pr(gh, _one_node(gh, full_name, number, ONE_QUERY), full_name)


def fetch_pr_and_comments(
    gh: Github, full_name: str, number: int
) -> tuple[PullRequest, list[IssueComment] | None]:
    """`fetch_pr`, with the PR's comments in the same request, oldest first.

    Each comment is a PyGithub object that edits and deletes without being read again.
    None when the PR has more than `CONVERSATION` comments: list them by REST.
    """
    node = _one_node(gh, full_name, number, APP_QUERY)
    page = node.get("conversation") or {}
    comments = None
    if not (page.get("pageInfo") or {}).get("hasNextPage"):
        comments = [_comment(gh, full_name, c) for c in page.get("nodes") or [] if c]
    return _to_pr(gh, node, full_name), comments


def _comment(gh: Github, full_name: str, node: Mapping[str, Any]) -> IssueComment:
    login, is_bot = actor(node.get("author"))
    number = node["databaseId"]
    attributes = {
        "id": number,
        "body": node.get("body") or "",
        "user": {"login": login, "type": "Bot" if is_bot else "User"},
        "url": f"/repos/{full_name}/issues/comments/{number}",
    }
    return IssueComment(gh.requester, headers={}, attributes=attributes, completed=True)


def _one_node(gh: Github, full_name: str, number: int, query: str) -> dict[str, Any]:
    owner, name = full_name.split("/", 1)
    variables = {"owner": owner, "name": name, "number": number}
    with translated(f"reading PR #{number} of {full_name}"):
        data = graphql(gh, query, variables)
    node = ((data.get("data") or {}).get("repository") or {}).get("pullRequest")
    if not node:
        raise GitHubError(f"{full_name} has no PR #{number}; check the number and the repository")
    if not node.get("mergedAt"):
        raise GitHubError(
            f"PR #{number} of {full_name} is not merged; Quarterdeck links merged PRs only"
        )
    return node


def _fetch_window(
    gh: Github,
    repos: list[str],
    since: datetime,
    until: datetime,
    base: str | None,
    found: dict[tuple[str, int], PullRequest],
) -> None:
    query = search_query(repos, since, until, base)
    which = repos[0] if len(repos) == 1 else f"{len(repos)} repositories"
    if len(query) + len(ORDER) + _FROM_LENGTH <= MAX_QUERY:
        _fetch_chain(gh, query + ORDER, repos, since, until, found)
        return
    page = _page(gh, query, None)
    if page["issueCount"] > SEARCH_CAP:
        if until - since <= timedelta(seconds=2):
            raise GitHubError(
                f"more than {SEARCH_CAP:,} PRs of {which} merged within two seconds at "
                f"{_iso(since)}; GitHub's search cannot list them"
            )
        # Search would stop at 1,000: split into equal windows of ~900 expected PRs each
        # (slack for uneven days); a part still over the cap is split again.
        parts = -(-page["issueCount"] // (SEARCH_CAP * 9 // 10))
        log.info("%s: %d PRs in one window, splitting in %d", which, page["issueCount"], parts)
        step = (until - since) / parts
        inner = [(since + step * i).replace(microsecond=0) for i in range(1, parts)]
        for low, high in itertools.pairwise([since, *inner, until]):
            if low < high:
                _fetch_window(gh, repos, low, high, base, found)
        return
    while True:
        for node in page["nodes"]:
            if node:  # search may return other types as empty objects
                pr = _to_pr(gh, node, repos[0])
                if since <= pr.merged_at < until:
                    found[pr.key] = pr
        info = page["pageInfo"]
        if not info["hasNextPage"]:
            return
        page = _page(gh, query, info["endCursor"])


def _fetch_chain(
    gh: Github,
    query: str,
    repos: list[str],
    since: datetime,
    until: datetime,
    found: dict[tuple[str, int], PullRequest],
) -> None:
    """Every PR `query` (sorted oldest-created first) finds, however many.

    GitHub lists at most 1,000 results of a query. Sorted by creation time, the 1,000
    it lists hold every PR created before the last one's second; the next query asks
    for those created from that second on (the PRs seen again in that second are
    kept once). Every page read is kept: a window of N PRs costs about N / 100 pages,
    where probing and splitting it by merge time threw a page away at each split.
    """
    start: datetime | None = None
    while True:
        asked = query if start is None else query + _FROM.format(_iso(start))
        cursor: str | None = None
        listed, last = 0, start
        while True:
            page = _page(gh, asked, cursor)
            listed += len(page["nodes"])  # empty ones too: they count toward the 1,000
            for node in page["nodes"]:
                if node:  # search may return other types as empty objects
                    last = parse_timestamp(node.get("createdAt")) or last
                    pr = _to_pr(gh, node, repos[0])
                    if since <= pr.merged_at < until:
                        found[pr.key] = pr
            info = page["pageInfo"]
            if not info["hasNextPage"]:
                break
            cursor = info["endCursor"]
        if listed < SEARCH_CAP or page["issueCount"] <= listed:
            return  # GitHub listed every result it has
        if last is None or (start is not None and last <= start):
            which = repos[0] if len(repos) == 1 else f"{len(repos)} repositories"
            raise GitHubError(
                f"more than {SEARCH_CAP:,} PRs of {which} merged between {_iso(since)} and "
                f"{_iso(until)} were created within one second ({_iso(last or since)}); "
                "GitHub's search cannot list them: review one base branch at a time "
                "(`--branch`), or report it"
            )
        more = page["issueCount"] - listed
        log.info("%d more PRs past GitHub's %d, from %s", more, SEARCH_CAP, _iso(last))
        start = last


def _page(gh: Github, query: str, cursor: str | None) -> dict[str, Any]:
    with translated(f"searching merged PRs ({query})"):
        data = graphql(gh, QUERY, {"q": query, "cursor": cursor})
    body = data["data"]
    budget = body.get("rateLimit") or {}
    if "remaining" in budget:
        log.info("GitHub GraphQL budget: %s points left", budget["remaining"])
    return body["search"]


def _to_pr(gh: Github, node: Mapping[str, Any], full_name: str) -> PullRequest:
    # A search over several repositories says which one each PR is in.
    full_name = str((node.get("repository") or {}).get("nameWithOwner") or full_name)
    author, is_bot = actor(node.get("author"))
    ready = _nodes(node, "timelineItems")
    commits = _nodes(node, "commits")
    co_authors = _co_authors(commits, author)
    opened_by = None
    if is_bot and co_authors:
        # A bot or assistant (Copilot, Devin) opened it for a person: it is their work.
        opened_by, author, co_authors, is_bot = author, co_authors[0], co_authors[1:], False
    closing, elsewhere = [], []
    for issue in _nodes(node, "closingIssuesReferences"):
        where = str((issue.get("repository") or {}).get("nameWithOwner") or full_name)
        if where.casefold() == full_name.casefold():
            closing.append(issue)
        else:
            elsewhere.append(f"{where}#{issue['number']}")
    return PullRequest(
        number=node["number"],
        title=node["title"],
        author=author,
        merged_at=parse_timestamp(node["mergedAt"]),  # type: ignore[arg-type]
        body=node.get("body") or "",
        branch=node.get("headRefName"),
        labels=tuple(label["name"] for label in _nodes(node, "labels")),
        paths=tuple(f["path"] for f in _nodes(node, "files")),
        is_bot=is_bot,
        sha=(node.get("mergeCommit") or {}).get("oid", ""),
        source="github",
        first_commit_at=parse_timestamp(commits[0]["commit"]["authoredDate"]) if commits else None,
        created_at=parse_timestamp(node.get("createdAt")),
        ready_at=parse_timestamp(ready[0].get("createdAt")) if ready else None,
        first_review_at=_first_response(gh, full_name, node, author),
        closing_issues=tuple(issue["number"] for issue in closing),
        parent_issues=MappingProxyType(
            {i["number"]: i["parent"]["number"] for i in closing if _parent_in(i) == full_name}
        ),
        parents_elsewhere=MappingProxyType(
            {
                i["number"]: f"{parent_repo}#{i['parent']['number']}"
                for i in closing
                if (parent_repo := _parent_in(i)) not in (None, full_name)
            }
        ),
        co_authors=co_authors,
        opened_by=opened_by,
        repo=full_name,
        url=str(node.get("url") or ""),
        closing_elsewhere=tuple(elsewhere),
    )


def _parent_in(issue: Mapping[str, Any]) -> str | None:
    """The repository of a closing issue's parent (its own when GitHub doesn't say)."""
    parent = issue.get("parent")
    if not parent:
        return None
    own = (issue.get("repository") or {}).get("nameWithOwner")
    return str((parent.get("repository") or {}).get("nameWithOwner") or own)


def _co_authors(commits: list[dict[str, Any]], author: str) -> tuple[str, ...]:
    """Other people with commits in the PR (git authors and `Co-authored-by:`), bots aside.

    GitHub's commit authors include the trailers' people who have an account; the
    first 30 commits stand for the PR, as a squash's trailers list its authors.
    """
    logins: dict[str, None] = {}
    for node in commits:
        for person in _nodes(node.get("commit") or {}, "authors"):
            login = (person.get("user") or {}).get("login")
            if login and login.lower() != author.lower() and not is_bot_login(login):
                logins.setdefault(login, None)
    return tuple(logins)


def _first_response(
    gh: Github, full_name: str, node: Mapping[str, Any], author: str
) -> datetime | None:
    """First review or comment by someone other than the author or a bot.

    Both lists come oldest first, so each list's first such item is its earliest;
    a list whose page holds none is read on until it does or ends.
    """
    times = []
    for kind, field in (("reviews", "submittedAt"), ("comments", "createdAt")):
        page = node.get(kind) or {}
        found = _first_by_others(page.get("nodes") or [], field, author)
        while found is None and (page.get("pageInfo") or {}).get("hasNextPage"):
            page = _more_responses(gh, full_name, node["number"], kind, page["pageInfo"])
            found = _first_by_others(page.get("nodes") or [], field, author)
        if found is not None:
            times.append(found)
    return min(times, default=None)


def _first_by_others(items: list[dict[str, Any]], field: str, author: str) -> datetime | None:
    for item in items:
        who, bot = actor((item or {}).get("author"))
        if item and item.get(field) and not bot and who.lower() != author.lower():
            return parse_timestamp(item[field])
    return None


def _more_responses(
    gh: Github, full_name: str, number: int, kind: str, info: Mapping[str, Any]
) -> dict[str, Any]:
    owner, name = full_name.split("/", 1)
    variables = {
        "owner": owner,
        "name": name,
        "number": number,
        "after": info.get("endCursor"),
        "reviews": kind == "reviews",
        "comments": kind == "comments",
    }
    with translated(f"reading the {kind} of PR #{number} of {full_name}"):
        data = graphql(gh, MORE_RESPONSES, variables)
    pull = ((data.get("data") or {}).get("repository") or {}).get("pullRequest") or {}
    return pull.get(kind) or {}


def _nodes(node: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    return [n for n in ((node.get(key) or {}).get("nodes") or []) if n]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")
