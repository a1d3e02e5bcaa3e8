"""The one fake GitHub: an in-memory REST (and pluggable GraphQL) API behind `responses`.

The real PyGithub code runs against it over HTTP-shaped mocks, so a test sees the
same requests, pagination, headers and error bodies as production. Object shapes are
copied from GitHub's own recorded responses in `tests/fixtures/github-api/`.

Use through the `github` fixture in `tests/conftest.py`::

    repo = github.add_repo("acme/web", files={".github/quarterdeck.yml": "teams: {}"})
    gh = github.client()                      # a real `github.Github`, no sleeps between writes
    gh.get_repo("acme/web").create_issue("Hello")
    assert github.writes == [("POST", "/repos/acme/web/issues")]
    github.fail("GET", r"/repos/acme/web$", 502)          # the next matching request fails once
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import inspect
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses

API = "https://api.github.com"
WEB = "https://github.com"
# Recorded by GitHub's own tooling (see tests/fixtures/README.md), copied verbatim from
# the team's shared fixtures so the suite runs from a lone clone.
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_URL = re.compile(r"^https://api\.github\.com(?::443)?(/[^?]*)(?:\?(.*))?$")
_RESET = 1_900_000_000  # X-RateLimit-Reset of a healthy budget (2030)
_EXPIRES = "2030-01-01T00:00:00Z"
# The reasons GitHub's "update an issue" takes; anything else is answered 422.
STATE_REASONS = frozenset({"completed", "not_planned", "duplicate", "reopened"})


def fixture(scenario: str) -> list[dict[str, Any]]:
    """Recorded request/response pairs of one `github-api` scenario."""
    path = FIXTURES / "github-api" / scenario / "normalized-fixture.json"
    return json.loads(path.read_text(encoding="utf-8"))


def webhook_examples(event: str) -> list[dict[str, Any]]:
    """Recorded webhook payloads of one event, from `github-webhooks/<event>.json`."""
    path = FIXTURES / "github-webhooks" / f"{event}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Call:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]


@dataclass
class Fault:
    """Answer the next `times` requests matching `method` and `path` with an error."""

    method: str
    path: re.Pattern[str]
    status: int
    headers: dict[str, str]
    body: Any
    times: int
    after: bool = False  # carry the request out, then fail: a response lost on the way back
    skip: int = 0  # let this many matching requests through first
    error: BaseException | None = None  # raise this (e.g. a timeout) instead of answering
    raw: str | None = None  # send this text as the body instead of JSON (a truncated answer)
    hang: bool = False  # carry the request out, then never answer (see `Hung`)


class Hung(requests.ReadTimeout):
    """A request the fake carried out and then never answered.

    Under `responses` it reaches the client at once as the read timeout it would see;
    `HttpFront` instead holds the connection open, silent, until the client's own read
    timeout gives up on it.
    """


@dataclass
class Gate:
    """Hold the first `left` matching requests until all have arrived (a `Barrier`)."""

    method: str
    path: re.Pattern[str]
    query: dict[str, str]
    barrier: threading.Barrier
    left: int


@dataclass
class FakeRepo:
    """A repository's state: its files, issues, comments and labels."""

    owner: str
    name: str
    default_branch: str = "main"
    id: int = 1000
    files: dict[str, str | bytes] = field(default_factory=dict)  # bytes: not UTF-8 text
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    milestones: dict[int, dict[str, Any]] = field(default_factory=dict)
    assignable: set[str] | None = None  # logins that can be assigned; None: anyone
    pull_files: dict[int, list[str]] = field(default_factory=dict)  # PR number -> paths
    deleted: set[int] = field(default_factory=set)  # issues a person deleted: 410 Gone
    archived: bool = False
    fork: bool = False
    readable: bool = True  # False: the token cannot see it (404, and never listed)
    # The default branch's history, oldest first: (sha, ISO date, the files after it).
    commits: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    # Each issue's body edits, oldest first: (editor login, ISO date), as GraphQL's
    # `userContentEdits` keeps them.
    edits: dict[int, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    def comments_on(self, number: int) -> list[dict[str, Any]]:
        """The comments of issue or PR `number`, oldest first."""
        return [c for c in self.comments.values() if c["_issue"] == number]


@dataclass
class FakeInstallation:
    """One installation of the App: its account, the repositories it was granted, its token."""

    id: int
    account: str
    repos: list[str]  # full names, as granted
    token: str
    account_type: str = "Organization"
    suspended: bool = False
    # Answer its token request with this status (e.g. 403) instead of a token.
    token_refused: int | None = None


class FakeGitHub:
    """An in-memory GitHub answering PyGithub's requests through `responses`."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.mock = mock  # `add_passthru(front.url)` lets a test reach an `HttpFront`
        self.repos: dict[str, FakeRepo] = {}
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.gates: list[Gate] = []
        self.slows: list[tuple[str, re.Pattern[str], dict[str, str], float]] = []
        self.graphql: Callable[[str, dict[str, Any]], dict[str, Any]] | None = None
        self.pulls: dict[str, list[dict[str, Any]]] = {}  # repo -> merged PRs as GraphQL nodes
        self.users: set[str] = set()  # owners that are users: `/orgs/{owner}` is a 404
        self.rate_remaining = 5000
        # Echo each request's Authorization header back in every error answer (body,
        # message and a header), as a misconfigured proxy or GitHub Enterprise may:
        # the canary tests check that no echoed credential reaches a person or a log.
        self.echo_auth = False
        self.installation_token = "ghs_fake_installation_token"  # what an App is given
        # Who writes: `GET /app` answers the App's `app_slug`, and its installations' tokens
        # write as `<slug>[bot]` (and are refused `GET /user`, as on GitHub). Any other
        # token writes as `viewer`, which `GET /user` answers; None makes it an Actions
        # GITHUB_TOKEN: `GET /user` is refused and it writes as `github-actions[bot]`. By
        # default both are the one `quarterdeck[bot]`, so a test's App and CLI agree.
        self.app_slug = "quarterdeck"
        self.viewer: str | None = "quarterdeck[bot]"
        self._writer = "quarterdeck[bot]"  # who the request being answered writes as
        # Installations `add_installation` made: each has its own token, sees its own
        # repositories; an id not among them gets `installation_token` (one repo's App).
        self.installations: dict[int, FakeInstallation] = {}
        self.echoed = 0  # error answers that carried the header back
        # The fake's clock (ISO): when edits and commits happen; `updated_at` of an edit.
        self.now = "2026-11-25T12:00:00Z"
        self.not_modified = 0  # conditional reads answered 304 (free of rate limit)
        self._ids = 5000
        self._lock = threading.Lock()  # the webhook tests post from several threads
        templates = fixture("paginate-issues")[0]["response"]
        self._issue_template = templates[0]
        self._user_template = templates[0]["user"]
        self._repo_template = fixture("get-repository")[0]["response"]
        self._label_template = fixture("labels")[1]["response"]
        self._installation_template = webhook_examples("installation")[0]["installation"]
        pattern = re.compile(r"^https://api\.github\.com(?::443)?/.*$")
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            mock.add_callback(method, pattern, callback=self._dispatch)

    # -- test API ---------------------------------------------------------------

    def add_repo(
        self,
        full_name: str,
        *,
        default_branch: str = "main",
        files: dict[str, str] | None = None,
        **flags: bool,
    ) -> FakeRepo:
        """Create a repository the fake will serve; `flags`: archived, fork, readable."""
        owner, name = full_name.split("/")
        repo = FakeRepo(
            owner, name, default_branch, 1000 + len(self.repos), dict(files or {}), **flags
        )
        self.repos[full_name.lower()] = repo
        return repo

    def add_installation(
        self,
        installation_id: int,
        account: str,
        repos: list[str],
        *,
        account_type: str = "Organization",
        **flags: Any,
    ) -> FakeInstallation:
        """Install the App on `account` with access to `repos` (full names); `flags`:
        suspended, token_refused. Its token reads only those repositories."""
        installation = FakeInstallation(
            installation_id,
            account,
            list(repos),
            f"ghs_fake_installation_{installation_id}_token",
            account_type,
            **flags,
        )
        self.installations[installation_id] = installation
        return installation

    def client(self, **kwargs: Any) -> Any:
        """A real `github.Github` for this fake: a test token, no pause between writes."""
        from github import Auth, Github

        kwargs.setdefault("seconds_between_writes", 0)
        kwargs.setdefault("seconds_between_requests", 0)
        kwargs.setdefault("retry", None)
        return Github(auth=Auth.Token("test-token-not-real"), **kwargs)

    def gateway(self, **kwargs: Any) -> Any:
        """`client` behind Quarterdeck's sealed gateway: what services take."""
        from quarterdeck.sources.github.gateway import GitHubGateway

        return GitHubGateway(self.client(**kwargs))

    def fail(
        self,
        method: str,
        path: str,
        status: int,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        times: int = 1,
        after: bool = False,
        skip: int = 0,
        error: BaseException | None = None,
        raw: str | None = None,
    ) -> None:
        """Make the next `times` requests matching `method` and `path` (a regex) fail.

        `after=True` carries the request out first, as when GitHub did the work but the
        response never arrived; `skip` lets that many matching requests through first;
        `error` is raised instead of answering (e.g. `requests.ReadTimeout`); `raw` is
        sent as the body as it is (a truncated or HTML answer).
        """
        default = {"message": "Server Error"} if status >= 500 else {"message": "Forbidden"}
        fault = Fault(method, re.compile(path), status, headers or {}, body or default, times)
        fault.after, fault.skip, fault.error, fault.raw = after, skip, error, raw
        self.faults.append(fault)

    def lose_answer(
        self, method: str, path: str, *, drop: bool = False, skip: int = 0, hang: bool = False
    ) -> None:
        """Carry out the next write matching `method` and `path`, then lose its answer.

        The answer is a 502, or with `drop` no answer at all: under `responses` a
        `requests.ConnectionError`, over `HttpFront` a connection closed unanswered
        (which urllib3, and so the retry policy, sees as a real dropped connection).
        With `hang` the fake never answers: over `HttpFront` the connection stays open
        and silent until the client's read timeout (`Hung`).
        """
        error: BaseException | None = None
        if drop:
            error = requests.ConnectionError("Connection aborted: closed without a response")
        if hang:
            error = Hung("Read timed out: the fake GitHub carried the request out, then hung")
        self.fail(method, path, 502, after=True, skip=skip, error=error)
        self.faults[-1].hang = hang

    def gate(
        self,
        method: str,
        path: str,
        parties: int,
        *,
        query: dict[str, str] | None = None,
        timeout: float = 10.0,
    ) -> None:
        """Hold the first `parties` requests matching `method`, `path` (a regex) and
        `query` (values that must be in the query string) until all of them have
        arrived, then answer them together.

        Makes a race real: N concurrent runs that each look before they create all get
        their look answered before any of them can create. After `timeout` seconds
        the held requests are answered anyway (a run that never came).
        """
        barrier = threading.Barrier(parties, timeout=timeout)
        self.gates.append(Gate(method, re.compile(path), query or {}, barrier, parties))

    def slow(
        self, method: str, path: str, seconds: float, *, query: dict[str, str] | None = None
    ) -> None:
        """Answer every request matching `method`, `path` and `query` as of when it
        arrived, but only `seconds` later: what a run read may be stale by the time it
        acts on it (the window between a look and a create)."""
        self.slows.append((method, re.compile(path), query or {}, seconds))

    @property
    def writes(self) -> list[tuple[str, str]]:
        """(method, path) of every request that changes state; GraphQL reads excluded."""
        return [
            (c.method, c.path) for c in self.calls if c.method != "GET" and c.path != "/graphql"
        ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many requests matched `method` and the `path` regex."""
        return sum(
            1
            for c in self.calls
            if (method is None or c.method == method) and (path is None or re.search(path, c.path))
        )

    def add_pull(
        self, full_name: str, number: int, title: str, merged_at: str, **fields: Any
    ) -> dict[str, Any]:
        """Seed a merged PR as GitHub's GraphQL search returns it (`pull_node` has the keys)."""
        node = pull_node(number, title, merged_at, repo=full_name, **fields)
        self.pulls.setdefault(full_name.lower(), []).append(node)
        return node

    def hold_pull(
        self, full_name: str, payload: dict[str, Any], **fields: Any
    ) -> dict[str, Any] | None:
        """Hold the PR a webhook `payload` is about, as GitHub holds it after the event.

        The App reads the PR back through GraphQL; this seeds (or replaces) that PR from
        the payload's own `pull_request` object. `fields` add what a payload lacks
        (`files`, `closing`, `co_authors`). Not merged: nothing to hold.
        """
        data = payload.get("pull_request") if isinstance(payload, dict) else None
        if not isinstance(data, dict) or not data.get("merged_at"):
            return None
        user = data.get("user") or {}
        login = str(user.get("login") or "ghost")
        if user.get("type") == "Bot" and not login.endswith("[bot]"):
            login += "[bot]"
        repo = self.repos.get(full_name.lower())
        if repo is not None and "files" not in fields:
            fields["files"] = tuple(repo.pull_files.get(data["number"], ()))
        node = pull_node(
            data["number"],
            str(data.get("title") or ""),
            data["merged_at"],
            author=login,
            body=str(data.get("body") or ""),
            branch=str((data.get("head") or {}).get("ref") or "topic"),
            base=str((data.get("base") or {}).get("ref") or "main"),
            labels=tuple(lb["name"] for lb in data.get("labels") or []),
            created_at=data.get("created_at"),
            sha=str(data.get("merge_commit_sha") or ""),
            repo=full_name,
            **fields,
        )
        pulls = self.pulls.setdefault(full_name.lower(), [])
        pulls[:] = [n for n in pulls if n["number"] != node["number"]]
        pulls.append(node)
        return node

    def _search_pulls(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        """`search(query: "repo:o/r [repo:o/s …] is:pr is:merged merged:A..B [base:b]
        [sort:created-asc] [created:>=C]")`, 100 a page; repeated `repo:` qualifiers are
        ORed, as on GitHub, and a query over GitHub's 256-character limit is refused as
        GitHub refuses it. Unsorted, results come by merge time (GitHub's "best match"
        promises no order); sorted, by creation time."""
        q = variables["q"]
        if len(q) > 256:
            return {"data": None, "errors": [{"message": "The search query is too long"}]}
        pairs = [t.split(":", 1) for t in q.split() if ":" in t]
        terms = dict(pairs)
        repos = [value.lower() for key, value in pairs if key == "repo"]
        low, high = (_when(x) for x in terms["merged"].split(".."))
        hits = [
            n
            for name in repos
            if self._readable(name)
            for n in self.pulls.get(name, [])
            if low <= _when(n["mergedAt"]) <= high
            and ("base" not in terms or n["baseRefName"] == terms["base"])
            and _when(n["createdAt"]) >= _when(terms.get("created", ">=1970-01-01T00:00:00Z")[2:])
        ]
        hits.sort(key=lambda n: (n["mergedAt"], n["number"]))
        if terms.get("sort") == "created-asc":
            hits.sort(key=lambda n: (_when(n["createdAt"]), n["number"]))
        start = int(variables.get("cursor") or 0)
        end = min(start + 100, len(hits), 1000)  # search never goes past 1,000 results
        page = {"hasNextPage": end < min(len(hits), 1000), "endCursor": str(end)}
        nodes = [_first_page(n, query) for n in hits[start:end]]
        search = {"issueCount": len(hits), "pageInfo": page, "nodes": nodes}
        rate = {"remaining": self.rate_remaining, "resetAt": "2030-03-17T17:46:40Z"}
        return {"data": {"rateLimit": rate, "search": search}}

    def _readable(self, full_name: str) -> bool:
        # A repository the fake does not know holds only seeded PRs (`add_pull` alone).
        repo = self.repos.get(full_name.lower())
        return repo is None or repo.readable

    def _one_pull(self, variables: dict[str, Any], query: str) -> dict[str, Any]:
        """`repository(owner, name) { pullRequest(number) }`; merged PRs only in this fake."""
        node = self._pull(variables)
        served = _first_page(node, query) if node else None
        asked = re.search(r"(\w+): comments\(first: (\d+)\)", query)
        if served is not None and asked:
            # An aliased `comments` asking for ids and bodies: the PR's conversation as
            # the REST API holds it (what the App writes), oldest first.
            served[asked.group(1)] = self._conversation(variables, int(asked.group(2)))
        return {"data": {"repository": {"pullRequest": served}}}

    def _conversation(self, variables: dict[str, Any], first: int) -> dict[str, Any]:
        repo = self.repos.get(f"{variables['owner']}/{variables['name']}".lower())
        comments = repo.comments_on(variables["number"]) if repo else []
        nodes = []
        for c in comments[:first]:
            login, bot = c["user"]["login"], c["user"]["type"] == "Bot"
            # GraphQL names an App by its slug, without REST's `[bot]`.
            author = {"login": login.removesuffix("[bot]"), "__typename": "Bot" if bot else "User"}
            nodes.append({"databaseId": c["id"], "body": c["body"], "author": author})
        info = {"hasNextPage": len(comments) > first, "endCursor": str(min(first, len(comments)))}
        return {"totalCount": len(comments), "pageInfo": info, "nodes": nodes}

    def _content_edits(self, variables: dict[str, Any]) -> dict[str, Any]:
        """`issue(number) { userContentEdits }`: its body's edits, newest first."""
        repo = self.repos.get(f"{variables['owner']}/{variables['name']}".lower())
        if repo is None or variables["number"] not in repo.issues:
            return {"data": {"repository": {"issue": None}}}
        nodes = [
            {
                "editedAt": at,
                "editor": {
                    "login": who.removesuffix("[bot]"),
                    "__typename": ("Bot" if who.endswith("[bot]") else "User"),
                },
            }
            for who, at in reversed(repo.edits.get(variables["number"], []))
        ]
        return {"data": {"repository": {"issue": {"userContentEdits": {"nodes": nodes}}}}}

    def _more_responses(self, variables: dict[str, Any]) -> dict[str, Any]:
        """The next 100 reviews or comments of one PR, after the cursor."""
        node = self._pull(variables) or {}
        start = int(variables.get("after") or 0)
        found: dict[str, Any] = {}
        for kind in ("reviews", "comments"):
            if variables.get(kind):
                items = node[kind]["nodes"]
                end = start + 100
                info = {"hasNextPage": end < len(items), "endCursor": str(end)}
                found[kind] = {"pageInfo": info, "nodes": items[start:end]}
        return {"data": {"repository": {"pullRequest": found}}}

    def _pull(self, variables: dict[str, Any]) -> dict[str, Any] | None:
        pulls = self.pulls.get(f"{variables['owner']}/{variables['name']}".lower(), [])
        return next((n for n in pulls if n["number"] == variables["number"]), None)

    def add_issue(self, repo: FakeRepo, title: str, **fields: Any) -> dict[str, Any]:
        """Seed an issue as if a person had opened it."""
        return self._create_issue(
            repo, {"title": title, **fields}, author=fields.pop("user", "octocat")
        )

    def commit(self, repo: FakeRepo, files: dict[str, str | None], when: str) -> str:
        """Commit `files` (None deletes one) to the default branch at `when` (ISO)."""
        for path, text in files.items():
            if text is None:
                repo.files.pop(path, None)
            else:
                repo.files[path] = text
        sha = hashlib.sha256(f"{repo.full_name}{len(repo.commits)}{when}".encode()).hexdigest()[:40]
        repo.commits.append((sha, when, dict(repo.files)))
        return sha

    def person_pushes(
        self, repo: FakeRepo, files: dict[str, str | None], by: str, branch: str | None = None
    ) -> dict[str, Any]:
        """A person pushes one commit of `files` now (`self.now`), to the default branch
        unless `branch` names another (then nothing changes here); returns the `push`
        payload GitHub would deliver for it (from the recorded example)."""
        before = repo.commits[-1][0] if repo.commits else "0" * 40
        on_default = branch in (None, repo.default_branch)
        after = self.commit(repo, files, self.now) if on_default else "f" * 40
        example = next(p for p in webhook_examples("push") if p["ref"].startswith("refs/heads/"))
        payload = copy.deepcopy(example)
        commit = copy.deepcopy(example["commits"][0])
        commit.update(
            id=after,
            timestamp=self.now,
            added=[f for f, t in files.items() if t is not None],
            modified=[],
            removed=[f for f, t in files.items() if t is None],
        )
        payload.update(
            ref=f"refs/heads/{branch or repo.default_branch}",
            before=before,
            after=after,
            commits=[commit],
            head_commit=commit,
            repository={**example["repository"], **self._repo_json(repo)},
            sender=self._user_json(by),
            installation={"id": 42},
        )
        return payload

    def person_edits(self, repo: FakeRepo, number: int, body: str, by: str) -> dict[str, Any]:
        """A person edits an issue's body in the browser, now (`self.now`); returns the
        `issues.edited` payload GitHub would deliver for it (from the recorded example)."""
        issue = repo.issues[number]
        before = issue["body"]
        issue["body"] = body
        issue["updated_at"] = self.now
        repo.edits.setdefault(number, []).append((by, self.now))
        example = next(p for p in webhook_examples("issues") if p["action"] == "edited")
        payload = copy.deepcopy(example)
        payload["issue"] = copy.deepcopy(issue)
        payload["changes"] = {"body": {"from": before}}
        payload["repository"] = self._repo_json(repo)
        payload["sender"] = self._user_json(by)
        payload["installation"] = {"id": 42}
        return payload

    def delete_issue(self, repo: FakeRepo, number: int) -> None:
        """Delete an issue as a person can: gone from listings, 410 Gone when asked for."""
        repo.issues.pop(number, None)
        repo.comments = {k: c for k, c in repo.comments.items() if c["_issue"] != number}
        repo.deleted.add(number)

    # -- plumbing -----------------------------------------------------------------

    def _dispatch(self, request: Any) -> tuple[int, dict[str, str], str]:
        match = _URL.match(request.url)
        assert match, request.url
        path, query = match.group(1), parse_qs(match.group(2) or "")
        body = json.loads(request.body) if request.body else None
        auth = next((v for k, v in request.headers.items() if k.lower() == "authorization"), "")
        self._pass_gates(request.method, path, query)
        with self._lock:
            self.calls.append(Call(request.method, path, query, body, dict(request.headers)))
            for fault in self.faults:
                if fault.times > 0 and fault.method == request.method and fault.path.search(path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    if fault.after:
                        self._route(request.method, path, query, body, auth)
                    if fault.error is not None:
                        raise fault.error
                    payload, extra = self._echo(request, fault.status, fault.body, fault.headers)
                    text = json.dumps(payload)
                    if fault.raw is not None:
                        text = fault.raw + self._echo_text(request, fault.status)
                    return fault.status, self._headers(extra), text
            status, payload, extra = self._route(request.method, path, query, body, auth)
            payload, extra = self._echo(request, status, payload, extra)
            text = "" if status == 204 else json.dumps(payload)  # as of now, sent later
            if request.method == "GET" and status == 200:
                # GitHub tags every read with its content's ETag; asked again with it in
                # `If-None-Match`, it answers 304 without a body and charges nothing.
                tag = _etag(text)
                extra = {**extra, "ETag": tag}
                asked = _if_none_match(request.headers)
                if tag in asked or "*" in asked:
                    self.not_modified += 1
                    return 304, self._headers(extra), ""
            self.rate_remaining = max(0, self.rate_remaining - 1)
        for method, pattern, wanted, seconds in self.slows:
            if _matches(request.method, path, query, method, pattern, wanted):
                time.sleep(seconds)
        # A 204 carries no body at all (urllib3 rejects even "null").
        return status, self._headers(extra), text

    def _pass_gates(self, method: str, path: str, query: dict[str, list[str]]) -> None:
        """Wait at each gate this request is among the first of (see `gate`)."""
        for gate in self.gates:
            if not _matches(method, path, query, gate.method, gate.path, gate.query):
                continue
            with self._lock:
                held = gate.left > 0
                gate.left -= held
            if held:
                # Timed out (a party never came): answered as if ungated.
                with contextlib.suppress(threading.BrokenBarrierError):
                    gate.barrier.wait()

    def _echo(
        self, request: Any, status: int, payload: Any, headers: dict[str, str]
    ) -> tuple[Any, dict[str, str]]:
        """With `echo_auth`, an error answer that quotes the request's credentials."""
        said = self._echo_text(request, status)
        if not said:
            return payload, headers
        auth = request.headers.get("Authorization", "")
        payload = dict(payload) if isinstance(payload, dict) else {"message": str(payload)}
        payload["message"] = str(payload.get("message", "")) + said
        payload["request"] = {"headers": {"Authorization": auth}}
        payload["errors"] = [{"message": f"credentials {auth.split(' ')[-1]} were refused"}]
        return payload, {**headers, "X-Echo-Authorization": auth}

    def _echo_text(self, request: Any, status: int) -> str:
        auth = request.headers.get("Authorization", "")
        if not (self.echo_auth and status >= 400 and auth):
            return ""
        self.echoed += 1
        return f" (request sent Authorization: {auth}; bearer value {auth.split(' ')[-1]})"

    def _headers(self, extra: dict[str, str]) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": str(self.rate_remaining),
            "X-RateLimit-Reset": str(_RESET),
            "X-RateLimit-Resource": "core",
            **extra,
        }

    def writer_of(self, auth: str) -> str:
        """The login a request with `auth` writes as (see `app_slug` and `viewer`)."""
        if self._app_token(auth):
            return f"{self.app_slug}[bot]"
        return self.viewer or "github-actions[bot]"

    def _app_token(self, auth: str) -> bool:
        return self._installation_of(auth) is not None or auth.endswith(self.installation_token)

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any, auth: str = ""
    ) -> tuple[int, Any, dict[str, str]]:
        self._writer = self.writer_of(auth)
        if path == "/app" and method == "GET":
            # The App itself (its JWT is not checked): what `app_identity` asks once.
            return 200, {"id": 1, "slug": self.app_slug, "name": self.app_slug.title()}, {}
        if path == "/user" and method == "GET":
            if self._app_token(auth) or self.viewer is None:
                return 403, {"message": "Resource not accessible by integration"}, {}
            return 200, self._user_json(self._writer), {}
        if path == "/graphql" and method == "POST":
            if self.graphql is None and _generic_read(body["query"]):
                return (
                    200,
                    self._serve_graphql(body["query"], body.get("variables") or {}, auth),
                    {},
                )
            if self.graphql is None and "search(" in body["query"]:
                return 200, self._search_pulls(body["variables"], body["query"]), {}
            if self.graphql is None and "$after" in body["query"]:
                return 200, self._more_responses(body["variables"]), {}
            if self.graphql is None and "userContentEdits" in body["query"]:
                return 200, self._content_edits(body["variables"]), {}
            if self.graphql is None and "pullRequest(number" in body["query"]:
                return 200, self._one_pull(body["variables"], body["query"]), {}
            if self.graphql is None:
                return 500, {"message": "no GraphQL handler set in the fake"}, {}
            return 200, self.graphql(body["query"], body.get("variables") or {}), {}
        installed = re.fullmatch(r"/repos/([^/]+/[^/]+)/installation", path)
        if installed and method == "GET":
            # The App's installation on a repository (asked with its JWT, not checked).
            return self._repo_installation(installed.group(1))
        token = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if token and method == "POST":
            # A GitHub App's installation token (the App's JWT is not checked).
            return self._access_token(int(token.group(1)))
        if path == "/app/installations" and method == "GET":
            listed = [
                self._installation_json(i)
                for i in sorted(self.installations.values(), key=lambda i: i.id)
            ]
            return self._page_at(path, query, listed)
        if path == "/installation/repositories" and method == "GET":
            return self._installation_repos(auth, query)
        if path == "/rate_limit":
            core = {"limit": 5000, "remaining": self.rate_remaining, "reset": _RESET, "used": 0}
            return 200, {"resources": {"core": core}, "rate": core}, {}
        owned = re.fullmatch(r"/(orgs|users)/([^/]+)/repos", path)
        if owned and method == "GET":
            return self._list_owned(owned.group(1), owned.group(2), query, auth)
        m = re.match(r"^/repos/([^/]+)/([^/]+)(/.*)?$", path)
        if not m:
            return 404, _not_found(), {}
        repo = self.repos.get(f"{m.group(1)}/{m.group(2)}".lower())
        if repo is None or not repo.readable or not self._granted(auth, repo):
            return 404, _not_found(), {}
        rest = m.group(3) or ""
        for route, handler in self._routes():
            hit = re.fullmatch(route, f"{method} {rest}")
            if hit:
                return handler(repo, query, body, *hit.groups())
        return 404, _not_found(), {}

    def _routes(self) -> list[tuple[str, Callable[..., tuple[int, Any, dict[str, str]]]]]:
        return [
            (r"GET ", lambda r, q, b: (200, self._repo_json(r), {})),
            (r"GET /contents/(.+)", self._get_contents),
            (r"GET /issues", self._list_issues),
            (r"POST /issues", lambda r, q, b: (201, self._create_issue(r, b), {})),
            (r"GET /issues/(\d+)", self._get_issue),
            (r"PATCH /issues/(\d+)", self._edit_issue),
            (r"GET /issues/(\d+)/comments", self._list_comments),
            (r"POST /issues/(\d+)/comments", self._create_comment),
            (r"GET /issues/comments/(\d+)", self._get_comment),
            (r"PATCH /issues/comments/(\d+)", self._edit_comment),
            (r"DELETE /issues/comments/(\d+)", self._delete_comment),
            (r"POST /issues/(\d+)/labels", self._add_labels),
            (r"DELETE /issues/(\d+)/labels/([^/]+)", self._remove_label),
            (r"GET /commits", self._list_commits),
            (r"PUT /issues/(\d+)/labels", self._set_labels),
            (r"GET /assignees/([^/]+)", self._check_assignee),
            (r"GET /labels", self._list_labels),
            (r"POST /labels", self._create_label),
            (r"GET /labels/([^/]+)", self._get_label),
            (r"PATCH /labels/([^/]+)", self._edit_label),
            (r"DELETE /labels/([^/]+)", self._delete_label),
            (r"GET /pulls/(\d+)/files", self._list_pull_files),
        ]

    # -- GraphQL: repository reads, parsed and served field by field ----------------

    def _serve_graphql(self, query: str, variables: dict[str, Any], auth: str) -> dict[str, Any]:
        """A query of `repository` fields (files, folders, issues by label, history) as
        GitHub answers it: only the fields asked, under their aliases. A field, argument
        or fragment this fake does not serve is refused as GitHub refuses an unknown one
        (`errors`, no `data`), so a test can't pass on a query GitHub would reject."""
        try:
            selections = _GraphQLParser(query, variables).document()
            errors: list[dict[str, Any]] = []
            data = _resolve(_GqlObject("Query", {"repository": self._gql_repository(auth)}),
                            selections, [], errors)  # fmt: skip
        except GraphQLError as exc:
            return {"errors": [{"message": str(exc), "locations": [{"line": 1, "column": 1}]}]}
        return {"data": data, "errors": errors} if errors else {"data": data}

    def _gql_repository(self, auth: str) -> Callable[..., Any]:
        def repository(owner: str, name: str) -> _GqlObject:
            repo = self.repos.get(f"{owner}/{name}".lower())
            if repo is None or not repo.readable or not self._granted(auth, repo):
                raise _GqlNotFound(
                    f"Could not resolve to a Repository with the name '{owner}/{name}'."
                )
            return self._gql_repo(repo)

        return repository

    def _gql_repo(self, repo: FakeRepo) -> _GqlObject:
        def issues(
            labels: list[str] | None = None,
            states: list[str] | None = None,
            first: int | None = None,
            after: str | None = None,
            orderBy: dict[str, str] | None = None,
        ) -> _GqlObject:
            return self._gql_issues(repo, labels, states, _first(first, "issues"), after, orderBy)

        head = _GqlObject(
            "Commit", {"history": lambda first, path=None: _gql_history(repo, first, path)}
        )
        return _GqlObject(
            "Repository",
            {
                "nameWithOwner": repo.full_name,
                "name": repo.name,
                "url": f"{WEB}/{repo.full_name}",
                "isArchived": repo.archived,
                "isFork": repo.fork,
                "defaultBranchRef": _GqlObject(
                    "Ref", {"name": repo.default_branch, "target": head}
                ),
                "object": lambda expression: _gql_object(repo, expression),
                "issues": issues,
            },
        )

    def _gql_issues(
        self,
        repo: FakeRepo,
        labels: list[str] | None,
        states: list[str] | None,
        first: int,
        after: str | None,
        order: dict[str, str] | None,
    ) -> _GqlObject:
        """`issues(labels:, states:, first:, after:, orderBy:)`: pull requests are not
        issues here (unlike the REST listing); a label filter matches any of its names."""
        wanted = {w.lower() for w in labels or ()}
        if order not in (None, {"field": "CREATED_AT", "direction": "ASC"},
                         {"field": "CREATED_AT", "direction": "DESC"}):  # fmt: skip
            raise GraphQLError(f"this fake orders issues by CREATED_AT only, not {order}")
        found = [
            issue
            for issue in sorted(repo.issues.values(), key=lambda i: i["number"])
            if "/pull/" not in issue["html_url"]
            and (not states or issue["state"].upper() in states)
            and (not wanted or wanted & {lb["name"].lower() for lb in issue["labels"]})
        ]
        if order and order["direction"] == "DESC":
            found.reverse()
        return _connection(found, first, after, _gql_issue)

    # -- installations -------------------------------------------------------------

    def _installation_of(self, auth: str) -> FakeInstallation | None:
        value = auth.split(" ", 1)[-1]
        return next((i for i in self.installations.values() if i.token == value), None)

    def _granted(self, auth: str, repo: FakeRepo) -> bool:
        """An installation's token reads only what it was granted; other tokens read all."""
        installation = self._installation_of(auth)
        names = {n.lower() for n in installation.repos} if installation else set()
        return installation is None or repo.full_name.lower() in names

    def _repo_installation(self, full_name: str) -> tuple[int, Any, dict[str, str]]:
        """`GET /repos/{owner}/{repo}/installation`: the installation granted the repo; with
        no `add_installation` at all, installation 1 (one repo's App); else 404."""
        if full_name.lower() not in self.repos:
            return 404, {"message": "Not Found"}, {}
        granted = [
            i
            for i in self.installations.values()
            if full_name.lower() in {n.lower() for n in i.repos}
        ]
        if granted:
            return 200, self._installation_json(granted[0]), {}
        if self.installations:
            return 404, {"message": "Not Found"}, {}
        owner = full_name.split("/")[0]
        return 200, self._installation_json(FakeInstallation(1, owner, [full_name], "")), {}

    def _access_token(self, installation_id: int) -> tuple[int, Any, dict[str, str]]:
        installation = self.installations.get(installation_id)
        if installation is None:
            return 201, {"token": self.installation_token, "expires_at": _EXPIRES}, {}
        if installation.token_refused is not None:
            said = {403: "This installation has been suspended", 404: "Not Found"}
            message = said.get(installation.token_refused, "Server Error")
            return installation.token_refused, {"message": message}, {}
        return 201, {"token": installation.token, "expires_at": _EXPIRES}, {}

    def _installation_repos(
        self, auth: str, query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        """`GET /installation/repositories`: only with an installation's token, as on GitHub."""
        installation = self._installation_of(auth)
        if installation is None:
            return 401, {"message": "Bad credentials"}, {}
        granted = [self.repos[n.lower()] for n in installation.repos if n.lower() in self.repos]
        listed = [self._repo_json(r) for r in granted]
        status, chunk, headers = self._page_at("/installation/repositories", query, listed)
        page = {"total_count": len(listed), "repository_selection": "selected"}
        return status, page | {"repositories": chunk}, headers

    def _installation_json(self, installation: FakeInstallation) -> dict[str, Any]:
        """An installation as `GET /app/installations` lists it (the recorded webhook's
        object, retargeted; REST gives times as ISO strings, webhooks as epoch seconds)."""
        data = copy.deepcopy(self._installation_template)
        account = self._user_json(installation.account)
        account["type"] = installation.account_type
        data.update(
            id=installation.id,
            account=account,
            access_tokens_url=f"{API}/app/installations/{installation.id}/access_tokens",
            html_url=f"{WEB}/settings/installations/{installation.id}",
            target_type=installation.account_type,
            created_at="2018-04-30T17:38:18Z",
            updated_at="2018-04-30T17:38:19Z",
            suspended_at="2026-01-05T10:00:00Z" if installation.suspended else None,
            suspended_by=None,
        )
        return data

    # -- JSON shapes (from the recorded fixtures, retargeted at this repo) ----------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _user_json(self, login: str) -> dict[str, Any]:
        user = copy.deepcopy(self._user_template)
        bot = login.endswith("[bot]")
        user.update(
            login=login,
            url=f"{API}/users/{login}",
            html_url=f"{WEB}/{login}",
            type="Bot" if bot else "User",
        )
        return user

    def _repo_json(self, repo: FakeRepo) -> dict[str, Any]:
        data = copy.deepcopy(self._repo_template)
        data = json.loads(
            json.dumps(data).replace("octokit-fixture-org/hello-world", repo.full_name)
        )
        data.update(
            id=repo.id,
            name=repo.name,
            full_name=repo.full_name,
            default_branch=repo.default_branch,
            owner=self._user_json(repo.owner),
            archived=repo.archived,
            fork=repo.fork,
        )
        return data

    def _label_json(
        self, repo: FakeRepo, name: str, color: str = "ededed", description: str = ""
    ) -> dict[str, Any]:
        label = copy.deepcopy(self._label_template)
        label.update(
            id=self._next_id(),
            name=name,
            color=color,
            description=description,
            url=f"{API}/repos/{repo.full_name}/labels/{name}",
        )
        return label

    # -- contents -------------------------------------------------------------------

    def _get_contents(self, repo: FakeRepo, query: Any, body: Any, path: str) -> Any:
        path = _unquote(path).strip("/")
        ref = (query or {}).get("ref", [None])[0]
        if ref is not None and ref != repo.default_branch:
            # A commit's files (`?ref=<sha>`), from the recorded history.
            files = next((f for sha, _, f in repo.commits if sha == ref), None)
            if files is None:
                return 404, {"message": "No commit found for the ref " + ref}, {}
            if path not in files:
                return 404, _not_found(), {}
            raw = _raw(files[path])
            data = self._content_json(repo, path, with_content=False)
            data.update(size=len(raw), encoding="base64", content=base64.b64encode(raw).decode())
            return 200, data, {}
        if path in repo.files:
            return 200, self._content_json(repo, path, with_content=True), {}
        # A folder: GitHub lists its entries (files and subfolders) without content.
        inside = sorted(
            {p[len(path) + 1 :].split("/")[0] for p in repo.files if p.startswith(path + "/")}
        )
        if not inside:
            return 404, _not_found(), {}
        entries = []
        for name in inside:
            child = f"{path}/{name}"
            entry = self._content_json(repo, child, with_content=False)
            entry["type"] = "file" if child in repo.files else "dir"
            entries.append(entry)
        return 200, entries, {}

    def _content_json(self, repo: FakeRepo, path: str, *, with_content: bool) -> dict[str, Any]:
        raw = _raw(repo.files.get(path, ""))
        url = f"{API}/repos/{repo.full_name}/contents/{path}"
        data = {
            "type": "file",
            "size": len(raw),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": f"{abs(hash(raw)):040x}"[:40],
            "url": url,
            "git_url": None,
            "html_url": f"{WEB}/{repo.full_name}/blob/{repo.default_branch}/{path}",
            "download_url": None,
            "_links": {"self": url},
        }
        if with_content:
            data.update(encoding="base64", content=base64.b64encode(raw).decode())
        return data

    # -- issues -----------------------------------------------------------------------

    def _create_issue(
        self, repo: FakeRepo, body: dict[str, Any], author: str | None = None
    ) -> dict[str, Any]:
        author = author or self._writer
        number = max([*repo.issues, 0]) + 1
        issue = copy.deepcopy(self._issue_template)
        base = f"{API}/repos/{repo.full_name}/issues/{number}"
        issue.update(
            id=self._next_id(),
            number=number,
            title=body["title"],
            body=body.get("body"),
            state="open",
            url=base,
            repository_url=f"{API}/repos/{repo.full_name}",
            labels_url=f"{base}/labels{{/name}}",
            comments_url=f"{base}/comments",
            events_url=f"{base}/events",
            html_url=f"{WEB}/{repo.full_name}/issues/{number}",
            user=self._user_json(author),
            labels=[],
            assignees=[],
            assignee=None,
            milestone=None,
            comments=0,
            pull_request=None,
        )
        issue.pop("pull_request")
        repo.issues[number] = issue
        self._apply_issue_fields(repo, issue, body)
        return issue

    def _apply_issue_fields(
        self, repo: FakeRepo, issue: dict[str, Any], body: dict[str, Any]
    ) -> None:
        for key in ("title", "body", "state"):
            if key in body:
                issue[key] = body[key]
        if "state" in body:
            # GitHub records why an issue was closed (or reopened), and forgets it on
            # a reopen without one.
            issue["state_reason"] = body.get("state_reason") or (
                "completed" if body["state"] == "closed" else None
            )
        if "labels" in body:
            issue["labels"] = [self._ensure_label(repo, _label_name(x)) for x in body["labels"]]
        if "assignees" in body:
            issue["assignees"] = [self._user_json(login) for login in body["assignees"]]
            issue["assignee"] = issue["assignees"][0] if issue["assignees"] else None
        if "milestone" in body:
            issue["milestone"] = (
                repo.milestones.get(body["milestone"]) if body["milestone"] else None
            )

    def _ensure_label(self, repo: FakeRepo, name: str) -> dict[str, Any]:
        if name.lower() not in {n.lower() for n in repo.labels}:
            repo.labels[name] = self._label_json(repo, name)
        return next(v for k, v in repo.labels.items() if k.lower() == name.lower())

    def _issue(self, repo: FakeRepo, number: str) -> dict[str, Any] | None:
        return repo.issues.get(int(number))

    def _get_issue(self, repo: FakeRepo, query: Any, body: Any, number: str) -> Any:
        if int(number) in repo.deleted:
            return 410, {"message": "This issue was deleted"}, {}
        issue = self._issue(repo, number)
        return (200, issue, {}) if issue else (404, _not_found(), {})

    def _edit_issue(self, repo: FakeRepo, query: Any, body: Any, number: str) -> Any:
        if int(number) in repo.deleted:
            return 410, {"message": "This issue was deleted"}, {}
        issue = self._issue(repo, number)
        if issue is None:
            return 404, _not_found(), {}
        reason = (body or {}).get("state_reason")
        if reason is not None and reason not in STATE_REASONS:
            error = {"resource": "Issue", "code": "invalid", "field": "state_reason"}
            return 422, {"message": "Validation Failed", "errors": [error]}, {}
        if "body" in (body or {}) and body["body"] != issue["body"]:
            # Through the API: the App or the Action, never a person (`person_edits`).
            repo.edits.setdefault(issue["number"], []).append((self._writer, self.now))
            issue["updated_at"] = self.now
        self._apply_issue_fields(repo, issue, body or {})
        return 200, issue, {}

    def _list_issues(self, repo: FakeRepo, query: dict[str, list[str]], body: Any) -> Any:
        state = query.get("state", ["open"])[0]
        wanted = [x for x in query.get("labels", [""])[0].split(",") if x]
        found = []
        for issue in sorted(repo.issues.values(), key=lambda i: -i["number"]):
            names = {lb["name"].lower() for lb in issue["labels"]}
            if state != "all" and issue["state"] != state:
                continue
            if all(w.lower() in names for w in wanted):
                found.append(issue)
        return self._page(repo, "/issues", query, found)

    def _list_owned(
        self, kind: str, owner: str, query: dict[str, list[str]], auth: str = ""
    ) -> Any:
        """`/orgs/{org}/repos` or `/users/{user}/repos`: what the token can read, by name."""
        if (kind == "orgs") == (owner.lower() in self.users):
            return 404, _not_found(), {}
        mine = [
            self._repo_json(r)
            for r in sorted(self.repos.values(), key=lambda r: r.full_name.lower())
            if r.owner.lower() == owner.lower() and r.readable and self._granted(auth, r)
        ]
        return self._page_at(f"/{kind}/{owner}/repos", query, mine)

    def _page(
        self, repo: FakeRepo, rest: str, query: dict[str, list[str]], items: list[Any]
    ) -> Any:
        return self._page_at(f"/repos/{repo.full_name}{rest}", query, items)

    def _page_at(self, path: str, query: dict[str, list[str]], items: list[Any]) -> Any:
        per_page = min(int(query.get("per_page", ["30"])[0]), 100)
        page = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // per_page))
        chunk = items[(page - 1) * per_page : page * per_page]
        links = []
        keep = {k: v[0] for k, v in query.items() if k not in ("page", "per_page")}
        extra = "".join(f"&{k}={v}" for k, v in sorted(keep.items()))
        url = f"{API}{path}?per_page={per_page}{extra}"
        if page < last:
            links.append(f'<{url}&page={page + 1}>; rel="next"')
            links.append(f'<{url}&page={last}>; rel="last"')
        if page > 1:
            links.append(f'<{url}&page=1>; rel="first"')
            links.append(f'<{url}&page={page - 1}>; rel="prev"')
        return 200, chunk, ({"Link": ", ".join(links)} if links else {})

    # -- comments ------------------------------------------------------------------

    def _list_comments(self, repo: FakeRepo, query: Any, body: Any, number: str) -> Any:
        if int(number) in repo.deleted:
            return 410, {"message": "This issue was deleted"}, {}
        if self._issue(repo, number) is None and not repo.comments_on(int(number)):
            return 404, _not_found(), {}
        return self._page(repo, f"/issues/{number}/comments", query, repo.comments_on(int(number)))

    def _create_comment(
        self, repo: FakeRepo, query: Any, body: Any, number: str, author: str | None = None
    ) -> Any:
        author = author or self._writer
        if int(number) in repo.deleted:
            return 410, {"message": "This issue was deleted"}, {}
        comment_id = self._next_id()
        comment = {
            "id": comment_id,
            "node_id": "MDEyOklzc3VlQ29tbWVudDE=",
            "url": f"{API}/repos/{repo.full_name}/issues/comments/{comment_id}",
            "html_url": f"{WEB}/{repo.full_name}/issues/{number}#issuecomment-{comment_id}",
            "issue_url": f"{API}/repos/{repo.full_name}/issues/{number}",
            "body": body["body"],
            "user": self._user_json(author),
            "created_at": "2026-11-25T12:00:00Z",
            "updated_at": "2026-11-25T12:00:00Z",
            "author_association": "NONE",
            "_issue": int(number),
        }
        repo.comments[comment_id] = comment
        issue = self._issue(repo, number)
        if issue:
            issue["comments"] += 1
        return 201, comment, {}

    def add_comment(
        self, repo: FakeRepo, number: int, body: str, author: str = "octocat"
    ) -> dict[str, Any]:
        """Seed a comment as if `author` had written it."""
        return self._create_comment(repo, {}, {"body": body}, str(number), author)[1]

    def _get_comment(self, repo: FakeRepo, query: Any, body: Any, comment_id: str) -> Any:
        comment = repo.comments.get(int(comment_id))
        return (200, comment, {}) if comment else (404, _not_found(), {})

    def _edit_comment(self, repo: FakeRepo, query: Any, body: Any, comment_id: str) -> Any:
        comment = repo.comments.get(int(comment_id))
        if comment is None:
            return 404, _not_found(), {}
        comment["body"] = body["body"]
        return 200, comment, {}

    def _delete_comment(self, repo: FakeRepo, query: Any, body: Any, comment_id: str) -> Any:
        comment = repo.comments.pop(int(comment_id), None)
        if comment is None:
            return 404, _not_found(), {}
        issue = self._issue(repo, str(comment["_issue"]))
        if issue:
            issue["comments"] -= 1
        return 204, "", {}

    def _check_assignee(self, repo: FakeRepo, query: Any, body: Any, login: str) -> Any:
        if repo.assignable is None or login in repo.assignable:
            return 204, "", {}
        return 404, _not_found(), {}

    # -- labels ----------------------------------------------------------------------

    def _list_labels(self, repo: FakeRepo, query: Any, body: Any) -> Any:
        return self._page(repo, "/labels", query, list(repo.labels.values()))

    def _get_label(self, repo: FakeRepo, query: Any, body: Any, name: str) -> Any:
        label = repo.labels.get(_unquote(name))
        return (200, label, {}) if label else (404, _not_found(), {})

    def _create_label(self, repo: FakeRepo, query: Any, body: Any) -> Any:
        too_long = _too_long(body)
        if too_long is not None:
            return 422, too_long, {}
        if body["name"].lower() in {n.lower() for n in repo.labels}:
            error = {"resource": "Label", "code": "already_exists", "field": "name"}
            return 422, {"message": "Validation Failed", "errors": [error]}, {}
        if not re.fullmatch(r"[0-9a-fA-F]{6}", body.get("color", "ededed")):
            return 422, fixture("errors")[0]["response"], {}
        label = self._label_json(
            repo, body["name"], body.get("color", "ededed"), body.get("description") or ""
        )
        repo.labels[body["name"]] = label
        return 201, label, {}

    def _edit_label(self, repo: FakeRepo, query: Any, body: Any, name: str) -> Any:
        label = repo.labels.pop(_unquote(name), None)
        if label is None:
            return 404, _not_found(), {}
        label.update({k: v for k, v in body.items() if k in ("color", "description")})
        label["name"] = body.get("new_name", label["name"])
        repo.labels[label["name"]] = label
        return 200, label, {}

    def _delete_label(self, repo: FakeRepo, query: Any, body: Any, name: str) -> Any:
        """As GitHub: 204 without a body, the label gone from every issue; 404 if absent."""
        wanted = _unquote(name).lower()
        key = next((k for k in repo.labels if k.lower() == wanted), None)
        if key is None:
            return 404, _not_found(), {}
        del repo.labels[key]
        for issue in repo.issues.values():
            issue["labels"] = [lb for lb in issue["labels"] if lb["name"].lower() != wanted]
        return 204, "", {}

    def _add_labels(self, repo: FakeRepo, query: Any, body: Any, number: str) -> Any:
        issue = self._issue(repo, number)
        if issue is None:
            return 404, _not_found(), {}
        names = body["labels"] if isinstance(body, dict) else body
        have = {lb["name"].lower() for lb in issue["labels"]}
        issue["labels"] += [
            self._ensure_label(repo, _label_name(n))
            for n in names
            if _label_name(n).lower() not in have
        ]
        return 200, issue["labels"], {}

    def _remove_label(self, repo: FakeRepo, query: Any, body: Any, number: str, name: str) -> Any:
        """As GitHub: the issue's remaining labels; 404 when it does not carry it."""
        issue = self._issue(repo, number)
        wanted = _unquote(name).lower()
        if issue is None or wanted not in {lb["name"].lower() for lb in issue["labels"]}:
            return 404, {"message": "Label does not exist"}, {}
        issue["labels"] = [lb for lb in issue["labels"] if lb["name"].lower() != wanted]
        return 200, issue["labels"], {}

    def _list_commits(self, repo: FakeRepo, query: dict[str, list[str]], body: Any) -> Any:
        """`GET /commits?path=…&since=…&until=…`: the default branch's commits that
        changed `path` (a file or a folder), newest first."""
        path = query.get("path", [""])[0].strip("/")
        since, until = query.get("since", [None])[0], query.get("until", [None])[0]
        found = []
        for sha, when in _commits_touching(repo, path):
            if (since and _when(when) < _when(since)) or (until and _when(when) > _when(until)):
                continue
            who = {"name": "Alice", "email": "alice@example.com", "date": when}
            found.append(
                {"sha": sha, "commit": {"author": who, "committer": who, "message": "goals"}}
            )
        return self._page(repo, "/commits", query, found)

    def _set_labels(self, repo: FakeRepo, query: Any, body: Any, number: str) -> Any:
        issue = self._issue(repo, number)
        if issue is None:
            return 404, _not_found(), {}
        names = body["labels"] if isinstance(body, dict) else body
        issue["labels"] = [self._ensure_label(repo, _label_name(n)) for n in names]
        return 200, issue["labels"], {}

    # -- pull requests -----------------------------------------------------------------

    def _list_pull_files(self, repo: FakeRepo, query: Any, body: Any, number: str) -> Any:
        files = [
            {"filename": name, "status": "modified", "additions": 1, "deletions": 0, "changes": 1}
            for name in repo.pull_files.get(int(number), [])
        ]
        return self._page(repo, f"/pulls/{number}/files", query, files)


def pull_node(
    number: int,
    title: str,
    merged_at: str,
    *,
    author: str = "alice",
    body: str = "",
    branch: str = "topic",
    base: str = "main",
    labels: tuple[str, ...] = (),
    files: tuple[str, ...] = (),
    created_at: str | None = None,
    ready_at: str | None = None,
    first_commit_at: str | None = None,
    reviews: tuple[tuple[str, str], ...] = (),  # (login, submittedAt)
    comments: tuple[tuple[str, str], ...] = (),  # (login, createdAt)
    closing: tuple[tuple[Any, Any], ...] = (),  # (issue, its parent issue)
    sha: str = "",
    co_authors: tuple[str, ...] = (),  # logins with commits in the PR besides the author
    repo: str = "acme/web",
) -> dict[str, Any]:
    """A merged PR in the shape of `sources.github_prs.QUERY`; bots are `name[bot]` logins.

    `closing` issues and their parents may name another repository: `(("acme/roadmap",
    12), None)` closes acme/roadmap#12; `(40, ("acme/web", 12))` closes its own #40,
    a sub-issue of acme/web#12.
    """

    def actor(login: str) -> dict[str, str]:
        bot = login.endswith("[bot]")
        return {"login": login.removesuffix("[bot]"), "__typename": "Bot" if bot else "User"}

    def nodes(items: Any) -> dict[str, Any]:
        return {"nodes": list(items)}

    def closing_ref(issue: Any, parent: Any) -> dict[str, Any]:
        where, number = issue if isinstance(issue, tuple) else (repo, issue)
        found = {"number": number, "repository": {"nameWithOwner": where}}
        if not parent:
            return found | {"parent": None}
        up, up_number = parent if isinstance(parent, tuple) else (where, parent)
        return found | {"parent": {"number": up_number, "repository": {"nameWithOwner": up}}}

    return {
        "number": number,
        "title": title,
        "body": body,
        "url": f"{WEB}/{repo}/pull/{number}",
        "repository": {"nameWithOwner": repo},
        "headRefName": branch,
        "baseRefName": base,
        "createdAt": created_at or merged_at,
        "mergedAt": merged_at,
        "isDraft": False,
        "author": actor(author),
        "mergeCommit": {"oid": sha or f"{number:040x}"},
        "labels": nodes({"name": n} for n in labels),
        "timelineItems": nodes([{"createdAt": ready_at}] if ready_at else []),
        "reviews": nodes({"submittedAt": t, "author": actor(w)} for w, t in reviews),
        "comments": nodes({"createdAt": t, "author": actor(w)} for w, t in comments),
        "commits": {
            "totalCount": 1,
            "nodes": [
                {
                    "commit": {
                        "authoredDate": first_commit_at or created_at or merged_at,
                        "authors": nodes({"user": {"login": who}} for who in (author, *co_authors)),
                    }
                }
            ],
        },
        "files": nodes({"path": p} for p in files),
        "closingIssuesReferences": nodes(closing_ref(n, p) for n, p in closing),
    }


def _first_page(node: dict[str, Any], query: str) -> dict[str, Any]:
    """A PR node as GitHub serves it: only the first N reviews and comments the query asks."""
    served = dict(node)
    for kind in ("reviews", "comments"):
        # `alias: comments(...)` is another field (see `_one_pull`), not this one.
        asked = re.search(rf"(?<!: ){kind}\(first: (\d+)", query)
        items = node[kind]["nodes"]
        first = int(asked.group(1)) if asked else len(items)
        info = {"hasNextPage": len(items) > first, "endCursor": str(first)}
        served[kind] = {"pageInfo": info, "nodes": items[:first]}
    return served


class GraphQLError(Exception):
    """A query GitHub would refuse before running it (answered as `errors`, no `data`)."""


class _GqlNotFound(Exception):
    """A field that resolves to nothing the token can see: null, with a NOT_FOUND error."""


@dataclass
class _GqlObject:
    """A GraphQL object: its type and its fields (values, or resolvers taking the
    field's arguments)."""

    typename: str
    fields: dict[str, Any]


@dataclass
class _Selection:
    name: str
    alias: str | None = None
    args: dict[str, Any] = field(default_factory=dict)
    children: list[_Selection] | None = None  # None: a scalar field
    on: str | None = None  # an inline fragment's type (`... on Tree { … }`)


_GQL_TOKEN = re.compile(r'[\s,]*(\.\.\.|[{}()\[\]:!=$]|"(?:[^"\\]|\\.)*"|-?\d+|[_A-Za-z]\w*)')


class _GraphQLParser:
    """GraphQL's query syntax, enough of it for reads: an operation with variable
    definitions (their types are not checked), fields with aliases and arguments
    (variables, strings, ints, enums, lists, objects) and inline fragments."""

    def __init__(self, query: str, variables: dict[str, Any]) -> None:
        self.tokens: list[str] = []
        pos = 0
        while query[pos:].strip(" \t\r\n,"):
            match = _GQL_TOKEN.match(query, pos)
            if match is None:
                raise GraphQLError(f"Parse error on {query[pos : pos + 20]!r}")
            self.tokens.append(match.group(1))
            pos = match.end()
        self.at = 0
        self.variables = variables

    def document(self) -> list[_Selection]:
        if self._peek() == "query":
            self._take()
            if self._peek() not in ("(", "{"):
                self._name()
            if self._peek() == "(":
                self._skip_definitions()
        selections = self._selection_set()
        if self._peek():
            raise GraphQLError(f"Parse error on {self._peek()!r} after the query")
        return selections

    def _peek(self) -> str:
        return self.tokens[self.at] if self.at < len(self.tokens) else ""

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if not token or (expected is not None and token != expected):
            raise GraphQLError(f"Parse error on {token or 'end of query'!r} (expected {expected})")
        self.at += 1
        return token

    def _name(self) -> str:
        token = self._take()
        if not re.fullmatch(r"[_A-Za-z]\w*", token):
            raise GraphQLError(f"Parse error on {token!r} (expected a name)")
        return token

    def _skip_definitions(self) -> None:
        self._take("(")
        while self._take() != ")":
            pass

    def _selection_set(self) -> list[_Selection]:
        self._take("{")
        found: list[_Selection] = []
        while self._peek() != "}":
            found.append(self._selection())
        self._take("}")
        return found

    def _selection(self) -> _Selection:
        if self._peek() == "...":
            self._take()
            self._take("on")
            typename = self._name()
            return _Selection(typename, children=self._selection_set(), on=typename)
        name, alias = self._name(), None
        if self._peek() == ":":
            self._take()
            alias, name = name, self._name()
        args = self._arguments() if self._peek() == "(" else {}
        children = self._selection_set() if self._peek() == "{" else None
        return _Selection(name, alias, args, children)

    def _arguments(self) -> dict[str, Any]:
        self._take("(")
        args: dict[str, Any] = {}
        while self._peek() != ")":
            key = self._name()
            self._take(":")
            args[key] = self._value()
        self._take(")")
        return args

    def _value(self) -> Any:
        token = self._take()
        if token == "$":
            return self.variables.get(self._name())
        if token == "[":
            items = []
            while self._peek() != "]":
                items.append(self._value())
            self._take("]")
            return items
        if token == "{":
            fields = {}
            while self._peek() != "}":
                key = self._name()
                self._take(":")
                fields[key] = self._value()
            self._take("}")
            return fields
        if token.startswith('"'):
            return json.loads(token)
        if re.fullmatch(r"-?\d+", token):
            return int(token)
        return {"true": True, "false": False, "null": None}.get(token, token)  # enums: names


def _resolve(value: Any, selections: list[_Selection] | None, path: list[Any], errors: list) -> Any:
    """`value` projected onto `selections`, as GitHub serves a query's answer."""
    if value is None:
        return None
    if isinstance(value, list):
        return [_resolve(v, selections, [*path, n], errors) for n, v in enumerate(value)]
    if not isinstance(value, _GqlObject):
        if selections is not None:
            raise GraphQLError(f"Selections can't be made on scalars (field '{path[-1]}')")
        return value
    if selections is None:
        raise GraphQLError(
            f"Field '{path[-1]}' of type '{value.typename}' must have a selection of subfields"
        )
    answer: dict[str, Any] = {}
    for sel in selections:
        if sel.on is not None:
            if sel.on == value.typename:
                answer.update(_resolve(value, sel.children, path, errors))
            continue
        key = sel.alias or sel.name
        if sel.name == "__typename":
            answer[key] = value.typename
            continue
        answer[key] = _resolve_field(value, sel, [*path, key], errors)
    return answer


def _resolve_field(value: _GqlObject, sel: _Selection, path: list[Any], errors: list) -> Any:
    if sel.name not in value.fields:
        raise GraphQLError(f"Field '{sel.name}' doesn't exist on type '{value.typename}'")
    resolver = value.fields[sel.name]
    if not callable(resolver):
        if sel.args:
            raise GraphQLError(
                f"Field '{sel.name}' doesn't accept argument '{next(iter(sel.args))}'"
            )
        return _resolve(resolver, sel.children, path, errors)
    try:
        inspect.signature(resolver).bind(**sel.args)
    except TypeError as exc:
        raise GraphQLError(f"Field '{sel.name}' of '{value.typename}': {exc}") from None
    try:
        got = resolver(**sel.args)
    except _GqlNotFound as exc:
        errors.append({"type": "NOT_FOUND", "path": path, "message": str(exc),
                       "locations": [{"line": 1, "column": 1}]})  # fmt: skip
        return None
    return _resolve(got, sel.children, path, errors)


def _generic_read(query: str) -> bool:
    """Whether `_serve_graphql` answers `query`: repository reads, not the PR queries
    the older handlers serve (a search, one PR, an issue's edits)."""
    return "repository(" in query and not re.search(
        r"search\(|pullRequest\(|userContentEdits", query
    )


def _first(first: int | None, field_name: str) -> int:
    if first is None:
        raise GraphQLError(
            "You must provide a `first` or `last` value to properly paginate the "
            f"`{field_name}` connection."
        )
    if first > 100:
        raise GraphQLError(
            f"Requesting {first} records on the `{field_name}` connection exceeds the "
            "`first` limit of 100 records."
        )
    return first


def _connection(
    items: list[Any], first: int, after: str | None, node: Callable[[Any], Any]
) -> _GqlObject:
    """A connection's page: `first` items after the cursor (an offset, here)."""
    start = int(after or 0)
    end = min(start + first, len(items))
    info = _GqlObject("PageInfo", {"hasNextPage": end < len(items), "endCursor": str(end)})
    return _GqlObject(
        "Connection",
        {"pageInfo": info, "totalCount": len(items), "nodes": [node(i) for i in items[start:end]]},
    )


def _gql_issue(issue: dict[str, Any]) -> _GqlObject:
    login = issue["user"]["login"]
    bot = issue["user"]["type"] == "Bot"
    # GraphQL names an App by its slug, without REST's `[bot]`.
    author = _GqlObject("Bot" if bot else "User", {"login": login.removesuffix("[bot]")})
    labels = [_GqlObject("Label", {"name": lb["name"]}) for lb in issue["labels"]]
    people = [_GqlObject("User", {"login": u["login"]}) for u in issue["assignees"]]
    return _GqlObject(
        "Issue",
        {
            "number": issue["number"],
            "title": issue["title"],
            "body": issue["body"] or "",
            "state": issue["state"].upper(),
            "stateReason": (issue.get("state_reason") or "").upper() or None,
            "url": issue["html_url"],
            "createdAt": issue["created_at"],
            "updatedAt": issue["updated_at"],
            "author": author,
            "labels": lambda first: _connection(labels, _first(first, "labels"), None, lambda x: x),
            "assignees": lambda first: _connection(
                people, _first(first, "assignees"), None, lambda x: x
            ),
        },
    )


def _gql_history(repo: FakeRepo, first: int, path: str | None = None) -> _GqlObject:
    """`Commit.history(first:, path:)`: the default branch's commits that changed
    `path`, newest first."""
    commits = [
        _GqlObject("Commit", {"oid": sha, "committedDate": when})
        for sha, when in _commits_touching(repo, (path or "").strip("/"))
    ]
    return _connection(commits, _first(first, "history"), None, lambda x: x)


def _gql_object(repo: FakeRepo, expression: str) -> _GqlObject | None:
    """`object(expression: "HEAD:path")`: a Blob, a Tree, or null where nothing is."""
    rev, _, path = expression.partition(":")
    if rev not in ("HEAD", repo.default_branch):
        raise GraphQLError(f"this fake reads the default branch only, not {rev!r}")
    return _gql_path(repo, path.strip("/"))


def _gql_path(repo: FakeRepo, path: str) -> _GqlObject | None:
    if path in repo.files:
        raw = _raw(repo.files[path])
        binary = b"\x00" in raw[:8000]  # git's own test for a binary file
        text = None if binary else raw.decode("utf-8", "replace")
        fields = {"byteSize": len(raw), "isBinary": binary, "text": text, "isTruncated": False}
        return _GqlObject("Blob", fields)
    inside = sorted(
        {p[len(path) + 1 :].split("/")[0] for p in repo.files if p.startswith(path + "/")}
    )
    if not inside:
        return None

    def entry(name: str) -> _GqlObject:
        child = f"{path}/{name}"
        blob = child in repo.files
        return _GqlObject(
            "TreeEntry",
            {
                "name": name,
                "path": child,
                "type": "blob" if blob else "tree",
                "mode": 0o100644 if blob else 0o040000,
                "object": lambda: _gql_path(repo, child),
            },
        )

    return _GqlObject("Tree", {"entries": [entry(name) for name in inside]})


def _commits_touching(repo: FakeRepo, path: str) -> list[tuple[str, str]]:
    """(sha, ISO date) of the default branch's commits that changed `path` (a file or a
    folder; "" for any), newest first."""
    found = []
    before: dict[str, str | bytes] = {}
    for sha, when, files in repo.commits:

        def under(snapshot: dict[str, str | bytes]) -> dict[str, str | bytes]:
            return {
                k: v
                for k, v in snapshot.items()
                if not path or k == path or k.startswith(path + "/")
            }

        if under(files) != under(before):
            found.append((sha, when))
        before = files
    return list(reversed(found))


def _raw(content: str | bytes) -> bytes:
    """A fake file's bytes: text is stored as UTF-8."""
    return content if isinstance(content, bytes) else content.encode()


def _etag(text: str) -> str:
    """A weak ETag of an answer's body, as GitHub derives it from the content."""
    return 'W/"' + hashlib.sha256(text.encode()).hexdigest()[:40] + '"'


def _if_none_match(headers: Any) -> set[str]:
    """The ETags a request's `If-None-Match` names (a list, or `*` for any)."""
    raw = str(headers.get("If-None-Match") or "")
    return {tag.strip() for tag in raw.split(",") if tag.strip()}


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _label_name(value: Any) -> str:
    return value["name"] if isinstance(value, dict) else str(value)


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def _matches(
    method: str,
    path: str,
    query: dict[str, list[str]],
    wanted_method: str,
    pattern: re.Pattern[str],
    wanted: dict[str, str],
) -> bool:
    """Whether a request is the method, path (regex) and query values a rule names."""
    return (
        method == wanted_method
        and bool(pattern.search(path))
        and all(query.get(k, [None])[0] == v for k, v in wanted.items())
    )


def _too_long(body: dict[str, Any]) -> dict[str, Any] | None:
    """GitHub's 422 for a label name over 50 or a description over 100 characters."""
    for field_name, limit in (("name", 50), ("description", 100)):
        if len(body.get(field_name) or "") > limit:
            message = f"{field_name} is too long (maximum is {limit} characters)"
            error = {"resource": "Label", "code": "custom", "field": field_name, "message": message}
            return {"message": "Validation Failed", "errors": [error]}
    return None


def _not_found() -> dict[str, str]:
    return {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}


def path_of(url: str) -> str:
    """The API path of a full URL, without the port PyGithub adds."""
    return urlsplit(url).path
