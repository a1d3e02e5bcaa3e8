#!/usr/bin/env python3
"""Count the modules a merged-PR delivery and an offline review walk through (issue 24).

    .venv/bin/python scripts/module_crossings.py [--json]

Two runs, each under `sys.setprofile` (and `threading.setprofile`, for the App's
worker thread), after one unprofiled warm-up run of the same kind so that imports
and per-process caches are not counted:

(a) **delivery**: one merged-PR delivery (`tests.webhooks.merged_pr`) posted to the
    real App (`create_app`, Flask's test client, its in-process worker) with the
    one fake GitHub of the tests behind `responses`; the App reads the config and
    the goal issue, comments on the PR and lists it on the goal issue.
(b) **review**: `quarterdeck review --repo DIR --month 2026-11 -o FILE`, the whole CLI
    in this process, over the small real git repository of `tests.reviewrepos`.

For each it reports, counting only calls into code of `quarterdeck.*` (a module's
import-time body excluded):

- `modules`: distinct `quarterdeck.*` modules entered;
- `boundaries`: distinct (caller module, callee module) pairs whose layers differ,
  the caller being the nearest `quarterdeck.*` frame up the stack. Layers:
  `cli`/`webhook` = entry, `services`, `core`, `sources`, and the package's own
  top-level modules (`errors`, `redact`, ...) = shared;
- `calls`: how many calls crossed a layer boundary (each pair, every time).

`--modules` lists the modules, each with the calls into it from another module;
`--pairs` lists the crossing pairs with their calls.

README's development map records the figures of the commit this was written on and
after; `tests/test_module_crossings.py` holds both runs at or under its "now" rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = "quarterdeck"
ENTRY = ("cli", "webhook")


def layer(module: str) -> str:
    """The layer of a `quarterdeck.*` module (see the module docstring)."""
    parts = module.split(".")
    if len(parts) < 3:  # quarterdeck, quarterdeck.errors, quarterdeck.cli (a package's own body)
        return "entry" if len(parts) == 2 and parts[1] in ENTRY else "shared"
    return "entry" if parts[1] in ENTRY else parts[1]


@dataclass
class Crossings:
    """What one profiled run entered and crossed."""

    modules: set[str] = field(default_factory=set)
    pairs: Counter[tuple[str, str]] = field(default_factory=Counter)
    # Per module, the calls into it from another `quarterdeck.*` module.
    entries: Counter[str] = field(default_factory=Counter)
    # Every distinct (caller module, callee module) pair, whatever their layers.
    links: set[tuple[str, str]] = field(default_factory=set)

    @property
    def boundaries(self) -> int:
        """Distinct (caller, callee) module pairs in different layers."""
        return len(self.pairs)

    @property
    def calls(self) -> int:
        """Calls that crossed a layer boundary."""
        return sum(self.pairs.values())

    def summary(self) -> dict[str, int]:
        """The three figures, for the report."""
        return {"modules": len(self.modules), "boundaries": self.boundaries, "calls": self.calls}


def _module(frame: FrameType) -> str | None:
    name = frame.f_globals.get("__name__")
    if isinstance(name, str) and (name == PACKAGE or name.startswith(PACKAGE + ".")):
        return name
    return None


def count(run: Callable[[], object]) -> Crossings:
    """Run `run` under the profiler and count the `quarterdeck.*` modules it crosses."""
    found = Crossings()
    lock = threading.Lock()

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event != "call" or frame.f_code.co_name == "<module>":
            return
        callee = _module(frame)
        if callee is None:
            return
        caller_frame = frame.f_back
        caller = None
        while caller_frame is not None and caller is None:
            caller = _module(caller_frame)
            caller_frame = caller_frame.f_back
        with lock:
            found.modules.add(callee)
            if caller is not None and caller != callee:
                found.entries[callee] += 1
                found.links.add((caller, callee))
            if caller is not None and caller != callee and layer(caller) != layer(callee):
                found.pairs[(caller, callee)] += 1

    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    return found


def _tests_importable() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def delivery_run() -> Callable[[], Crossings]:
    """A callable that posts one merged-PR delivery to the App and waits for its work.

    Each call builds a fresh App and fake GitHub first (so the config cache is cold,
    as for a repository's first delivery) and profiles only the delivery: from the
    POST to the end of its work, not the App's start-up.
    """
    _tests_importable()
    import responses
    from tests.fakegithub import FakeGitHub
    from tests.webhooks import FILES, REPO, encode, headers, merged_pr, ours, settings

    from quarterdeck.webhook.server import create_app

    def run() -> Crossings:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
            github = FakeGitHub(mock)
            repo = github.add_repo(REPO, files=FILES)
            github.add_issue(repo, "A README people finish reading", body="Why: people stop.\n")
            github.add_issue(repo, "Update the README with new information.")
            payload = merged_pr()
            github.hold_pull(REPO, payload)
            with tempfile.TemporaryDirectory() as tmp:
                app = create_app(
                    settings(Path(tmp)), identity=ours, github_factory=lambda _id: github.client()
                )
                client, body = app.test_client(), encode(payload)
                work = app.extensions["quarterdeck"].queue

                def deliver() -> None:
                    answer = client.post(
                        "/webhook", data=body, headers=headers("pull_request", body)
                    )
                    if answer.status_code != 202:
                        raise RuntimeError(f"the delivery was answered {answer.status_code}")
                    if not work.wait_idle(60):
                        raise RuntimeError("the delivery's work did not end within 60 s")

                found = count(deliver)
            if not repo.comments_on(2):
                raise RuntimeError("the App wrote no comment on the merged PR")
        return found

    return run


def review_run(workdir: Path) -> Callable[[], object]:
    """A callable that runs `quarterdeck review` over a small real git repo in `workdir`."""
    _tests_importable()
    from tests.reviewrepos import small_repo

    from quarterdeck.cli import main

    repo = small_repo(workdir / "acme-web")
    runs = iter(range(1_000_000))

    def run() -> None:
        out = workdir / f"review-{next(runs)}.md"
        code = main(["review", "--repo", str(repo.path), "--month", "2026-11", "-o", str(out)])
        if code != 0 or "Funnel breakdowns" not in out.read_text(encoding="utf-8"):
            raise RuntimeError(f"quarterdeck review exited {code} without the expected review")

    return run


def measure_delivery() -> Crossings:
    """(a): warm up once (imports, per-process caches), then count a second delivery."""
    run = delivery_run()
    run()
    return run()


def measure_review(workdir: Path) -> Crossings:
    """(b): warm up once (imports, per-process caches), then count a second review."""
    run = review_run(workdir)
    run()
    return count(run)


def main(argv: list[str] | None = None) -> int:
    """Print both scenarios' figures (text, or JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--pairs", action="store_true", help="list each crossing pair too")
    parser.add_argument("--modules", action="store_true", help="list each module entered too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        found = {"delivery": measure_delivery(), "review": measure_review(Path(tmp))}
    if args.json:
        print(json.dumps({name: c.summary() for name, c in found.items()}, indent=2))
        return 0
    for name, crossings in found.items():
        figures = crossings.summary()
        print(
            f"{name}: {figures['modules']} modules, {figures['boundaries']} layer boundaries "
            f"({figures['calls']} calls across them)"
        )
        if args.modules:
            for module in sorted(crossings.modules):
                print(f"  {module}  entered x{crossings.entries[module]}")
        if args.pairs:
            for (caller, callee), n in sorted(crossings.pairs.items()):
                print(f"  {caller} -> {callee}  x{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
