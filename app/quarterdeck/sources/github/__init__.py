"""The GitHub gateway: the only code that imports PyGithub.

Services, handlers and the CLI hold a `gateway.GitHubGateway` (a client) and the
`RepoGateway`, `IssueGateway` and `CommentGateway` it hands out: plain values in,
plain values and the core's dataclasses out, no PyGithub object above this package
(`tests/test_gateway_sealed.py`). GitHub's and the network's failures are translated
inside it, once, into the project's own exceptions (`quarterdeck.errors`: not found
or gone, refused, unavailable, rate limited), so callers and the worker's retry rules
test types, never PyGithub's; a caller names its work with `gateway.doing(...)`.

Behind the gateway: `client` (connections, retries, unpaced GraphQL reads, errors),
`config` (files through the contents API), `home` (a review's home repository, its
folders, labelled issues and goals history in one GraphQL query), `goal_listing` (goal
issues), `prs` (merged PRs), `writes` (idempotent comments and labels), `lock` (a lock
label across processes and machines). Nothing is imported here, so importing one
module loads only what it needs.
"""
