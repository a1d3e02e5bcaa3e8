"""A goals file as it stood at a moment, from GitHub (GitHub mode): few requests.

One `GET /repos/{repo}/commits?path=<file>` (newest first, one page; or the same
commits read with the repository, `home.open_home`) says whether the file changed
since then; only if it did is it read at the last commit before then
(`contents?ref=<sha>`) and as it is now: one request when nothing changed, three
when something did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from github.GithubException import GithubException, UnknownObjectException
from github.Repository import Repository

from quarterdeck.core.vocabulary import parse_timestamp
from quarterdeck.sources.github.client import github_error

__all__ = ["GoalsThenAndNow", "goals_file_then_and_now", "hold_commits", "take_commits"]

_PAGE = 100  # commits of one goals file in one listing: a quarter's worth and more


class GoalsThenAndNow:
    """One goals file then and now; `changed` False means both are the same text."""

    def __init__(
        self,
        then: str | None,
        now: str | None,
        *,
        changed: bool,
        unavailable: str = "",
    ) -> None:
        self.then = then
        self.now = now
        self.changed = changed
        self.unavailable = unavailable


def hold_commits(repo: Repository, path: str, commits: list[dict[str, Any]]) -> None:
    """Keep the commits that changed `path`, read ahead with `repo` (`home.open_home`),
    for the one `goals_file_then_and_now` of that file that takes them (`take_commits`)."""
    repo._quarterdeck_commits = {path: commits}  # type: ignore[attr-defined]


def take_commits(repo: Repository, path: str) -> list[dict[str, Any]] | None:
    """The commits that changed `path`, read ahead with `repo` (once) in the REST
    listing's shape (`sha`, `commit.committer.date`), newest first; else None."""
    held: dict[str, list[dict[str, Any]]] | None = getattr(repo, "_quarterdeck_commits", None)
    return held.pop(path, None) if held else None


def goals_file_then_and_now(repo: Repository, path: str, when: datetime) -> GoalsThenAndNow:
    """`path` on the default branch as of `when` and now (None where it did not exist)."""
    where = f"reading the history of {path} in {repo.full_name}"
    commits = take_commits(repo, path)  # read with the repository (`home.open_home`)
    if commits is None:
        try:
            _, commits = repo.requester.requestJsonAndCheck(
                "GET", f"{repo.url}/commits", parameters={"path": path, "per_page": _PAGE}
            )
        except UnknownObjectException:
            return GoalsThenAndNow(None, None, changed=False)
        except GithubException as exc:
            raise github_error(exc, where) from None
    commits = commits if isinstance(commits, list) else []
    dated = [(parse_timestamp(_date(c)), str(c.get("sha") or "")) for c in commits]
    after = [sha for at, sha in dated if at is not None and at > when]
    before = next((sha for at, sha in dated if at is not None and at <= when), None)
    if not after:
        return GoalsThenAndNow(None, None, changed=False)
    if before is None and len(commits) >= _PAGE:
        return GoalsThenAndNow(
            None,
            None,
            changed=True,
            unavailable=f"{path} changed more than {_PAGE} times since {when:%Y-%m-%d}",
        )
    then = _read(repo, path, before, where) if before else None
    return GoalsThenAndNow(then, _read(repo, path, None, where), changed=True)


def _date(commit: object) -> object:
    data = commit.get("commit") if isinstance(commit, dict) else None
    committer = data.get("committer") if isinstance(data, dict) else None
    return committer.get("date") if isinstance(committer, dict) else None


def _read(repo: Repository, path: str, ref: str | None, where: str) -> str | None:
    try:
        found = repo.get_contents(path, ref=ref) if ref else repo.get_contents(path)
    except UnknownObjectException:
        return None
    except GithubException as exc:
        raise github_error(exc, where) from None
    if isinstance(found, list):
        return None
    return found.decoded_content.decode("utf-8-sig", "replace")
