"""The config each delivery's handler links against, cached across deliveries.

Apart from the job runner (`jobs.py`): the runtime builds one `CachedConfig` per
process and the `Context` of each delivery asks it once (`Context.app_config`), so
a handler reads its config here and never calls back into the code that runs it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from quarterdeck.sources.github.gateway import RepoGateway

log = logging.getLogger("quarterdeck.webhook")

# A plain `repo -> (config, warnings)` read (tests that don't exercise config I/O).
ConfigLoader = Callable[[Any], tuple[Any, list[Any]]]


class CachedConfig:
    """The config each delivery links against, read once and then revalidated.

    Two things are kept, each checked again after `ttl` seconds: per repository,
    whether it has a config file of its own (else its owner's `.github` one applies);
    and per config, what was parsed from it (goal files and goal issues included),
    shared by every repository it applies to. Checking again is a conditional
    request per read (`If-None-Match`): while GitHub answers 304, which costs no rate
    limit, the parsed config is reused; on any change it is read again whole.

    `loader` replaces all of it with a plain `repo -> (config, warnings)` read once per
    `ttl` and repository (tests that don't exercise config I/O).
    """

    def __init__(
        self,
        loader: ConfigLoader | None,
        ttl: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, Any]] = {}  # with `loader`: per repository
        self._sources: dict[str, tuple[float, str, Any]] = {}  # repo -> its config's repo
        self._configs: dict[tuple[str, str], list[Any]] = {}  # (source, goals) -> [t, cfg]

    def __call__(self, full_name: str, repo: RepoGateway) -> Any:
        """The `AppConfig` for PRs of `full_name` (`repo`: a lazy handle of it)."""
        if self._loader is not None:
            return self._plain(full_name, repo)
        from quarterdeck.sources.github.goal_listing import has_own_config, load_app_config

        now = self._clock()
        key = full_name.casefold()
        reader = None
        known = self._sources.get(key)
        if known is not None and now - known[0] >= self._ttl:
            if repo.still_current([known[2]]):
                known = self._sources[key] = (now, known[1], known[2])
            else:
                # Its own file appeared, changed or went: what was parsed for it is stale.
                for stale in ((known[1].casefold(), key), (key, key)):
                    self._configs.pop(stale, None)
                known = None
        if known is None:
            reader = repo.own_config()
            owner = full_name.split("/", 1)[0]
            source = full_name if has_own_config(reader) else f"{owner}/.github"
            known = self._sources[key] = (now, source, reader.checks[0])
        source = known[1]
        found = self._parsed(source, full_name, now, repo.still_current)
        if found is not None:
            return found
        app = load_app_config(reader or repo.own_config())
        for problem in app.warnings:
            log.warning("config warning in %s: %s", app.source, problem)
        self._configs[(app.source.casefold(), app.goals_repo.casefold())] = [now, app]
        return app

    def _parsed(
        self, source: str, full_name: str, now: float, current: Callable[[Any], bool]
    ) -> Any | None:
        """The config parsed from `source` for `full_name`, if still good; else None."""
        # An organisation-wide config is kept once for all; a shared one per repository.
        for key in ((source.casefold(),) * 2, (source.casefold(), full_name.casefold())):
            entry = self._configs.get(key)
            if entry is None:
                continue
            app = entry[1]
            if key[1] != full_name.casefold() and not app.config.repos:
                continue  # the `.github` repository's own, not organisation-wide
            if now - entry[0] < self._ttl:
                return app
            if app.checks is not None and current(app.checks):
                entry[0] = now
                return app
            del self._configs[key]
        return None

    def _plain(self, full_name: str, repo: RepoGateway) -> Any:
        from quarterdeck.sources.github.goal_listing import AppConfig

        now = self._clock()
        hit = self._cache.get(full_name.lower())
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        assert self._loader is not None
        config, warnings = self._loader(repo)
        for problem in warnings:
            log.warning("config warning in %s: %s", full_name, problem)
        app = AppConfig(config, full_name, full_name, tuple(warnings), None)
        self._cache[full_name.lower()] = (now, app)
        return app
