"""The README's picture of the product (issue 22): the demo's first review drawn as GitHub
shows the issue, by scripts/readme_image.py, and kept current by CI's check.

The generator runs for real here (the demo, then headless Chromium through
tests/browser.py); its picture is left in the test artifacts.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType

import pytest

from tests.browser import ISSUE_WIDTH, artifacts_dir, render_github
from tests.scripts import load_script

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def readme_image() -> ModuleType:
    """scripts/readme_image.py, loaded as the script CI runs."""
    return load_script("readme_image")


def _size(png: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header chunk."""
    assert png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_the_committed_picture_shows_what_the_demo_renders(readme_image: ModuleType) -> None:
    # What CI's `scripts/readme_image.py --check` holds, in the suite too: a change to
    # the review that leaves the picture behind fails here, telling what to run.
    reason = readme_image.stale_reason()
    assert reason is None, f"{reason}: run .venv/bin/python scripts/readme_image.py"
    assert readme_image.main(["--check"]) == 0
    png = readme_image.IMAGE.read_bytes()
    assert len(png) < readme_image.MAX_BYTES
    assert _size(png)[0] == ISSUE_WIDTH
    # The README shows it on its first screen: after the two commands it opens with,
    # before the second section.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r'<img src="docs/review\.png"[^>]*alt="[^"]+"', readme)
    assert shown is not None
    sections = [m.start() for m in re.finditer(r"\n## ", readme)]
    assert sections[0] < shown.start() < sections[1]
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert ".venv/bin/python scripts/readme_image.py --check" in run


def test_the_generator_draws_the_demo_review_and_signs_it(
    readme_image: ModuleType, tmp_path: Path
) -> None:
    target = artifacts_dir() / "readme-review.png"  # left for a person to look at
    size, height = readme_image.write_image(target)
    png = target.read_bytes()
    assert size == len(png) < readme_image.MAX_BYTES
    # The whole first review, at GitHub's column, folds closed: as tall as the page
    # the layout tests measure for the same Markdown.
    markdown = readme_image.demo_markdown()
    assert markdown.startswith("<!-- quarterdeck:review team=")
    assert markdown.count("\n# Growth review") == 1
    drawn = render_github(markdown)
    assert _size(png) == (ISSUE_WIDTH, int(drawn.height) + 1)
    assert height == pytest.approx(drawn.height)
    assert readme_image.text_of(png, readme_image.KEY) == readme_image.fingerprint(markdown)
    assert readme_image.stale_reason(target) is None
    # Another review (here: one more line) makes the picture stale, by its hash alone;
    # the chunk written first is the one read.
    changed = readme_image.fingerprint(markdown + "\nOne more line.\n")
    other = readme_image.with_text(png, readme_image.KEY, changed)
    assert readme_image.text_of(other, readme_image.KEY) == changed
    stale = tmp_path / "review.png"
    stale.write_bytes(other)
    assert "shows another demo review" in (readme_image.stale_reason(stale) or "")
    stale.unlink()
    assert "is missing" in (readme_image.stale_reason(stale) or "")


def test_a_task_list_is_drawn_as_github_draws_it() -> None:
    # GitHub draws `- [ ]` in an issue as a checkbox; the picture and the layout tests
    # render the decision's choices the same way.
    page = render_github("- [ ] Continue as planned\n- [x] Change course\n")
    items = [b for b in page.boxes if b.tag == "li"]
    assert [b.text for b in items] == ["Continue as planned", "Change course"]
