"""Benchmark (a harness): GitHub requests per merged-PR delivery to the App, cold and warm.

    python -m benchmarks.app_requests

An organisation as the shared fake GitHub (tests/fakegithub.py, driven by the real
PyGithub) serves it: acme/.github holds the organisation-wide config
(`repos: [acme/web, acme/sdk-js]`), the goals file and the goal issue; acme/sdk-js has
no config of its own. Each row runs the real App (`create_app`, its `CachedConfig`)
on merged PRs of acme/sdk-js that close the goal issue, and counts the requests of
one delivery:

- cold: a fresh process; the config is read (and its own-config probe made);
- warm: the next merge, within the config's TTL;
- revalidated: a merge after the TTL: the config's reads are asked again with
  `If-None-Match`, answered 304 (free of rate limit; shown as the charged count).

The naive count is what the same delivery costs reading everything by REST each
time, as a Probot app without caches does: the config probe, the `.github` config,
the goals folder and file, the goal-issue listing, the PR, its files, its commits,
its reviews, its comments, the goal issue, its edit and the comment (12). Target: at
most 4 requests warm for a PR linked to a goal.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import responses
from tests.fakegithub import FakeGitHub
from tests.test_app_org import GOALS, HOME, ORG_CONFIG, pr_payload
from tests.webhooks import encode, headers, ours, settings

from quarterdeck.webhook.server import create_app

TARGET = 4
NAIVE = 12  # see the module docstring: the same delivery, every read by REST, no cache
TTL = 60.0


def measure() -> dict[str, tuple[int, int]]:
    """(requests, charged requests) of one delivery: cold, warm and revalidated."""
    now = [0.0]
    found: dict[str, tuple[int, int]] = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        github = FakeGitHub(mock)
        home = github.add_repo(
            HOME, files={".github/quarterdeck.yml": ORG_CONFIG, "goals/2019-Q2.yml": GOALS}
        )
        github.add_issue(home, "A README people finish reading")
        github.add_repo("acme/sdk-js")
        app = create_app(
            settings(Path(tmp), config_ttl=TTL),
            identity=ours,
            github_factory=lambda _id: github.client(),
        )
        cache = app.extensions["quarterdeck"].processor.config_loader
        cache._clock = lambda: now[0]  # the TTL passes when the benchmark says so
        for name, number, at in (("cold", 1, 0.0), ("warm", 2, 1.0), ("revalidated", 3, 120.0)):
            now[0] = at
            found[name] = _deliver(app, github, number)
    return found


def _deliver(app: Any, github: FakeGitHub, number: int) -> tuple[int, int]:
    payload = pr_payload("acme/sdk-js", number)
    github.hold_pull("acme/sdk-js", payload, closing=(((HOME, 1), None),))
    before, budget = len(github.calls), github.rate_remaining
    body = encode(payload)
    app.test_client().post("/webhook", data=body, headers=headers("pull_request", body))
    assert app.extensions["quarterdeck"].queue.wait_idle(20)
    assert len(github.repos["acme/sdk-js"].comments_on(number)) == 1, "the delivery failed"
    return len(github.calls) - before, budget - github.rate_remaining


def run(quick: bool) -> list[dict[str, object]]:
    """Rows {name, ours_s, baseline_s, ratio, target, met, unit}: requests per delivery."""
    found = measure()
    rows: list[dict[str, object]] = []
    for name, (sent, charged) in found.items():
        label = f"App: one merged-PR delivery, {name} cache (harness: test client)"
        if name == "revalidated":
            label += f" (after the TTL; {charged} charged, the rest 304)"
        rows.append(
            {
                "name": label,
                "ours_s": sent,
                "baseline_s": NAIVE,
                "ratio": sent / NAIVE,
                "target": f"<= {TARGET} requests" if name == "warm" else "(for scale)",
                "met": sent <= TARGET if name == "warm" else True,
                "unit": "requests",
            }
        )
    return rows


def main() -> int:
    """Print each count beside the naive one."""
    for row in run(False):
        met = "met" if row["met"] else "NOT MET"
        print(
            f"{row['name']}: {row['ours_s']} requests (naive REST: {row['baseline_s']}); "
            f"target {row['target']}: {met}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
