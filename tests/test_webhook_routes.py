"""The one routing table (`webhook/routes.py`): what the door and the job do, by row."""

from __future__ import annotations

import ast
import logging
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from quarterdeck.webhook import routes
from quarterdeck.webhook.deliveries import LEASE
from quarterdeck.webhook.handlers import installation, issues, pull_request, push
from quarterdeck.webhook.handlers.context import Context
from quarterdeck.webhook.routes import ROUTES, Route, required_objects, route_of
from quarterdeck.webhook.server import create_app
from tests.webhooks import encode, fixed_loader, headers, ours, settings

WEBHOOK = Path(routes.__file__).parent


class Recorder:
    """A handler that notes each delivery it is given."""

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self.fail = fail

    def __call__(self, ctx: Context) -> str:
        self.seen.append((ctx.delivery.event, ctx.delivery.action))
        if self.fail:
            raise ValueError("the handler broke")
        return f"recorded {ctx.delivery.event}"


def post(app: Flask, event: str, payload: dict[str, Any], delivery: str | None = None) -> Any:
    body = encode(payload)
    return app.test_client().post("/webhook", data=body, headers=headers(event, body, delivery))


def make_app(tmp_path: Path, table: routes.Table) -> Flask:
    return create_app(
        settings(tmp_path),
        identity=ours,
        config_loader=fixed_loader,
        github_factory=lambda _id: pytest.fail("no route here asks GitHub"),
        routes=table,
    )


def test_the_table_names_each_handler_by_event_and_action() -> None:
    assert route_of(ROUTES, "pull_request", "closed") == Route(pull_request.handle, "pull_request")
    assert route_of(ROUTES, "issues", "assigned") == Route(issues.handle, "issue")
    assert route_of(ROUTES, "push", None) == Route(push.handle, "repository")
    # `None` in a key: every action of the event.
    assert route_of(ROUTES, "installation", "deleted") == Route(installation.handle, "installation")
    assert route_of(ROUTES, "pull_request", "synchronize") is None
    assert route_of(ROUTES, "issues", "closed") is None
    assert route_of(ROUTES, "star", "created") is None
    assert required_objects(ROUTES) == {
        "pull_request": "pull_request",
        "issues": "issue",
        "installation": "installation",
        "installation_repositories": "installation",
        "push": "repository",
    }


def test_one_event_carries_one_object() -> None:
    handler = Recorder()
    mixed = {("issues", "opened"): Route(handler, "issue"), ("issues", None): Route(handler, "x")}
    with pytest.raises(ValueError, match=r"routes\.py: the routes of issues name different"):
        required_objects(mixed)


def test_the_app_routes_by_its_table(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    queued, inline = Recorder(), Recorder()
    app = make_app(
        tmp_path,
        {
            ("issues", "labeled"): Route(queued, "issue"),
            ("pull_request", "closed"): Route(inline, "pull_request", queued=False),
        },
    )
    work = app.extensions["quarterdeck"].queue
    caplog.set_level(logging.INFO, logger="quarterdeck.webhook")

    answer = post(app, "issues", {"action": "labeled", "issue": {"number": 1}}, "d-1")
    assert (answer.status_code, answer.get_json()["status"]) == (202, "queued")
    # A routed event, an action with no row: answered at the door, nothing claimed or
    # queued, no handler run (a redelivery is answered the same, not as a duplicate).
    for _ in range(2):
        answer = post(app, "issues", {"action": "closed", "issue": {"number": 1}}, "d-2")
        assert (answer.status_code, answer.get_json()) == (
            200,
            {"status": "ignored", "event": "issues", "action": "closed"},
        )
    assert work.wait_idle(10)
    assert queued.seen == [("issues", "labeled")]

    # Its route says "not queued": run in the request, answered 200 once done.
    answer = post(app, "pull_request", {"action": "closed", "pull_request": {}}, "d-3")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "handled", "delivery": "d-3"}
    assert inline.seen == [("pull_request", "closed")]
    again = post(app, "pull_request", {"action": "closed", "pull_request": {}}, "d-3")
    assert (again.status_code, again.get_json()["status"]) == (200, "duplicate")
    # Its claim is finished, like a queued delivery's once done: past the lease of
    # unfinished work (but within the TTL), a redelivery is still a duplicate.
    deliveries = app.extensions["quarterdeck"].deliveries
    deliveries._clock = lambda: time.time() + LEASE + 60
    later = post(app, "pull_request", {"action": "closed", "pull_request": {}}, "d-3")
    assert (later.status_code, later.get_json()["status"]) == (200, "duplicate")
    assert inline.seen == [("pull_request", "closed")]

    # An event with no row at all (push is routed by the App's own table, not this one).
    answer = post(app, "push", {"ref": "refs/heads/main", "repository": {}}, "d-4")
    assert (answer.status_code, answer.get_json()) == (200, {"status": "ignored", "event": "push"})
    # The object each routed event needs is checked at the door.
    assert post(app, "issues", {"action": "labeled"}, "d-5").status_code == 400


def test_work_in_the_request_that_fails_is_a_500_and_can_be_redelivered(tmp_path: Path) -> None:
    broken = Recorder(fail=True)
    app = make_app(tmp_path, {("issues", "opened"): Route(broken, "issue", queued=False)})
    payload = {"action": "opened", "issue": {"number": 1}}
    answer = post(app, "issues", payload, "d-1")
    assert answer.status_code == 500
    assert "d-1 failed; the App's log says why" in answer.get_json()["error"]
    assert post(app, "issues", payload, "d-1").status_code == 500  # the claim was released
    assert len(broken.seen) == 2


def test_no_request_state_in_flask_g() -> None:
    # Each step of the door returns its answer; nothing rides on flask's `g`.
    for path in sorted(WEBHOOK.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "flask":
                assert "g" not in {alias.name for alias in node.names}, path
            if isinstance(node, ast.Attribute) and node.attr == "g":
                assert not (isinstance(node.value, ast.Name) and node.value.id == "flask"), path


def test_the_handlers_leave_actions_to_the_table() -> None:
    # No handler keeps its own list of actions: the table is the one place.
    for module in (pull_request, issues, installation, push):
        assert not hasattr(module, "ACTIONS"), module.__name__
