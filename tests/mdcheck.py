"""Check Markdown by parsing it as GitHub would (CommonMark + tables), not by regex."""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark").enable("table")
_MENTION = re.compile(r"(?<![\w`])@[A-Za-z0-9]")
# The review's own anchors (`<a id="goals"></a>`): fixed ids the template writes, which
# GitHub serves as user-content-<id>; any other inline HTML is a finding.
_ANCHOR = re.compile(r'<a id="[a-z0-9-]+">|</a>')


@dataclass
class Parsed:
    headings: list[str]
    tables: list[list[list[str]]]  # rows of cells, header row first
    details_opened: int
    details_closed: int
    mentions: list[str]  # @-mentions GitHub would see in text (not code) nodes
    raw_html: list[str]  # inline HTML but markers, details/summary tags and the review's anchors


def parse(text: str) -> Parsed:
    """The structure of `text` that a review must get right."""
    tokens = _PARSER.parse(text)
    headings, tables, mentions, raw_html = [], [], [], []
    opened = closed = 0
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            headings.append(tokens[i + 1].content)
        elif tok.type == "table_open":
            tables.append(_table(tokens[i:]))
        elif tok.type == "html_block":
            opened += tok.content.count("<details>")
            closed += tok.content.count("</details>")
            raw_html += [
                line
                for line in tok.content.splitlines()
                if line.strip()
                and not re.fullmatch(
                    r"<!-- /?quarterdeck:[^>]*-->|</?details>|<summary>[^<]*</summary>",
                    line.strip(),
                )
            ]
        elif tok.type == "inline":
            for child in tok.children or []:
                if child.type == "text":
                    mentions += _MENTION.findall(child.content)
                elif child.type == "html_inline" and not _ANCHOR.fullmatch(child.content):
                    raw_html.append(child.content)
    return Parsed(headings, tables, opened, closed, mentions, raw_html)


def _table(tokens: list[Token]) -> list[list[str]]:
    rows: list[list[str]] = []
    for i, tok in enumerate(tokens):
        if tok.type == "table_close":
            break
        if tok.type == "tr_open":
            rows.append([])
        elif tok.type in ("th_open", "td_open"):
            rows[-1].append(tokens[i + 1].content)
    return rows
