"""Who last edited an issue's body: GitHub's edit history, one GraphQL read.

The REST API says when an issue was last updated, not by whom; GraphQL keeps each
edit of the body with its editor (`userContentEdits`). The Action reads it to know
who ticked a review's decision box when the App did not see the edit happen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quarterdeck.core.vocabulary import actor, parse_timestamp
from quarterdeck.sources.github.client import graphql

__all__ = ["last_person_edit"]

QUERY = """
query($owner: String!, $name: String!, $number: Int!) {
  repository(owner: $owner, name: $name) {
    issue(number: $number) {
      userContentEdits(first: 50) { nodes { editedAt editor { login __typename } } }
    }
  }
}
"""


def last_person_edit(client: Any, full_name: str, number: int) -> tuple[str, datetime] | None:
    """(login, when) of the newest edit of issue `number`'s body by a person, not a bot;
    None when only bots edited it (or GitHub keeps no history of it).

    `client`: a `Github` or any PyGithub object of one (a repository).
    """
    owner, name = full_name.split("/", 1)
    data = graphql(client, QUERY, {"owner": owner, "name": name, "number": number})
    issue = ((data.get("data") or {}).get("repository") or {}).get("issue") or {}
    nodes = (issue.get("userContentEdits") or {}).get("nodes") or []
    best: tuple[str, datetime] | None = None
    for node in nodes:
        login, bot = actor(node.get("editor"))
        when = parse_timestamp(node.get("editedAt"))
        if bot or when is None or login == "ghost":
            continue
        if best is None or when > best[1]:
            best = (login, when)
    return best
