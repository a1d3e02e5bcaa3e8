"""Every webhook delivery the App acts on, by `(event, action)`: the one routing table.

A delivery goes: `intake.accept` (pure checks: signature, headers, payload) → the
route of its event (`ROUTES`) → claimed once (`deliveries`) → queued, or run in the
request when its route says so → the handler the table names for its action
(`jobs.Processor.run`). Nothing else picks a handler.

- An event with no route at all is answered `200 {"status": "ignored"}` at the door,
  and no work is queued.
- An event with routes, whatever its action, must carry the payload object its
  routes name (400 without it). When its action has no route (a PR's `synchronize`)
  it is answered `200 {"status": "ignored", ...}` at the door too: no claim, no job.
- `action=None` in a key routes every action of that event (`push` has none).

To handle something new: write the handler (`handlers/`, taking a `Context`,
returning a one-line summary for the log), then add its rows here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from quarterdeck.webhook.handlers import installation, issues, pull_request, push
from quarterdeck.webhook.handlers.context import Context

Handler = Callable[[Context], str]


@dataclass(frozen=True)
class Route:
    """What to do with a delivery of one `(event, action)`.

    `needs`: the payload object the event must carry (checked at the door, so a
    malformed delivery is a 400 rather than a job that fails later). `queued`: run
    after the answer (the default: a handler makes GitHub requests and may wait for a
    lock → 202); False runs it inside the request, once, for work that is quick and
    local (→ 200 "handled"; a failure releases the claim and is answered 500, so
    GitHub's "Redeliver" runs it again).
    """

    handler: Handler
    needs: str
    queued: bool = True


Table = dict[tuple[str, str | None], Route]  # (event, action or None for any) -> route


_MERGED_PR = Route(pull_request.handle, needs="pull_request")
_GOAL_ISSUE = Route(issues.handle, needs="issue")
_INSTALLED = Route(installation.handle, needs="installation")

ROUTES: Table = {
    # A merged PR is linked to its goal in one comment; a later edit re-links it.
    ("pull_request", "closed"): _MERGED_PR,
    ("pull_request", "edited"): _MERGED_PR,
    ("pull_request", "labeled"): _MERGED_PR,
    ("pull_request", "unlabeled"): _MERGED_PR,
    # Goal issues are checked; an edited growth-review issue records the lead's decision.
    ("issues", "opened"): _GOAL_ISSUE,
    ("issues", "edited"): _GOAL_ISSUE,
    ("issues", "labeled"): _GOAL_ISSUE,
    ("issues", "unlabeled"): _GOAL_ISSUE,
    ("issues", "assigned"): _GOAL_ISSUE,
    ("issues", "unassigned"): _GOAL_ISSUE,
    # Every installation change is logged (and labels created, if configured).
    ("installation", None): _INSTALLED,
    ("installation_repositories", None): _INSTALLED,
    # A goals file landing on the default branch closes that quarter's planning issues.
    ("push", None): Route(push.handle, needs="repository"),
}


def route_of(routes: Table, event: str, action: str | None) -> Route | None:
    """The route of a delivery in `routes`: its `(event, action)` row, else its event's
    any-action row (`action=None`), else None."""
    return routes.get((event, action)) or routes.get((event, None))


def required_objects(routes: Table) -> dict[str, str]:
    """Each routed event and the payload object it must carry (for `intake.accept`)."""
    needs: dict[str, str] = {}
    for (event, _action), found in routes.items():
        if needs.setdefault(event, found.needs) != found.needs:
            raise ValueError(
                f"webhook/routes.py: the routes of {event} name different payload objects "
                f"({needs[event]!r}, {found.needs!r}); one event carries one object"
            )
    return needs


EVENTS: frozenset[str] = frozenset(required_objects(ROUTES))
