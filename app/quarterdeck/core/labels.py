"""The colours of the labels Quarterdeck creates: one palette, whoever creates them.

The CLI's `goals sync` and `--publish` and the App's install all make labels; the
same kind of label gets the same colour from each.
"""

from __future__ import annotations

GOAL_COLOR = "0e8a16"  # green: `goal`
QUARTER_COLOR = "1d76db"  # blue: `quarter:YYYY-Qn`
TEAM_COLOR = "5319e7"  # purple: `team:<slug>`
REVIEW_COLOR = "fbca04"  # yellow: `growth-review`
