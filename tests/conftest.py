"""Shared fixtures. The one fake GitHub lives here (see tests/fakegithub.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import responses
from hypothesis import HealthCheck, settings

from tests.fakegithub import FakeGitHub
from tests.fakegithub_http import HttpFront
from tests.redisdb import empty_redis

# Property tests are reproducible in CI: the same examples every run, no example
# database on disk. Each test still sets its own bounded `max_examples`.
# `HYPOTHESIS_PROFILE=explore` draws fresh random examples when hunting for bugs.
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("explore", deadline=None, max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def _cache_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The run's compiled-template cache (under XDG_CACHE_HOME) in a temp dir: the suite
    never writes the user's ~/.cache, and its tests still share one cache as runs do."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(autouse=True)
def _state_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's App state (the default QUARTERDECK_STATE_DIR, under XDG_STATE_HOME)
    in a temp dir of its own: no test writes the user's ~/.local/state, and no two
    tests share a delivery journal; processes a test starts inherit it."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))
    monkeypatch.delenv("QUARTERDECK_STATE_DIR", raising=False)


@pytest.fixture
def redis_db() -> Iterator[Any]:
    """The real test Redis (tests/redisdb.py), its database empty before and after."""
    yield from empty_redis()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """An in-memory GitHub; any request to another host fails the test (no network)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGitHub(mock)


@pytest.fixture
def front(github: FakeGitHub) -> Iterator[str]:
    """The fake served over real HTTP on 127.0.0.1: a dropped connection is a real one,
    seen by urllib3 and so by the production retry policy; yields its API URL."""
    served = HttpFront(github)
    github.mock.add_passthru(served.url)
    try:
        yield served.url
    finally:
        served.close()


@pytest.fixture
def http_front(github: FakeGitHub) -> Iterator[HttpFront]:
    """The fake served over real HTTP on 127.0.0.1, for processes a test starts
    (`quarterdeck serve`, `worker`) to reach with `GITHUB_API_URL`."""
    served = HttpFront(github)
    yield served
    served.close()
