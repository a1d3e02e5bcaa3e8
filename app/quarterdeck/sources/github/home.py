"""A review's home repository opened with one GraphQL query: the repository, the
folders the review reads, its issues by label and the goals file's history.

Over REST that is a request each: the repository, the config file, each folder
listing and each file in it, each labelled listing, the goals file's commits. Here
one query asks for all of them as `HomePlan` names them (aliases under
`repository`), and the answers are handed to the readers that would have asked:

- each folder primes the repository's reader (`config.repo_reader`), its files with
  their text, so reading `goals/2026-Q4.yml` costs nothing more;
- each label's issues (PyGithub `Issue` objects built from the nodes, lazy like a
  listing's) are held for the one listing by that label that takes them
  (`goal_listing.hold_issues`, `take_issues`);
- the file's commits are held likewise for `goals_history` (`hold_commits`).

The listings own what they are handed, so a run that opens no home (the App) never
comes here.

Whatever the plan did not name (a folder or label the config moves elsewhere) is
read through REST as before, and so is anything the answer can't say exactly: a
folder holding a link or a submodule (the contents API follows links), a binary file
or one whose text is not its bytes (the contents API's bytes decide what is wrong with
it). A label with more than 100 issues costs one more query per 100, all labels'
next pages together. GitHub's errors become `GitHubError`s naming what was read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from github import Github
from github.Issue import Issue
from github.Repository import Repository

from quarterdeck.core.config import MAX_FILE_BYTES
from quarterdeck.sources.github.client import graphql, translated
from quarterdeck.sources.github.config import Entry, repo_reader
from quarterdeck.sources.github.goal_listing import hold_issues
from quarterdeck.sources.github.goals_history import hold_commits

__all__ = ["HomePlan", "open_home"]

_PAGE = 100  # GitHub's most nodes a connection gives at once
# Git's modes: a regular file, an executable one, a folder; anything else (a link
# 0o120000, a submodule 0o160000) is left to the contents API, which follows links.
_FILE_MODES = frozenset({0o100644, 0o100755})
_TREE_MODE = 0o040000
_ENTRIES = "... on Tree { entries { name type mode object { ... on Blob { byteSize text } } } }"
_ISSUES = (
    "pageInfo { hasNextPage endCursor } nodes { number title body state stateReason url "
    "createdAt updatedAt author { login __typename } labels(first: 100) { nodes { name } } "
    "assignees(first: 100) { nodes { login } } }"
)
_REPOSITORY = "nameWithOwner name url isArchived isFork defaultBranchRef { name%s }"
_HISTORY = (
    " target { ... on Commit { history(first: 100, path: $history) "
    "{ nodes { oid committedDate } } } }"
)


@dataclass(frozen=True)
class HomePlan:
    """What to read with the repository: `folders` (repo paths, with their files'
    text), issue listings by `labels` (any state), and the default branch's commits
    that changed `history` (a file), newest first, 100 at most."""

    folders: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    history: str | None = None

    def describe(self) -> str:
        """The reads in words, for an error message."""
        parts = [f"the folders {', '.join(self.folders)}"] if self.folders else []
        if self.labels:
            parts.append(f"the issues labelled {', '.join(self.labels)}")
        if self.history:
            parts.append(f"the history of {self.history}")
        return " and ".join(parts) or "nothing else"


def open_home(gh: Github, full_name: str, plan: HomePlan) -> Repository:
    """`full_name` as `gh.get_repo` gives it, with what `plan` names read ahead.

    Raises `GitHubNotFound` when the token can't see the repository, and another
    `GitHubError` when GitHub refuses or fails the query (its words quoted).
    """
    owner, _, name = full_name.partition("/")
    # The top folder is left out: it holds everything, a checkout's worth of text.
    folders = list(dict.fromkeys(f.strip("/") for f in plan.folders if f.strip("/")))
    doing = f"opening repository {full_name} and reading {plan.describe()}"
    with translated(doing):
        query, variables = _query(folders, plan.labels, plan.history)
        found = graphql(gh, query, {"owner": owner, "name": name, **variables})
        data = found["data"]["repository"]
        issues = _all_issues(gh, owner, name, plan.labels, data)
    repo = _repository(gh, data)
    reader = repo_reader(repo)
    for n, folder in enumerate(folders):
        primed = _folder(data[f"f{n}"])
        if primed is not None:
            reader.prime(folder, *primed)
    hold_issues(repo, {label: [_issue(repo, node) for node in issues[label]] for label in issues})
    commits = _commits(data) if plan.history else None
    if plan.history and commits is not None:
        hold_commits(repo, plan.history, commits)
    return repo


def _query(
    folders: list[str], labels: tuple[str, ...], history: str | None, after: bool = False
) -> tuple[str, dict[str, Any]]:
    """The query and its variables: alias f<n> per folder, i<n> per label."""
    variables: dict[str, Any] = {}
    params = ["$owner: String!", "$name: String!"]
    fields = [] if after else [_REPOSITORY % (_HISTORY if history else "")]
    for n, folder in enumerate(folders):
        params.append(f"$f{n}: String!")
        variables[f"f{n}"] = f"HEAD:{folder}"
        fields.append(f"f{n}: object(expression: $f{n}) {{ {_ENTRIES} }}")
    for n, label in enumerate(labels):
        params.append(f"$l{n}: [String!]")
        variables[f"l{n}"] = [label]
        page = ""
        if after:
            params.append(f"$c{n}: String")
            page = f", after: $c{n}"
        fields.append(
            f"i{n}: issues(labels: $l{n}, states: [OPEN, CLOSED], first: {_PAGE}{page}, "
            f"orderBy: {{field: CREATED_AT, direction: ASC}}) {{ {_ISSUES} }}"
        )
    if history:
        params.append("$history: String!")
        variables["history"] = history
    body = " ".join(fields)
    query = f"query({', '.join(params)}) {{ repository(owner: $owner, name: $name) {{ {body} }} }}"
    return query, variables


def _all_issues(
    gh: Github, owner: str, name: str, labels: tuple[str, ...], data: dict[str, Any]
) -> dict[str, list[dict[str, Any]]]:
    """Every label's issue nodes, following each listing past its first 100: one more
    query per round, for every label that still has a next page."""
    found = {label: list(data[f"i{n}"]["nodes"]) for n, label in enumerate(labels)}
    pages = {n: data[f"i{n}"]["pageInfo"] for n in range(len(labels))}
    while pending := {n: p["endCursor"] for n, p in pages.items() if p["hasNextPage"]}:
        wanted = tuple(labels[n] for n in pending)
        query, variables = _query([], wanted, None, after=True)
        cursors = {f"c{i}": cursor for i, cursor in enumerate(pending.values())}
        more = graphql(gh, query, {"owner": owner, "name": name, **variables, **cursors})
        listed = more["data"]["repository"]
        pages = {}
        for i, n in enumerate(pending):
            found[labels[n]] += listed[f"i{i}"]["nodes"]
            pages[n] = listed[f"i{i}"]["pageInfo"]
    return found


def _repository(gh: Github, data: dict[str, Any]) -> Repository:
    """A PyGithub repository from the query's fields; any other field it is asked
    for is fetched then, as for a lazy one. An empty repository has no default
    branch ref: its `default_branch` is asked of the REST API when read."""
    full_name = data["nameWithOwner"]
    attributes: dict[str, Any] = {
        "url": f"{gh.requester.base_url}/repos/{full_name}",
        "full_name": full_name,
        "name": data["name"],
        "owner": {"login": full_name.split("/")[0]},
        "html_url": data["url"],
        "archived": data["isArchived"],
        "fork": data["isFork"],
    }
    if data.get("defaultBranchRef"):
        attributes["default_branch"] = data["defaultBranchRef"]["name"]
    return Repository(gh.requester, {}, attributes, completed=False)


def _folder(tree: dict[str, Any] | None) -> tuple[list[Entry] | None, dict[str, Entry]] | None:
    """A folder's entries and the files whose content came exactly; None when the
    contents API must say (a link or a submodule in it, or not a folder)."""
    if tree is None:
        return None, {}
    if "entries" not in tree:
        return None  # a file where a folder was expected: the reader says so
    entries: list[Entry] = []
    files: dict[str, Entry] = {}
    for item in tree["entries"]:
        if item["mode"] == _TREE_MODE:
            entries.append(Entry(item["name"], "dir"))
        elif item["mode"] in _FILE_MODES:
            blob = item.get("object") or {}
            entries.append(Entry(item["name"], "file", int(blob.get("byteSize") or 0)))
            exact = _blob(item["name"], blob)
            if exact is not None:
                files[item["name"]] = exact
        else:
            return None
    return entries, files


def _blob(name: str, blob: dict[str, Any]) -> Entry | None:
    """A file's entry with its bytes, or too large for them; None when its text is not
    exactly its bytes (binary, another encoding, cut short)."""
    size = int(blob.get("byteSize") or 0)
    if size > MAX_FILE_BYTES:
        return Entry(name, "file", size)
    text = blob.get("text")
    raw = text.encode("utf-8") if isinstance(text, str) else None
    if raw is None or len(raw) != size:
        return None
    return Entry(name, "file", size, raw)


def _commits(data: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The history's commits as the REST listing gives them; None without a branch."""
    target = (data.get("defaultBranchRef") or {}).get("target") or {}
    history = target.get("history")
    if history is None:
        return None
    return [
        {"sha": c["oid"], "commit": {"committer": {"date": c["committedDate"]}}}
        for c in history["nodes"]
    ]


def _issue(repo: Repository, node: dict[str, Any]) -> Issue:
    """An issue node as a PyGithub `Issue`, with the fields a REST listing gives that
    Quarterdeck reads; GraphQL names an App by its slug, REST as `slug[bot]`."""
    author = node.get("author") or {"login": "ghost", "__typename": "User"}  # a deleted user
    bot = author["__typename"] == "Bot"
    attributes = {
        "number": node["number"],
        "url": f"{repo.url}/issues/{node['number']}",
        "html_url": node["url"],
        "title": node["title"],
        "body": node["body"],
        "state": node["state"].lower(),
        "state_reason": (node.get("stateReason") or "").lower() or None,
        "created_at": node["createdAt"],
        "updated_at": node["updatedAt"],
        "user": {
            "login": f"{author['login']}[bot]" if bot else author["login"],
            "type": "Bot" if bot else "User",
        },
        "labels": [{"name": x["name"]} for x in node["labels"]["nodes"]],
        "assignees": [{"login": x["login"]} for x in node["assignees"]["nodes"]],
    }
    return Issue(repo.requester, {}, attributes, completed=False)
