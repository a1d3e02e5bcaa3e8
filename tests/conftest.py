"""Shared fixtures. The one fake GitHub lives here (see tests/fakegithub.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from tests.fakegithub import FakeGitHub


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """An in-memory GitHub; any request to another host fails the test (no network)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGitHub(mock)
