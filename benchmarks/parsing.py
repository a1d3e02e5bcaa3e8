"""Benchmark: parsing hostile PR bodies and commit messages, beside the old regexes.

    python -m benchmarks.parsing            # 64 KB inputs (GitHub's PR body limit)
    python -m benchmarks.parsing --quick    # 16 KB, for CI

Ours: `parse_references` (HTML comments and code spans by forward scans), the section
markers (paired in one pass) and `co_author_trailers`. Baseline, in the same run on
the same text: the regexes they replaced (issue 14, item 9), in tests/old_parsers.py. Target:
each 64 KB input under 50 ms (linear); the baseline is quadratic or worse, so the
co-author baseline runs on a 1 KB input only, which alone takes it a tenth of a second.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tests.old_parsers import OLD_CO_AUTHOR, OLD_HTML_COMMENT, OLD_SECTION

from benchmarks import suite_main
from quarterdeck.core.review.linking import parse_references
from quarterdeck.core.review.pr_messages import co_author_trailers
from quarterdeck.core.text.markers import sections

FULL, QUICK = 65_536, 16_384
TARGET_S = 0.05


def _seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(quick: bool) -> list[dict[str, object]]:
    """Rows for `python -m benchmarks`: ours and the old regex, on the same input."""
    size = QUICK if quick else FULL
    comments = "<!--" * (size // 4)
    markers = "".join(f"<!-- quarterdeck:section s{i} -->" for i in range(size // 32))
    trailer = "Co-authored-by:" + " " * 1_000 + "x"
    cases = [
        (f"PR body of {size:,} chars of `<!--`, references", comments,
         lambda: parse_references(comments), lambda: OLD_HTML_COMMENT.sub(" ", comments)),
        (f"{size // 32:,} unclosed section markers, sections", markers,
         lambda: sections(markers), lambda: list(OLD_SECTION.finditer(markers))),
        ("Co-authored-by: and 1,000 spaces, trailers", trailer,
         lambda: co_author_trailers(trailer), lambda: list(OLD_CO_AUTHOR.finditer(trailer))),
    ]  # fmt: skip
    rows: list[dict[str, object]] = []
    for name, _text, ours, old in cases:
        ours_s = min(_seconds(ours) for _ in range(3))
        old_s = _seconds(old)  # once: it is the slow one
        print(f"{name}: {ours_s:.4f} s, old regex {old_s:.3f} s", flush=True)
        rows.append(
            {
                "name": f"{name}, vs the old regex",
                "ours_s": round(ours_s, 4),
                "baseline_s": round(old_s, 4),
                "ratio": round(ours_s / old_s, 5),
                "target": f"< {TARGET_S * 1000:g} ms",
                "met": ours_s < TARGET_S,
            }
        )
    return rows


if __name__ == "__main__":
    sys.exit(suite_main("python -m benchmarks.parsing", __doc__, f"{QUICK:,} chars, for CI", run))
