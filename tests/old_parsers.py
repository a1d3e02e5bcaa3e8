"""The regexes issue 14 replaced (quadratic or worse on hostile text), kept as the
baseline: the property tests check the new parsers give what these gave, and
`benchmarks/parsing.py` times both on the same input."""

from __future__ import annotations

import re

OLD_INLINE_CODE = re.compile(
    r"(?<!`)(?P<ticks>`+)(?!`)(?:[^\n]|\n(?![ \t]*\n))+?(?<!`)(?P=ticks)(?!`)"
)
OLD_HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
OLD_SECTION = re.compile(
    r"<!-- quarterdeck:section (?P<name>[a-z][a-z0-9-]*) -->\n?"
    r"(?P<body>(?:(?!<!-- quarterdeck:section (?P=name) -->).)*?)"
    r"<!-- /quarterdeck:section (?P=name) -->",
    re.DOTALL,
)
OLD_CO_AUTHOR = re.compile(
    r"^[ \t]*co-authored-by:[ \t]*(?P<name>[^<\n]*?)[ \t]*<(?P<email>[^<>\s]+)>[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
OLD_TITLE_NUMBER = re.compile(r"^(.*?)\s*\(#(\d+)\)\s*$")
OLD_ISSUE_REF = re.compile(
    r"(?<![\w-])(?:goal\s*:\s*|part\s+of\s*:?\s*|(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)"
    r"(?:\s*:\s*|\s+))#(?P<num>\d+)(?![\w-])",
    re.IGNORECASE,
)
