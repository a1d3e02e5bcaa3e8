"""A review as JSON (`quarterdeck review --format json`) and that JSON's schema."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quarterdeck.core.model import PullRequest
from quarterdeck.core.text.plain import Omit, schema_of, to_plain
from quarterdeck.services.review.view import TeamReview

# The review JSON's shape; bump on a change that breaks a reader (a field renamed or
# removed), not on a field added. schema/review-output.schema.json describes it.
REVIEW_JSON_VERSION = 1
# The computed properties of TeamReview that the JSON carries beside its fields.
_REVIEW_EXTRAS: dict[str, Any] = {
    "title": {"type": "string"},
    "quarter": {"type": "string"},
    "review_number": {"type": "integer", "minimum": 1, "maximum": 3},
}
_OMIT: Omit = {TeamReview: frozenset({"templates"})}
_NO_BODIES: Omit = {**_OMIT, PullRequest: frozenset({"body"})}


def reviews_to_json(reviews: Sequence[TeamReview], *, with_bodies: bool = False) -> dict[str, Any]:
    """`{"version": 1, "reviews": [...]}`: the same facts the Markdown shows, as data.

    PR bodies (offline: whole commit messages) are long and rarely wanted by a
    machine; they are left out unless `with_bodies`.
    """
    omit = _OMIT if with_bodies else _NO_BODIES
    return {
        "version": REVIEW_JSON_VERSION,
        "reviews": [
            {"title": r.title, "quarter": r.quarter, "review_number": r.review_number}
            | to_plain(r, omit)
            for r in reviews
        ],
    }


def review_json_schema() -> dict[str, Any]:
    """The JSON Schema of `reviews_to_json`'s output, generated from the dataclasses."""
    # The view names the figures' and the questions' tables for the type checker only (a
    # review without metrics never loads them); the schema resolves them here.
    from quarterdeck.core.business.definitions import MetricDef
    from quarterdeck.core.business.figures import MetricFigure
    from quarterdeck.core.review.evidence import EvidenceTable

    names = {"MetricDef": MetricDef, "MetricFigure": MetricFigure, "EvidenceTable": EvidenceTable}
    defs: dict[str, Any] = {}
    optional: Omit = {PullRequest: frozenset({"body"})}
    schema_of(TeamReview, omit=_OMIT, optional=optional, defs=defs, names=names)
    review = defs["TeamReview"]
    review["properties"] = _REVIEW_EXTRAS | review["properties"]
    review["required"] = [*_REVIEW_EXTRAS, *review["required"]]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://github.com/quarterdeck/quarterdeck/schema/review-output.schema.json",
        "title": "Quarterdeck review output (`quarterdeck review --format json`)",
        "description": (
            "Every team's growth review of one month. `body` of a PR is present only "
            "with --with-bodies. Regenerate with "
            "`quarterdeck schema --review-output > schema/review-output.schema.json`."
        ),
        "type": "object",
        "properties": {
            "version": {"const": REVIEW_JSON_VERSION},
            "reviews": {"type": "array", "items": {"$ref": "#/$defs/TeamReview"}},
        },
        "required": ["version", "reviews"],
        "additionalProperties": False,
        "$defs": dict(sorted(defs.items())),
    }
