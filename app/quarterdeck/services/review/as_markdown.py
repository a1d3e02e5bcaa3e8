"""A review as Markdown: the template, rendered in a limited child for a repo's own."""

from __future__ import annotations

from collections.abc import Sequence

from quarterdeck.services.review.view import TeamReview
from quarterdeck.services.templates import render_template

REVIEW_TEMPLATE = "review.md.j2"


def render_review(review: TeamReview, *, standalone: bool = True) -> str:
    """The review's Markdown; `standalone` adds the title as a heading (not for issues)."""
    # A repo's own templates render in a limited child process (services.templates).
    return render_template(review.templates, REVIEW_TEMPLATE, review=review, standalone=standalone)


def render_reviews(reviews: Sequence[TeamReview]) -> str:
    """Several reviews in one Markdown document, separated by rules."""
    if not reviews:
        return "_No teams to review: add teams to `.github/quarterdeck.yml`._\n"
    return "\n---\n\n".join(render_review(r) for r in reviews)
