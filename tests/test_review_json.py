"""`review --format json`: a versioned object, described by the committed JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from quarterdeck.cli import main
from quarterdeck.core.calendar import Month
from quarterdeck.services.review.as_json import review_json_schema, reviews_to_json
from quarterdeck.services.review.offline import build_reviews
from quarterdeck.services.review.on_github import github_home_reviews
from tests.fakegithub import FakeGitHub
from tests.test_github_review import build_fake, build_git

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema" / "review-output.schema.json"


def _prs(data: object) -> list[dict]:
    """Every PR object anywhere in the JSON (each sits under a `pr` key)."""
    found: list[dict] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "pr" and isinstance(value, dict):
                found.append(value)
            found += _prs(value)
    elif isinstance(data, list):
        for value in data:
            found += _prs(value)
    return found


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    """The demo's review JSON without and with commit bodies."""
    out = tmp_path_factory.mktemp("json")
    plain, bodies = out / "plain.json", out / "bodies.json"
    assert main(["demo", "--format", "json", "-o", str(plain)]) == 0
    assert main(["demo", "--format", "json", "--with-bodies", "-o", str(bodies)]) == 0
    return json.loads(plain.read_text("utf-8")), json.loads(bodies.read_text("utf-8"))


def test_review_json_is_a_versioned_object_without_bodies(demo_json: tuple[dict, dict]) -> None:
    data, _ = demo_json
    assert set(data) == {"version", "reviews"}
    assert data["version"] == 1
    titles = [r["title"] for r in data["reviews"]]
    assert titles[0] == "Growth review: product-analytics — November 2026"
    prs = _prs(data)
    assert prs, "the demo has PRs"
    assert all("body" not in pr for pr in prs)
    assert all({"number", "title", "author", "merged_at"} <= set(pr) for pr in prs)


def test_with_bodies_keeps_the_commit_bodies(demo_json: tuple[dict, dict]) -> None:
    plain, bodies = demo_json
    prs = _prs(bodies)
    assert all(isinstance(pr["body"], str) for pr in prs)
    assert any(pr["body"].startswith("Merge pull request #") for pr in prs)
    # Bodies are the only difference.
    for pr in prs:
        del pr["body"]
    assert bodies == plain


def test_real_output_validates_against_the_committed_schema(demo_json: tuple[dict, dict]) -> None:
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    for data in demo_json:
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
    # The schema is strict enough to catch a wrong shape.
    broken = json.loads(json.dumps(demo_json[0]))
    broken["reviews"][0]["summary"]["shipped"] = "six"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft202012Validator)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken["reviews"], schema, cls=jsonschema.Draft202012Validator)


def test_the_committed_review_schema_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--review-output"]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == review_json_schema()
    assert printed == SCHEMA_FILE.read_text("utf-8"), (
        "schema/review-output.schema.json is stale: run "
        "`quarterdeck schema --review-output > schema/review-output.schema.json`"
    )


def test_both_modes_output_validates_and_includes_the_unowned_review(
    github: FakeGitHub, tmp_path: Path
) -> None:
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    repo = build_git(tmp_path / "web")
    build_fake(github)
    offline = reviews_to_json(build_reviews(repo.path, Month(2026, 11)))
    online = reviews_to_json(
        github_home_reviews(github.gateway(), "acme/web", Month(2026, 11)).reviews, with_bodies=True
    )
    for data in (offline, online):
        jsonschema.validate(data, schema, cls=jsonschema.Draft202012Validator)
        assert any(r["team"] is None for r in data["reviews"])  # work no team owns
    assert any(pr["created_at"] for pr in _prs(online))  # GitHub fills what git cannot
