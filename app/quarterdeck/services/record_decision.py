"""Record the lead's decision on a review issue: the one path the App and publish share.

`record_decision` reads the boxes and Quarterdeck's own record from the body, asks
`core.review.decisions.judge` what the edit means, and writes only what changed: the
decision section (one line), the `decision:*` label (the other one removed), and the
one note comment (found by its marker, updated in place). Run twice on the same
body, it writes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from quarterdeck.core.review.decisions import (
    DECISION_LABELS,
    DECISION_SECTION,
    Verdict,
    judge,
    note_marker,
    read_boxes,
    read_record,
    record_content,
)
from quarterdeck.core.text.markers import sections, upsert_section
from quarterdeck.sources.github.gateway import CommentGateway, IssueGateway, RepoGateway, doing
from quarterdeck.sources.github.writes import Writer

__all__ = ["DECISION_COLORS", "Recorded", "record_decision"]

log = logging.getLogger(__name__)
# What the decision section says when a person's copy of it was taken back.
NOT_RECORDED = "_No decision is recorded yet._\n"

DECISION_COLORS = {
    "decision:continue": ("0e8a16", "The lead decided to continue as planned"),
    "decision:change-course": ("d93f0b", "The lead decided to change course"),
}


@dataclass(frozen=True)
class Recorded:
    """What recording did to one review issue."""

    verdict: Verdict
    body: str  # the body as it is now
    written: tuple[str, ...]  # each write, in words ("labelled #3 decision:continue")


def record_decision(
    repo: RepoGateway,
    issue: IssueGateway,
    *,
    team: str,
    lead: str | None,
    editor: str | None,
    at: datetime,
    body: str | None = None,
    saved: str | None = None,
    before: str | None = None,
    comments: Callable[[IssueGateway, str], CommentGateway | None] | None = None,
    writer: Writer,
    dry_run: bool = False,
) -> Recorded:
    """Judge the decision boxes of review `issue` as edited by `editor` at `at`; write
    what changed (nothing with `dry_run`).

    `body` is the issue's body as read under its lock (default: `issue.body`); the
    boxes are read from `saved`, the body as `editor` saved it (default: `body`), and
    the record from `before`, the body before their edit (default: `body`): an edit
    that altered Quarterdeck's own record is not believed, the record is put back.
    `comments(issue, marker)`, if given, finds an earlier note (else the comments are
    listed only when a note may need writing).
    """
    text = (issue.body if body is None else body) or ""
    recorded = read_record(text if before is None else before)
    boxes = read_boxes(text if saved is None else saved)
    verdict = judge(boxes, recorded, editor, lead, at, team)
    written: list[str] = []
    if dry_run:
        return Recorded(verdict, text, ())
    number = issue.number
    with doing(f"recording the decision on review issue #{number}"):
        wanted = _section_text(text, verdict)
        if wanted is not None:
            text = upsert_section(text, DECISION_SECTION, wanted)
            issue.edit(body=text)
            what = verdict.summary if verdict.changed else "put back as recorded"
            written.append(f"recorded the decision on #{number} ({what})")
        written += _labels(repo, issue, verdict.label)
        written += _note(issue, verdict, comments, writer)
    return Recorded(verdict, text, tuple(written))


def _section_text(text: str, verdict: Verdict) -> str | None:
    """The decision section's new content, or None when it already says the right thing."""
    current = sections(text).get(DECISION_SECTION)
    if verdict.record is None:
        # No decision: a section that claims one (a person's copy) is taken back.
        return NOT_RECORDED if current is not None and read_record(text) is not None else None
    wanted = record_content(verdict.record)
    return None if current == wanted else wanted


def _labels(repo: RepoGateway, issue: IssueGateway, wanted: str | None) -> list[str]:
    """Put `wanted` on the issue and take the other decision label off."""
    have = {name.lower(): name for name in issue.label_names}
    done: list[str] = []
    for name in DECISION_LABELS.values():
        if name != wanted and name in have:
            issue.remove_label(have[name])
            done.append(f"removed {name} from #{issue.number}")
    if wanted is not None and wanted not in have:
        color, description = DECISION_COLORS[wanted]
        if repo.create_label(wanted, color, description):
            done.append(f"created label {wanted}")
        issue.add_label(wanted)
        done.append(f"labelled #{issue.number} {wanted}")
    return done


def _note(
    issue: IssueGateway,
    verdict: Verdict,
    comments: Callable[[IssueGateway, str], CommentGateway | None] | None,
    writer: Writer,
) -> list[str]:
    """Keep the one note comment current: written when needed, settled when resolved."""
    if verdict.note is None and verdict.settles is None:
        return []
    tag = note_marker(issue.number)
    existing = comments(issue, tag) if comments is not None else issue.find_comment(tag, writer)
    text = verdict.note if verdict.note is not None else verdict.settles
    if verdict.note is None and existing is None:
        return []  # resolved, and nobody was ever told otherwise: nothing to say
    _, outcome = issue.write_comment(existing, tag, f"{tag}\n{text}\n", writer=writer)
    return [] if outcome == "unchanged" else [f"{outcome} the decision note on #{issue.number}"]
