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


# --- A review as GitHub shows an issue --------------------------------------------------
# GitHub's issue column is 1,012 pixels wide; its Markdown is CommonMark plus tables and
# strikethrough with raw HTML sanitised; an `id` a person writes becomes
# `user-content-<id>` (so links to it say `#user-content-<id>`), and ```mermaid fences
# are drawn by the pinned Mermaid. The style below is the part of GitHub's
# markdown-body stylesheet that sets heights: font, line height, margins, table padding.
ISSUE_WIDTH = 1012
_ID = re.compile(r'(<a id=")([a-z0-9-]+)(")')
# A list item that opens with `[ ]` or `[x]` is a task: GitHub draws its checkbox.
_TASK = re.compile(r"<li>\[([ xX])\] ")
_GITHUB_CSS = """
body { margin: 0; background: #fff; }
.markdown-body { box-sizing: border-box; width: %dpx; padding: 16px;
  font: 14px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  color: #1f2328; word-wrap: break-word; }
.markdown-body > *:first-child { margin-top: 0 !important; }
.markdown-body p, .markdown-body ul, .markdown-body ol, .markdown-body table,
.markdown-body blockquote, .markdown-body pre, .markdown-body details,
.markdown-body .mermaid-box { margin: 0 0 16px; }
.markdown-body h1, .markdown-body h2, .markdown-body h3 { margin: 24px 0 16px;
  font-weight: 600; line-height: 1.25; }
.markdown-body h1 { font-size: 2em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; }
.markdown-body h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0; }
.markdown-body h3 { font-size: 1.25em; }
.markdown-body ul, .markdown-body ol { padding-left: 2em; }
.markdown-body li + li { margin-top: .25em; }
.markdown-body table { display: block; width: max-content; max-width: 100%%;
  overflow: auto; border-collapse: collapse; }
.markdown-body td, .markdown-body th { padding: 6px 13px; border: 1px solid #d1d9e0; }
.markdown-body code { font-size: 85%%; padding: .2em .4em; background: #eff1f3; }
.markdown-body blockquote { padding: 0 1em; border-left: .25em solid #d1d9e0; }
.markdown-body summary { cursor: pointer; }
.markdown-body .task-list-item { list-style-type: none; }
.markdown-body .task-list-item input { margin: 0 .2em .25em -1.4em; vertical-align: middle; }
"""
_GITHUB_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>review</title><style>{css}</style>
<script src="{mermaid}"></script></head>
<body><article class="markdown-body">{body}</article>
<pre id="layout" hidden>pending</pre>
<script>
const layout = document.getElementById("layout");
(async () => {{
  mermaid.initialize({{startOnLoad: false, securityLevel: "strict"}});
  if ({open_details}) document.querySelectorAll("details").forEach(d => {{ d.open = true; }});
  // GitHub's own heading anchors: the slug of the heading's text, user-content- first.
  for (const h of document.querySelectorAll(".markdown-body :is(h1, h2, h3, h4, h5, h6)")) {{
    const slug = h.textContent.trim().toLowerCase().replace(/[^\\p{{L}}\\p{{N}}\\- _]/gu, "");
    h.id = "user-content-" + slug.replace(/ /g, "-");
  }}
  let i = 0;
  for (const box of document.querySelectorAll(".mermaid-box")) {{
    const {{svg}} = await mermaid.render("review-chart" + i++, box.textContent);
    box.innerHTML = svg;
  }}
  const at = el => {{
    const r = el.getBoundingClientRect();
    return {{top: r.top + window.scrollY, bottom: r.bottom + window.scrollY,
             shown: el.getClientRects().length > 0}};
  }};
  const article = document.querySelector(".markdown-body");
  const elements = Array.from(
    article.querySelectorAll("h1, h2, h3, p, li, summary, table, .mermaid-box, [id]"),
    el => ({{tag: el.tagName.toLowerCase(), id: el.id || null,
             text: el.textContent.trim().slice(0, 200),
             links: Array.from(el.querySelectorAll("a[href^='#']"), a => a.getAttribute("href")),
             folded: el.closest("details") !== null && el.tagName !== "SUMMARY",
             ...at(el)}}));
  layout.textContent = JSON.stringify({{height: at(article).bottom, elements}});
}})().catch(e => {{ layout.textContent = "harness failed: " + e; }});
</script></body></html>
"""
_LAYOUT = re.compile(r'<pre id="layout"[^>]*>(.*?)</pre>', re.S)


@dataclass(frozen=True)
class Box:
    """One element of a rendered page: where it sits (pixels from the top) and what it says."""

    tag: str
    id: str | None
    text: str
    links: tuple[str, ...]  # the in-page links (`#…`) it holds
    top: float
    bottom: float
    shown: bool  # False inside a closed <details>
    folded: bool  # inside a <details> (its <summary> line is not)


@dataclass(frozen=True)
class Page:
    """A review rendered as GitHub shows an issue."""

    height: float
    boxes: tuple[Box, ...]

    def find(self, tag: str, text: str) -> Box:
        """The first `tag` element whose text starts with `text`."""
        for box in self.boxes:
            if box.tag == tag and box.text.startswith(text):
                return box
        raise AssertionError(f"no <{tag}> starting {text!r} in the rendered review")

    def target(self, href: str) -> Box:
        """The element an in-page link `#user-content-…` scrolls to."""
        wanted = href.removeprefix("#")
        for box in self.boxes:
            if box.id == wanted:
                return box
        raise AssertionError(f"the link {href!r} points at no element of the rendered review")


def github_html(markdown: str) -> str:
    """`markdown` as GitHub turns an issue body into HTML, for the parts that set a
    page's layout: GFM tables, raw <details>, `<a id>` prefixed with user-content-,
    and ```mermaid fences as boxes the page's Mermaid draws."""
    from markdown_it import MarkdownIt  # the test extra; only the browser tests need it

    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    default_fence = parser.renderer.rules.get("fence")

    def fence(renderer, tokens, idx, options, env):  # type: ignore[no-untyped-def]
        token = tokens[idx]
        if token.info.strip() == "mermaid":
            return f'<div class="mermaid-box">{html.escape(token.content)}</div>\n'
        return default_fence(tokens, idx, options, env)  # type: ignore[misc]

    parser.add_render_rule("fence", fence)
    page = _ID.sub(r"\1user-content-\2\3", parser.render(markdown))
    return _TASK.sub(
        lambda m: (
            '<li class="task-list-item"><input type="checkbox" disabled'
            + (" checked" if m[1] != " " else "")
            + "> "
        ),
        page,
    )


def render_github(
    markdown: str, screenshot: Path | None = None, *, open_details: bool = False
) -> Page:
    """Render `markdown` as GitHub shows an issue, in headless Chromium, with every
    <details> closed (as a reader first sees it) or, with `open_details`, every one
    opened; `screenshot` also writes a PNG of the whole page."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None or not MERMAID_JS.exists():
        pytest.fail(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="qd-github-") as tmp:
        page = Path(tmp) / "review.html"
        page.write_text(
            _GITHUB_PAGE.format(
                css=_GITHUB_CSS % ISSUE_WIDTH,
                mermaid=MERMAID_JS.as_uri(),
                body=github_html(markdown),
                open_details="true" if open_details else "false",
            ),
            encoding="utf-8",
        )

        def run(*extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [
                    chromium,
                    *FLAGS,
                    f"--user-data-dir={Path(tmp) / 'profile'}",
                    *extra,
                    page.as_uri(),
                ],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
                cwd=tmp,
            )

        done = run("--dump-dom", f"--window-size={ISSUE_WIDTH},1000")
        found = _LAYOUT.search(done.stdout)
        if done.returncode != 0 or found is None:
            raise AssertionError(
                f"chromium exited {done.returncode} without the page's layout; "
                f"its stderr ends: {done.stderr[-2000:]}"
            )
        text = html.unescape(found.group(1))
        if not text.startswith("{"):
            raise AssertionError(f"the review page did not finish: {text[:500]}")
        data = json.loads(text)
        if screenshot is not None:
            # A second run, its window as tall as the page, so the PNG holds all of it.
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.unlink(missing_ok=True)  # an old one must not pass for this run's
            height = min(16000, int(data["height"]) + 1)
            shot = run(
                f"--screenshot={screenshot.resolve()}", f"--window-size={ISSUE_WIDTH},{height}"
            )
            if shot.returncode != 0 or not screenshot.exists():
                raise AssertionError(f"chromium wrote no screenshot: {shot.stderr[-2000:]}")
    return Page(
        data["height"],
        tuple(
            Box(
                b["tag"],
                b["id"],
                b["text"],
                tuple(b["links"]),
                b["top"],
                b["bottom"],
                b["shown"],
                b["folded"],
            )
            for b in data["elements"]
        ),
    )
