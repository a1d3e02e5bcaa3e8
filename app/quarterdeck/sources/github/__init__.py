"""The GitHub gateway: the only code that imports PyGithub.

Everything Quarterdeck reads from or writes to GitHub goes through these modules:
`client` (connections, retries, unpaced GraphQL reads, errors), `config` (files
through the contents API), `home` (a review's home repository, its folders, labelled
issues and goals history in one GraphQL query), `goals` (goal issues), `prs` (merged PRs), `writes`
(idempotent comments and labels), `lock` (a lock label across processes and
machines). The rest of the code names PyGithub's types through here, and GitHub's
failures reach it as the project's own exceptions (`quarterdeck.errors`: not found
or gone, refused, unavailable, rate limited), so callers and the worker's retry
rules test types, never PyGithub's.
"""

from __future__ import annotations

from github import Github
from github.Issue import Issue
from github.IssueComment import IssueComment
from github.NamedUser import NamedUser
from github.Repository import Repository

from quarterdeck.sources.github.client import translated

__all__ = ["Github", "Issue", "IssueComment", "NamedUser", "Repository", "translated"]
