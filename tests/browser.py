"""Render Mermaid charts in a real browser: Debian's headless Chromium and the pinned
`mermaid` npm package (.ci/node/package.json), both installed by scripts/test.

One Chromium start renders a whole list of sources from a local page: for each, the
page runs `mermaid.parse` and `mermaid.render` and records the error, or what the
drawing holds (its diagram type, lines, bars, x labels). The page's DOM comes back
with `--dump-dom`; `--screenshot` writes a PNG in the same run.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MERMAID_JS = ROOT / ".ci" / "node" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
INSTALL_HINT = (
    "the browser tests need Debian's chromium and the pinned mermaid package: run "
    "scripts/test (or `apt-get install chromium` and `npm ci --prefix .ci/node`) and re-run"
)
# Known to work headless as root in a container; the fresh profile keeps runs apart.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    # Virtual time runs the page until it is idle (every render awaited), without a
    # fixed sleep; the budget only bounds a page that never settles.
    "--virtual-time-budget=60000",
)
TIMEOUT_SECONDS = 120
WIDTH, CHART_HEIGHT = 900, 560
_RESULTS = re.compile(r'<pre id="results"[^>]*>(.*?)</pre>', re.S)
_FENCE = re.compile(r"^```mermaid[ \t]*\n(.*?)\n```[ \t]*$", re.S | re.M)

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>charts</title>
<style>body {{ margin: 8px; font-family: sans-serif; }} .chart {{ width: 800px; }}
.error {{ color: #b91c1c; white-space: pre-wrap; }}</style>
<script src="{mermaid}"></script></head>
<body><pre id="results" hidden>pending</pre><div id="charts"></div>
<script id="sources" type="application/json">{sources}</script>
<script>
const results = document.getElementById("results");
// The vertical extent [top, bottom] of an SVG element, in the chart's pixels.
const span = el => {{
  if (!el) return null;
  const b = el.getBBox();
  return [b.y, b.y + b.height];
}};
(async () => {{
  mermaid.initialize({{startOnLoad: false, securityLevel: "strict"}});
  const sources = JSON.parse(document.getElementById("sources").textContent);
  const out = [];
  for (const [i, source] of sources.entries()) {{
    const box = document.createElement("div");
    box.className = "chart";
    document.getElementById("charts").appendChild(box);
    try {{
      await mermaid.parse(source);
      const {{svg}} = await mermaid.render("chart" + i, source);
      box.innerHTML = svg;
      const drawn = box.querySelector("svg");
      out.push({{
        error: null,
        kind: drawn ? drawn.getAttribute("aria-roledescription") : null,
        lines: box.querySelectorAll('[class^="line-plot-"] path').length,
        bars: box.querySelectorAll('[class^="bar-plot-"] rect').length,
        labels: Array.from(box.querySelectorAll(".bottom-axis .label text"), t => t.textContent),
        title: (box.querySelector(".chart-title text") || {{textContent: null}}).textContent,
        yTicks: Array.from(box.querySelectorAll(".left-axis .label text"), t => t.textContent),
        plot: span(box.querySelector(".left-axis .axisl-line path")),
        lineSpans: Array.from(box.querySelectorAll('[class^="line-plot-"] path'), span),
      }});
    }} catch (e) {{
      const message = String((e && e.message) || e);
      box.className = "chart error";
      box.textContent = "chart " + (i + 1) + ": " + message;
      out.push({{error: message, kind: null, lines: 0, bars: 0, labels: [], title: null,
                 yTicks: [], plot: null, lineSpans: []}});
    }}
  }}
  results.textContent = JSON.stringify(out);
}})().catch(e => {{ results.textContent = "harness failed: " + e; }});
</script></body></html>
"""


@dataclass(frozen=True)
class Rendered:
    """What the browser made of one Mermaid source."""

    source: str
    error: str | None  # Mermaid's parse or render error; None when it drew
    kind: str | None  # the diagram type the SVG declares, e.g. "xychart"
    lines: int
    bars: int
    labels: tuple[str, ...]  # the x-axis labels drawn
    title: str | None  # the title drawn
    y_ticks: tuple[float, ...] = ()  # the y-axis tick values drawn
    # The plot's vertical extent (the y-axis line) and each line's, [top, bottom] in
    # pixels (SVG y grows downwards).
    plot: tuple[float, float] | None = None
    line_spans: tuple[tuple[float, float], ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None and self.kind not in (None, "error")


def artifacts_dir() -> Path:
    """Where tests leave files for a person to look at: $QUARTERDECK_TEST_ARTIFACTS,
    by default tests/artifacts/ (ignored by git)."""
    return Path(os.environ.get("QUARTERDECK_TEST_ARTIFACTS") or ROOT / "tests" / "artifacts")


def mermaid_fences(markdown: str) -> list[str]:
    """The source of every ```mermaid fence in `markdown`, in order."""
    return _FENCE.findall(markdown)


def render_mermaid(sources: Sequence[str], screenshot: Path | None = None) -> list[Rendered]:
    """Render every source in one headless Chromium; `screenshot` also writes a PNG of
    the page (all the charts, and the errors of those that failed)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not MERMAID_JS.exists():
        pytest.fail(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="qd-browser-") as tmp:
        page = Path(tmp) / "charts.html"
        # `</` cannot close the JSON's script element early.
        data = json.dumps(list(sources)).replace("</", "<\\/")
        page.write_text(_PAGE.format(mermaid=MERMAID_JS.as_uri(), sources=data), encoding="utf-8")
        command = [chromium, *FLAGS, f"--user-data-dir={Path(tmp) / 'profile'}", "--dump-dom"]
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.unlink(missing_ok=True)  # an old one must not pass for this run's
            height = min(16000, 80 + CHART_HEIGHT * max(1, len(sources)))
            command += [f"--screenshot={screenshot.resolve()}", f"--window-size={WIDTH},{height}"]
        done = subprocess.run(
            [*command, page.as_uri()],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
            cwd=tmp,
        )
    found = _RESULTS.search(done.stdout)
    if done.returncode != 0 or found is None:
        raise AssertionError(
            f"chromium exited {done.returncode} without the page's results; "
            f"its stderr ends: {done.stderr[-2000:]}"
        )
    text = html.unescape(found.group(1))
    if not text.startswith("["):
        raise AssertionError(f"the chart page did not finish: {text[:500]}")
    return [
        Rendered(
            source,
            r["error"],
            r["kind"],
            r["lines"],
            r["bars"],
            tuple(r["labels"]),
            r["title"],
            tuple(float(t) for t in r["yTicks"]),
            tuple(r["plot"]) if r["plot"] else None,
            tuple((a, b) for a, b in r["lineSpans"]),
        )
        for source, r in zip(sources, json.loads(text), strict=True)
    ]
