"""Config, goals and metrics files from a GitHub repository, the way Probot apps read them.

The loading itself is `repo_files.load_config` (the one loader); this module only
supplies a `FileReader` over the contents API on the default branch and the Probot
conventions around the config file:

- no `.github/quarterdeck.yml` in the repo → the owner's `.github` repository's file;
- `_extends: other-repo`, `owner/repo` or `owner/repo:path.yml` merges that file
  under this one (this file's keys win). One level is followed; a loop is refused.

Each reader notes a `Check` per read (the path and the ETag GitHub answered), so a
long-lived process can ask later, with `If-None-Match`, whether anything it parsed
changed (`still_current`): GitHub answers 304, free of rate limit, while nothing did.
A review reads its home's folders ahead in one GraphQL query (`sources.github.home`)
and primes its reader with them (`GitHubReader.prime`); those reads have no ETag, and
the App, which revalidates, never primes.

Problems name repo paths (`.github/quarterdeck.yml`); a file from another repository
is named `owner/repo:path`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from github import GithubException, UnknownObjectException
from github.Repository import Repository
from github.Requester import Requester

from quarterdeck.core.config import (
    CONFIG_PATH,
    FILE_TOO_LARGE,
    MAX_FILE_BYTES,
    BusinessMetrics,
    parse_config,
)
from quarterdeck.core.model import Config
from quarterdeck.core.vocabulary import repo_reference_problem, split_extends
from quarterdeck.errors import Problem
from quarterdeck.sources.github.client import github_error
from quarterdeck.sources.repo_files import (
    Unreadable,
    load_config,
    load_metrics_with,
    read_text,
    user_templates,
)

__all__ = [
    "Check",
    "Entry",
    "GitHubReader",
    "load_github_config",
    "load_github_metrics",
    "load_github_templates",
    "locate_config",
    "parse_extends",
    "repo_reader",
    "still_current",
]

ORG_CONFIG_REPO = ".github"


class Content(Protocol):
    """What the reader reads of a file or folder entry: PyGithub's `ContentFile`, or
    an `Entry` read ahead."""

    @property
    def name(self) -> str:
        """The entry's name in its folder."""

    @property
    def type(self) -> str:
        """`file`, `dir`, `symlink` or `submodule`."""

    @property
    def size(self) -> int:
        """Bytes."""

    @property
    def decoded_content(self) -> bytes | None:
        """The file's bytes (None where GitHub left them out)."""


@dataclass(frozen=True)
class Entry:
    """A file or folder entry read ahead (`GitHubReader.prime`), shaped as the contents
    API's answer is read here: `type` file or dir, `size` in bytes, and the file's
    bytes (None for a folder, or a file over `MAX_FILE_BYTES`, whose content GitHub
    leaves out)."""

    name: str
    type: str
    size: int = 0
    decoded_content: bytes | None = None


@dataclass(frozen=True)
class Check:
    """A read to repeat conditionally: unchanged while GitHub answers it 304.

    `etag` None: the read found nothing (a 404, or an empty list), and is unchanged
    while that stays so; such a read is repeated plainly (GitHub tags no 404).
    """

    path: str  # the API path, e.g. /repos/acme/.github/contents/.github/quarterdeck.yml
    params: tuple[tuple[str, str], ...] = ()
    etag: str | None = None


def still_current(requester: Requester, checks: Iterable[Check]) -> bool:
    """Whether every read in `checks` would answer what it answered then.

    Stops at the first change. Each check is one request; a 304 is not charged to
    the rate limit. GitHub failures other than a 404 are raised (PyGithub's).
    """
    for check in checks:
        asked = {"If-None-Match": check.etag} if check.etag else None
        try:
            _, data = requester.requestJsonAndCheck(
                "GET", check.path, parameters=dict(check.params), headers=asked
            )
        except UnknownObjectException:
            if check.etag is None:
                continue  # still absent
            return False
        if check.etag is not None and data is None:
            continue  # 304: no body
        if check.etag is None and data == []:
            continue  # still empty
        return False
    return True


class GitHubReader:
    """A repository's files on its default branch, through the contents API.

    Every path is fetched at most once per reader (folder listings too), so reading
    this month's and last month's metrics costs one listing, not four probes. Every
    read is noted in `checks`, to revalidate later (`still_current`).
    """

    def __init__(
        self, repo: Repository, *, foreign: str | None = None, full_name: str | None = None
    ) -> None:
        """`foreign`: the full name of a repository other than the one being reviewed;
        `full_name`: the name of `repo`, when known (a lazy handle would ask GitHub)."""
        self.repo = repo
        self.foreign = foreign
        self.full_name = foreign or full_name or repo.full_name
        self.owner = self.full_name.split("/")[0]
        # path -> a file, a folder's entries, or None (not there)
        self._cache: dict[str, Content | Sequence[Content] | None] = {}
        self._primed: dict[str, set[str]] = {}  # folder read ahead -> names in it
        self.checks: list[Check] = []

    def prime(self, folder: str, entries: list[Entry] | None, files: dict[str, Entry]) -> None:
        """Take `folder` as read: its `entries` (None: no such folder) and, by name, the
        `files` in it whose content came along; any other file in it is read when asked.

        A path in a primed folder that is not among its entries is absent, unasked.
        Primed reads note no `Check`: a reader that revalidates reads through REST.
        """
        self._cache[folder] = entries
        self._primed[folder] = {e.name for e in entries or ()}
        for name, entry in files.items():
            self._cache[f"{folder}/{name}"] = entry

    def _absent(self, path: str) -> bool:
        """Whether a primed folder's listing says `path` is not there."""
        folder, _, name = path.rpartition("/")
        return folder in self._primed and name not in self._primed[folder]

    def _get(self, path: str) -> Content | Sequence[Content] | None:
        if path not in self._cache and self._absent(path):
            return None
        if path not in self._cache:
            try:
                found = self.repo.get_contents(path)
            except UnknownObjectException:
                found = None
            except GithubException as exc:
                raise github_error(exc, f"reading {self.display(path)}") from None
            self._cache[path] = found
            # A folder's entries each carry the listing's response headers, its ETag too.
            first = found[0] if isinstance(found, list) and found else found
            etag = first.etag if first is not None and not isinstance(first, list) else None
            where = f"/repos/{self.full_name}/contents/{quote(path)}"
            self.checks.append(Check(where, (), etag))
        return self._cache[path]

    def read(self, path: str) -> bytes | None:
        content = self._get(path)
        if content is None:
            return None
        if isinstance(content, Sequence):
            raise Unreadable("is a folder; expected a YAML file here")
        if content.type != "file":
            raise Unreadable("is not a file (a link or submodule); expected a YAML file here")
        # The contents API leaves `content` empty for files over 1 MB.
        if content.size > MAX_FILE_BYTES:
            raise Unreadable(FILE_TOO_LARGE)
        return content.decoded_content

    def list_dir(self, path: str) -> list[str]:
        entries = self._get(path)
        if not isinstance(entries, Sequence):
            return []
        return sorted(e.name for e in entries if e.type == "file")

    def display(self, path: str) -> str:
        return f"{self.full_name}:{path}" if self.foreign else path


def parse_extends(value: str, owner: str) -> tuple[str, str] | None:
    """`_extends` as (owner/repo, path), relative to `owner`; None if malformed.

    Malformed includes anything that would walk the API's URL (`..`, an absolute or
    percent-encoded path, `acme/..`): `vocabulary.split_extends` is the one grammar.
    """
    parts = split_extends(value)
    if parts is None:
        return None
    their_owner, name, path = parts
    return f"{their_owner or owner}/{name}", path or CONFIG_PATH


def load_github_config(
    repo: Repository, *, strict: bool = False, config_path: str = CONFIG_PATH
) -> tuple[Config, list[Problem]]:
    """The repo's validated config and goals, read from its default branch on GitHub.

    Same loader and validation as offline; raises ConfigError with every problem, and
    QuarterdeckError when GitHub refuses a read (the message says which file and why).
    """
    reader = repo_reader(repo)
    problems: list[Problem] = []
    config, origin = _find_config(reader, problems, config_path)
    base = _read_base(config, origin, problems) if config else None
    return load_config(reader, strict=strict, config=config, base=base, problems=problems)


def locate_config(
    reader: GitHubReader, problems: list[Problem]
) -> tuple[tuple[str, str] | None, GitHubReader, tuple[str, str] | None]:
    """The config file that applies to `reader`'s repository, as `load_github_config`
    finds it: (display name, text) or None, the reader it came from (the repository's
    own, or its owner's `.github` one) and its `_extends` base. Problems are appended."""
    config, origin = _find_config(reader, problems)
    base = _read_base(config, origin, problems) if config else None
    return config, origin[0], base


def load_github_metrics(repo: Repository, config: Config, month: str) -> BusinessMetrics | None:
    """The PM's figures for `month` (YYYY-MM) from the repo's metrics folder on GitHub."""
    found = load_metrics_with(repo_reader(repo), config, month)
    return found.company if found else None


def load_github_templates(repo: Repository) -> dict[str, str]:
    """The repo's own templates from `.github/quarterdeck/templates/` on GitHub."""
    return user_templates(repo_reader(repo))


def repo_reader(repo: Repository) -> GitHubReader:
    """The one reader of `repo` (per repository object): every file and folder listing
    a run reads through it is fetched once (the metrics folder for all months)."""
    reader = getattr(repo, "_quarterdeck_reader", None)
    if reader is None:
        reader = GitHubReader(repo)
        repo._quarterdeck_reader = reader  # type: ignore[attr-defined]
    return reader


def _find_config(
    reader: GitHubReader, problems: list[Problem], path: str = CONFIG_PATH
) -> tuple[tuple[str, str] | None, tuple[GitHubReader, str]]:
    """The config file (display name, text) and where it came from, with the org fallback."""
    text, problem = read_text(reader, path)
    origin = (reader, path)
    # The name from `full_name`: a lazy handle's `.name` would cost a request.
    name = reader.full_name.split("/", 1)[1]
    if text is None and problem is None and name != ORG_CONFIG_REPO:
        org = _reader(reader, f"{reader.owner}/{ORG_CONFIG_REPO}")
        text, problem = read_text(org, path)
        origin = (org, path)
    if problem:
        problems.append(problem)
    if text is None:
        return None, origin
    return (origin[0].display(origin[1]), text), origin


def _read_base(
    config: tuple[str, str], origin: tuple[GitHubReader, str], problems: list[Problem]
) -> tuple[str, str] | None:
    """The file `_extends` names, read; None (with a problem) when it can't be used."""
    parsed, _ = parse_config(config[1], config[0])
    if parsed is None or not parsed.extends:
        return None
    reader, path = origin
    here = (reader.full_name.lower(), path)
    target = parse_extends(parsed.extends, reader.owner)
    if target is None:
        problems.append(
            Problem(
                config[0],
                None,
                "_extends",
                f"{parsed.extends!r} is not a config to extend; write `repo`, `owner/repo` "
                "or `owner/repo:path.yml`",
            )
        )
        return None
    if (target[0].lower(), target[1]) == here:
        problems.append(Problem(config[0], None, "_extends", "extends itself; remove `_extends`"))
        return None
    base_reader = _reader(reader, target[0])
    text, problem = read_text(base_reader, target[1])
    shown = f"{target[0]}:{target[1]}"
    if problem:
        problems.append(problem)
        return None
    if text is None:
        problems.append(
            Problem(
                config[0],
                None,
                "_extends",
                f"{parsed.extends!r} names {shown}, which does not exist or is not readable "
                "with this token; fix the name or give the token access",
            )
        )
        return None
    name = base_reader.display(target[1])
    _check_base_extends(text, name, base_reader, config[0], here, problems)
    return name, text


def _check_base_extends(
    text: str,
    name: str,
    reader: GitHubReader,
    child: str,
    here: tuple[str, str],
    problems: list[Problem],
) -> None:
    """One level of `_extends` is followed: a loop back is an error, a further hop a warning."""
    parsed, _ = parse_config(text, name)
    if parsed is None or not parsed.extends:
        return
    onward = parse_extends(parsed.extends, reader.owner)
    if onward is not None and (onward[0].lower(), onward[1]) == here:
        problems.append(
            Problem(
                name,
                None,
                "_extends",
                f"extends {child} back, which extends this file: a loop; remove one `_extends`",
            )
        )
    else:
        problems.append(
            Problem(
                name,
                None,
                "_extends",
                f"{parsed.extends!r} is not followed: Quarterdeck reads one level of "
                "`_extends`; copy the settings you need into this file",
                "warning",
            )
        )


def _reader(near: GitHubReader, full_name: str) -> GitHubReader:
    """A reader of `full_name`: `near` itself, or a lazy handle through the same client."""
    if full_name.lower() == near.full_name.lower():
        return near
    problem = repo_reference_problem(full_name)
    if problem is not None:
        # Callers pass names already checked; this keeps a URL from ever being built.
        raise ValueError(f"not reading {full_name!r}: {problem}")
    lazy = Repository(near.repo.requester.withLazy(True), url=f"/repos/{full_name}")
    return GitHubReader(lazy, foreign=full_name)
