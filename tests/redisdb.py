"""The real Redis the App's queue tests use: one URL, and the `redis_db` fixture's body
(tests/conftest.py), so each test starts from an empty database and says clearly when
there is no Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

# scripts/test starts Redis on 6390 and exports this; database 15 is the suite's own.
REDIS_URL = os.environ.get("QUARTERDECK_TEST_REDIS_URL", "redis://127.0.0.1:6390/15")


def empty_redis() -> Iterator[redis.Redis]:
    """A client of `REDIS_URL`'s database, flushed before and after the test."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable at {REDIS_URL} ({exc}). These tests need a real Redis: "
            "run scripts/test, or start one with `redis-server --port 6390 --daemonize yes` "
            "and set QUARTERDECK_TEST_REDIS_URL."
        )
    client.flushdb()
    yield client
    client.flushdb()
