#!/usr/bin/env python3
"""Render the demo's first review as GitHub shows the issue, into docs/review.png (the
picture near the top of README.md), or check that the picture is current.

    .venv/bin/python scripts/readme_image.py           # write docs/review.png
    .venv/bin/python scripts/readme_image.py --check   # exit 1 when it is stale

The review is `quarterdeck demo`'s Markdown for its first team (the demo pins its month
and its data, so the Markdown does not change from one day to the next), drawn by the
one renderer the layout tests use (tests/browser.py `render_github`: GitHub's 1,012-pixel
issue column, its Markdown, the pinned Mermaid in headless Chromium, folds closed).

The PNG carries, in a text chunk, a hash of what it shows: the Markdown, the page and
style it was drawn with and the pinned Mermaid. `--check` recomputes that hash without a
browser, so CI notices a stale picture without comparing pixels.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE = ROOT / "docs" / "review.png"
KEY = b"quarterdeck-review-sha256"
MAX_BYTES = 400_000  # the README's picture stays light
_SIGNATURE = b"\x89PNG\r\n\x1a\n"
sys.path.insert(0, str(ROOT))  # tests.browser: the one renderer


def demo_markdown() -> str:
    """The Markdown of the demo's first review, as `quarterdeck demo` prints it."""
    from quarterdeck.services.demo import DEMO_MONTH, build_demo_repo
    from quarterdeck.services.review.as_markdown import render_reviews
    from quarterdeck.services.review.offline import build_reviews

    with tempfile.TemporaryDirectory(prefix="quarterdeck-readme-") as tmp:
        demo = build_demo_repo(Path(tmp) / "sample-repo")
        reviews = build_reviews(demo.path, DEMO_MONTH, figure_sources=demo.figure_sources())
    return render_reviews(reviews[:1])


def fingerprint(markdown: str) -> str:
    """The hash of what the picture shows: the Markdown and how it is drawn."""
    from tests import browser

    digest = hashlib.sha256()
    package = browser.ROOT / ".ci" / "node" / "package.json"
    for part in (markdown, browser._GITHUB_CSS, browser._GITHUB_PAGE, package.read_text()):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")


def with_text(png: bytes, key: bytes, value: str) -> bytes:
    """`png` with a tEXt chunk `key`=`value` right after its header chunk (IHDR)."""
    if not png.startswith(_SIGNATURE):
        raise ValueError("not a PNG: its signature is missing")
    end_of_header = len(_SIGNATURE) + 8 + int.from_bytes(png[8:12], "big") + 4
    return (
        png[:end_of_header]
        + _chunk(b"tEXt", key + b"\0" + value.encode("latin-1"))
        + png[end_of_header:]
    )


def text_of(png: bytes, key: bytes) -> str | None:
    """The value of the tEXt chunk `key` in `png`, None when there is none."""
    at = len(_SIGNATURE)
    while at + 8 <= len(png):
        size = int.from_bytes(png[at : at + 4], "big")
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + size]
        if kind == b"tEXt" and data.startswith(key + b"\0"):
            return data[len(key) + 1 :].decode("latin-1")
        at += 12 + size
    return None


def write_image(target: Path = IMAGE) -> tuple[int, float]:
    """Draw the demo's first review into `target`; returns its size in bytes and the
    page's height in pixels."""
    from tests.browser import render_github

    markdown = demo_markdown()
    with tempfile.TemporaryDirectory(prefix="quarterdeck-readme-") as tmp:
        shot = Path(tmp) / "review.png"
        page = render_github(markdown, shot)
        png = with_text(shot.read_bytes(), KEY, fingerprint(markdown))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(png)
    return len(png), page.height


def stale_reason(target: Path = IMAGE) -> str | None:
    """Why `target` does not show today's demo review, or None when it does."""
    name = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
    shown = text_of(target.read_bytes(), KEY) if target.exists() else None
    if shown is None:
        return f"{name} is missing or carries no {KEY.decode()}"
    if shown != fingerprint(demo_markdown()):
        return f"{name} shows another demo review than the code renders"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the image is stale")
    args = parser.parse_args(argv)
    if args.check:
        reason = stale_reason()
        if reason:
            print(f"readme_image: {reason}; run scripts/readme_image.py", file=sys.stderr)
            return 1
        print(f"readme_image: {IMAGE.relative_to(ROOT)} is current", file=sys.stderr)
        return 0
    try:
        size, height = write_image()
    except BaseException as exc:  # pytest.fail's exception when Chromium is missing
        if type(exc).__name__ != "Failed":
            raise
        print(f"readme_image: {exc}", file=sys.stderr)
        return 1
    print(
        f"readme_image: wrote {IMAGE.relative_to(ROOT)} ({size:,} bytes, {height:,.0f} px tall)",
        file=sys.stderr,
    )
    if size > MAX_BYTES:
        print(f"readme_image: the image is over {MAX_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
