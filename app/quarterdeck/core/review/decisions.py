"""The lead's decision on a review issue: read from the boxes, judged, recorded. Pure.

The review issue ends with two checkboxes a person ticks ("Continue as planned",
"Change course …") and a "Notes:" line. That part of the body is the person's: it is
only read. What Quarterdeck concludes from it lives in a section of its own
(`<!-- quarterdeck:section decision -->`, one line plus a hidden `decision` marker),
which a re-published review keeps (the template never renders it, so `merge` leaves
it as it is) and the next month's review reads back.

Who ticked is the author of the edit that saved the boxes: the webhook's `sender`
for the App, the newest edit by a person (GitHub's edit history) for the Action.
Only the team's lead decides (`judge`); anyone else's tick gets one note saying the
lead's tick is awaited, and the recorded decision stays as it was.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from quarterdeck.core.text.markdown import code_span, escape_inline
from quarterdeck.core.text.markers import marker, read_marker, section_spans, sections
from quarterdeck.core.vocabulary import is_login

__all__ = [
    "CHANGE_COURSE",
    "CONTINUE",
    "DECISION_LABELS",
    "DECISION_SECTION",
    "Boxes",
    "Record",
    "Verdict",
    "judge",
    "label_of",
    "note_marker",
    "read_boxes",
    "read_record",
    "record_content",
]

Choice = Literal["continue", "change-course"]
Ticked = Literal["continue", "change-course", "both", "none"]
CONTINUE: Choice = "continue"
CHANGE_COURSE: Choice = "change-course"
DECISION_LABELS: dict[str, str] = {
    CONTINUE: "decision:continue",
    CHANGE_COURSE: "decision:change-course",
}
WORDS: dict[str, str] = {CONTINUE: "continue as planned", CHANGE_COURSE: "change course"}
DECISION_SECTION = "decision"
NOTES_LIMIT = 500  # characters of the notes kept in the record line

# `- [ ] Continue as planned`, `* [x] Change course (…)`: GitHub ticks with `x` or `X`.
_BOX = re.compile(
    r"^[ \t]{0,3}[-*+][ \t]+\[(?P<mark>[ xX])\][ \t]+(?P<what>continue|change course)\b",
    re.IGNORECASE | re.MULTILINE,
)
_NOTES = re.compile(r"^[ \t]{0,3}(?:\*\*)?notes:(?:\*\*)?[ \t]*", re.IGNORECASE | re.MULTILINE)
_DECISION_HEADING = re.compile(r"^#{1,6}[ \t]+Decision[ \t]*$", re.IGNORECASE | re.MULTILINE)
_NEXT_HEADING = re.compile(r"^#{1,6}[ \t]", re.MULTILINE)


@dataclass(frozen=True)
class Boxes:
    """What the decision part of a review body says, as typed."""

    ticked: Ticked
    notes: str  # the text after "Notes:", stripped ("" when none)
    found: bool = True  # False: the body has no decision boxes at all

    @property
    def choice(self) -> Choice | None:
        """The one box ticked, or None (none or both)."""
        return self.ticked if self.ticked in (CONTINUE, CHANGE_COURSE) else None


@dataclass(frozen=True)
class Record:
    """The decision as Quarterdeck recorded it on the issue."""

    choice: Choice | None  # None: the lead unticked an earlier decision
    by: str  # the lead's login
    at: datetime  # when the edit that decided was made
    # As the lead typed them (at most NOTES_LIMIT characters), "" when none: plain text,
    # escaped wherever it is shown, never trusted as Markdown.
    notes: str

    @property
    def words(self) -> str:
        return WORDS[self.choice] if self.choice else "no decision"

    @property
    def label(self) -> str | None:
        return label_of(self.choice)

    def same(self, other: Record | None) -> bool:
        """The same decision, by the same person, with the same notes (whenever made)."""
        return other is not None and (self.choice, self.by.casefold(), self.notes) == (
            other.choice,
            other.by.casefold(),
            other.notes,
        )


@dataclass(frozen=True)
class Verdict:
    """What the issue should carry after an edit, and what to tell people."""

    record: Record | None  # the record the issue carries now (maybe the old one)
    changed: bool  # the record differs from the one found: rewrite the section
    note: str | None  # the one note comment's text when one is needed; None: none needed
    # When no note is needed but one was left earlier: what it should say now.
    settles: str | None
    summary: str  # what happened, for the log and the publish notes

    @property
    def label(self) -> str | None:
        """The decision label the issue should carry; None: neither."""
        return self.record.label if self.record else None


def label_of(choice: str | None) -> str | None:
    """`decision:continue` / `decision:change-course` for a choice; None for none."""
    return DECISION_LABELS.get(choice or "")


def note_marker(number: int) -> str:
    """The hidden marker of the one decision note on review issue `number`."""
    return marker("decision-note", issue=number)


def _persons_text(body: str) -> str:
    """`body` with every bot-owned section blanked: only what a person may write."""
    parts: list[str] = []
    at = 0
    for _name, start, end in section_spans(body):
        parts.append(body[at:start])
        at = end
    parts.append(body[at:])
    return "".join(parts)


def read_boxes(body: str | None) -> Boxes:
    """Which decision box is ticked in a review body, and the notes under them.

    Read from the text after the `## Decision` heading (the whole person-owned text
    when a repo's template has none), never from a bot-owned section: a quoted box
    in the shipped list is not a decision.
    """
    text = _persons_text(body or "")
    # The last heading: a person may quote the heading higher up.
    heading = next(reversed(list(_DECISION_HEADING.finditer(text))), None)
    if heading is not None:
        text = text[heading.end() :]
        following = _NEXT_HEADING.search(text)
        text = text[: following.start()] if following else text
    ticks = {CONTINUE: False, CHANGE_COURSE: False}
    found = False
    for box in _BOX.finditer(text):
        found = True
        what = CONTINUE if box["what"].lower() == "continue" else CHANGE_COURSE
        ticks[what] = ticks[what] or box["mark"] != " "
    ticked: Ticked = (
        "both"
        if all(ticks.values())
        else CONTINUE
        if ticks[CONTINUE]
        else CHANGE_COURSE
        if ticks[CHANGE_COURSE]
        else "none"
    )
    notes_at = _NOTES.search(text)
    notes = text[notes_at.end() :] if notes_at else ""
    notes = re.sub(r"<!--.*?-->", "", notes, flags=re.DOTALL).strip()
    return Boxes(ticked, notes, found)


def read_record(body: str | None) -> Record | None:
    """The decision Quarterdeck recorded in its own section of `body`, if any.

    Trust it only in an issue Quarterdeck wrote (`sources.github.writes.marked_by_us`):
    the App also puts back a section a person altered (see `handlers.review_decision`).
    """
    content = sections(body or "").get(DECISION_SECTION)
    attrs = read_marker(content, "decision") if content is not None else None
    if not attrs or not is_login(attrs.get("by", "")) or "at" not in attrs:
        return None
    try:
        at = datetime.fromisoformat(attrs["at"].replace("Z", "+00:00"))
    except ValueError:
        return None
    choice = attrs.get("choice")
    return Record(
        choice if choice in (CONTINUE, CHANGE_COURSE) else None,
        attrs["by"],
        at,
        _clip(_decode(attrs.get("notes", ""))),
    )


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= NOTES_LIMIT else text[: NOTES_LIMIT - 1].rstrip() + "…"


def _encode(text: str) -> str:
    # A marker holds only [A-Za-z0-9._:/#-]: the notes ride in it as base32, so the
    # next review reads back exactly what the lead typed, and escapes it itself.
    return base64.b32encode(text.encode()).decode().rstrip("=")


def _decode(text: str) -> str:
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
        return raw.decode("utf-8", "replace")
    except (ValueError, binascii.Error):
        return ""


def record_content(record: Record) -> str:
    """The decision section's content: the hidden marker and one line a person reads."""
    when = record.at.strftime("%Y-%m-%dT%H:%M:%SZ")
    attrs = {"choice": record.choice or "none", "by": record.by, "at": when}
    if record.notes:
        attrs["notes"] = _encode(record.notes)
    tag = marker("decision", **attrs)
    day = record.at.strftime("%Y-%m-%d")
    who = code_span(record.by)
    if record.choice is None:
        line = f"**Decision**: none recorded; {who} unticked the decision on {day}."
    else:
        line = f"**Decision**: {WORDS[record.choice]}, decided by {who} on {day}."
    notes = f" Notes: {escape_inline(record.notes, max_length=None)}" if record.notes else ""
    return f"{tag}\n{line}{notes}\n"


def judge(
    boxes: Boxes,
    recorded: Record | None,
    editor: str | None,
    lead: str | None,
    at: datetime,
    team: str,
) -> Verdict:
    """What an edit by `editor` (None: unknown) at `at` means for the issue.

    Only `lead` decides: their single tick is recorded (with their notes), their
    unticking withdraws the decision. Anyone else's different tick, and two boxes
    ticked, leave the recorded decision as it is and get a note.
    """
    current = recorded.choice if recorded else None
    stands = (
        f" The recorded decision stays: {recorded.words}."
        if recorded and recorded.choice
        else " Nothing is recorded yet."
    )
    if lead is None:
        if boxes.ticked == "none" and current is None:
            return Verdict(recorded, False, None, None, "no decision ticked")
        note = (
            f"Team `{team}` has no lead in the config, so no decision can be recorded: set "
            f"`teams.{team}.lead` in `.github/quarterdeck.yml` to the engineer who decides."
        )
        return Verdict(recorded, False, note, None, f"team {team} has no lead")
    is_lead = editor is not None and editor.casefold() == lead.casefold()
    lead_name = code_span(lead)
    who = code_span(editor) if editor else "Someone"
    if boxes.ticked == "both":
        ask = "Both boxes are ticked: keep one, " + (
            "and it is recorded." if is_lead else f"ticked by {lead_name}, the lead."
        )
        return Verdict(recorded, False, ask + stands, None, "both boxes ticked")
    if boxes.ticked == "none":
        if current is None:
            return Verdict(recorded, False, None, None, "no decision ticked")
        if not is_lead:
            note = (
                f"{who} unticked the decision; only {lead_name}, the team's lead, decides, "
                f"so {lead_name}'s tick is awaited.{stands}"
            )
            return Verdict(recorded, False, note, None, "untick by someone other than the lead")
        withdrawn = Record(None, lead, at, "")
        label = label_of(current)
        note = (
            f"{lead_name} unticked the decision, so the `{label}` label is removed. Tick one "
            "box to decide again."
        )
        return Verdict(withdrawn, True, note, None, "decision withdrawn")
    choice = boxes.choice
    assert choice is not None
    if not is_lead:
        if choice == current:
            return Verdict(recorded, False, None, None, "unchanged")
        note = (
            f"{who} ticked “{WORDS[choice]}”; only {lead_name}, the team's lead, decides, "
            f"so {lead_name}'s tick is awaited.{stands}"
        )
        return Verdict(recorded, False, note, None, "tick by someone other than the lead")
    fresh = Record(choice, lead, at, _clip(boxes.notes))
    if fresh.same(recorded):
        return Verdict(recorded, False, None, _settled(recorded), "unchanged")
    return Verdict(fresh, True, None, _settled(fresh), f"recorded: {WORDS[choice]}")


def _settled(record: Record | None) -> str | None:
    """What an earlier note says once the lead's decision is recorded."""
    if record is None or record.choice is None:
        return None
    day = record.at.strftime("%Y-%m-%d")
    return (
        f"Recorded: {WORDS[record.choice]}, decided by {code_span(record.by)} on {day}. "
        "Nothing is awaited."
    )
