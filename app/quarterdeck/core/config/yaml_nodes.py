"""Safe YAML reading that keeps line marks, so every problem can name its line.

Reading goes in two steps here (then `schema.validate`, whose errors `messages` words):
1. compose the YAML into a node tree (nodes carry line marks), refusing abuse early:
   oversized text, deep nesting, alias expansion (YAML bombs), duplicate keys;
2. construct plain Python data from that same tree with the safe constructor.
`Doc` then maps a path into the data (e.g. a pydantic error's `loc`) back to a line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from quarterdeck.core.config.essentials import (
    FILE_TOO_LARGE,
    MAX_ALIAS_EXPANSION,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    SLUG,
)
from quarterdeck.errors import Problem

__all__ = [
    "FILE_TOO_LARGE",
    "MAX_ALIAS_EXPANSION",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "Doc",
    "line_of",
    "read_yaml",
    "render_key",
]


class _LimitError(Exception):
    def __init__(self, message: str, mark: yaml.Mark | None) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark


class _Loader(yaml.SafeLoader):
    """SafeLoader that stops composing past MAX_DEPTH, before Python's recursion limit."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitError(
                    f"values are nested more than {MAX_DEPTH} levels deep; "
                    "Quarterdeck files need only a few levels",
                    self.peek_event().start_mark,
                )
            # types-PyYAML says `index: int`; PyYAML passes a mapping's key node there too.
            return super().compose_node(parent, index)  # type: ignore[arg-type]
        finally:
            self._depth -= 1

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        # `2026-13-45` matches YAML's date pattern but is no date: say where it is.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value!r} looks like a date but is not one ({exc}); "
                "quote it if it is meant as text",
                node.start_mark,
            ) from exc


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def line_of(mark: yaml.Mark | None) -> int | None:
    return mark.line + 1 if mark is not None else None


def _check_graph(root: yaml.Node, file: str) -> Problem | None:
    """Refuse alias cycles, alias-induced depth and alias expansion (YAML bombs).

    Iterative post-order walk over unique nodes, so a bomb costs what its text costs.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    unique = 0
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        children = _children(node)
        if done:
            on_path.discard(nid)
            size[nid] = 1 + sum(size[id(c)] for c in children)
            depth[nid] = 1 + max((depth[id(c)] for c in children), default=0)
            unique += 1
            continue
        if nid in size:
            continue
        if nid in on_path:
            return Problem(
                file,
                line_of(node.start_mark),
                "",
                "a YAML alias refers to a value that contains it; write the value out instead",
            )
        on_path.add(nid)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    if size[id(root)] - unique > MAX_ALIAS_EXPANSION:
        return Problem(
            file,
            None,
            "",
            f"YAML aliases (*name) would expand this file by more than {MAX_ALIAS_EXPANSION:,} "
            "values; write the values out instead of nesting aliases",
        )
    if depth[id(root)] > MAX_DEPTH:
        return Problem(
            file,
            None,
            "",
            f"values are nested more than {MAX_DEPTH} levels deep (counting aliases); "
            "Quarterdeck files need only a few levels",
        )
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


_Loc = list[int | str]


def _duplicate_keys(root: yaml.Node) -> list[tuple[_Loc, int | None, str]]:
    """PyYAML silently keeps the last of two equal keys; find the later ones.

    Runs before construction, which would mix `<<: *merge` keys into the mappings.
    Returns (path, line, message) so the caller can render the path once data exists.
    """
    found: list[tuple[_Loc, int | None, str]] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, _Loc]] = [(root, [])]
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[tuple[str, str], yaml.Node] = {}
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                    stack.append((value, path))
                    continue
                sub = [*path, key.value]
                if (key.tag, key.value) in first:
                    earlier = line_of(first[key.tag, key.value].start_mark)
                    found.append(
                        (
                            sub,
                            line_of(key.start_mark),
                            f"duplicate key '{key.value}' (first at line {earlier}); "
                            "YAML would keep only this one, so merge or remove one of them",
                        )
                    )
                else:
                    first[key.tag, key.value] = key
                stack.append((value, sub))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, [*path, i]) for i, child in enumerate(node.value))
    return found


def _yaml_error(exc: yaml.YAMLError, file: str, text: str) -> Problem:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        return Problem(
            file,
            line,
            "",
            f"character U+{exc.character:04X} is not allowed in YAML; remove it or save the "
            "file as plain UTF-8 text",
        )
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if problem.startswith("but ") and exc.context:
            problem = f"{exc.context}, {problem}"
        if "'\\t'" in problem:
            return Problem(
                file, line_of(mark), "", "tab character in indentation; indent YAML with spaces"
            )
        if isinstance(exc, yaml.constructor.ConstructorError):
            return Problem(file, line_of(mark), "", f"unreadable YAML value: {problem}")
        return Problem(
            file, line_of(mark), "", f"invalid YAML: {problem}; check indentation and quoting"
        )
    return Problem(file, None, "", f"invalid YAML: {exc}")


@dataclass(frozen=True)
class Doc:
    """A parsed YAML document: its data and the node tree to find lines by path."""

    file: str
    root: yaml.Node | None
    data: Any
    # id(mapping node) -> {key text: (key node, value node)}: keeps locating every error
    # of a file with thousands of keys linear rather than quadratic.
    _index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def _pairs(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if id(node) not in self._index:
            self._index[id(node)] = {
                k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)
            }
        return self._index[id(node)]

    def locate(self, loc: Sequence[int | str]) -> tuple[int | None, list[int | str]]:
        """Line of the node at `loc`, and the part of `loc` that exists in the file."""
        node = self.root
        line = line_of(node.start_mark) if node is not None else None
        found: list[int | str] = []
        key_node: yaml.Node | None = None
        for item in loc:
            if item == "[key]" and key_node is not None:
                return line_of(key_node.start_mark), found
            # (the node whose line names the item, the item's value)
            hit: tuple[yaml.Node, yaml.Node] | None = None
            if isinstance(node, yaml.MappingNode):
                hit = self._pairs(node).get(str(item))
            elif (
                isinstance(node, yaml.SequenceNode)
                and isinstance(item, int)
                and 0 <= item < len(node.value)
            ):
                hit = (node.value[item], node.value[item])
            if hit is None:
                # Past the end of the file's own structure (an unknown key's value,
                # a pydantic union tag): the deepest existing node is the best line.
                return line, found
            found.append(item)
            key_node, node = hit
            line = line_of(key_node.start_mark)
        return line, found

    def line_of_value(self, loc: Sequence[int | str]) -> int | None:
        """Line of the value at `loc` (for a key, the key's line)."""
        return self.locate(loc)[0]

    def file_at(self, loc: Sequence[int | str]) -> str:
        """The file the value at `loc` was written in (see `layers.LayeredDoc`)."""
        return self.file


def read_yaml(text: str, file: str) -> tuple[Doc | None, list[Problem]]:
    """Compose and construct one YAML document, or explain why it cannot be read."""
    if len(text) > MAX_FILE_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return None, [Problem(file, None, "", FILE_TOO_LARGE)]
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # checks for unprintable characters already
        root = loader.get_single_node()
        if root is None:
            return Doc(file, None, None), []
        problem = _check_graph(root, file)
        if problem is not None:
            return None, [problem]
        duplicates = _duplicate_keys(root)
        data = loader.construct_document(root)
    except _LimitError as exc:
        return None, [Problem(file, line_of(exc.mark), "", exc.message)]
    except yaml.YAMLError as exc:
        return None, [_yaml_error(exc, file, text)]
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. `2026-13-45` looks like a date to YAML and fails to construct
        return None, [Problem(file, None, "", f"unreadable YAML value: {exc}")]
    finally:
        if loader is not None:
            loader.dispose()
    doc = Doc(file, root, data)
    if duplicates:
        return None, [Problem(file, line, render_key(loc, doc), m) for loc, line, m in duplicates]
    return doc, []


def render_key(loc: Sequence[int | str], doc: Doc) -> str:
    """`teams.analytics.members[2]`: mapping keys dotted, list positions in brackets."""
    key, data = "", doc.data
    for item in loc:
        is_index = isinstance(item, int) and isinstance(data, list)
        key = f"{key}[{item}]" if is_index else _join(key, str(item))
        try:
            data = data[item]
        except (LookupError, TypeError):
            data = None
    if isinstance(doc.data, list) and loc and isinstance(loc[0], int):
        # In a goals file, "funnel-v2.owners" reads better than "[3].owners".
        goal = doc.data[loc[0]] if loc[0] < len(doc.data) else None
        gid = goal.get("id") if isinstance(goal, dict) else None
        if isinstance(gid, str) and SLUG.fullmatch(gid) and list(loc[1:2]) != ["id"]:
            key = _join(gid, key[len(f"[{loc[0]}]") :].lstrip("."))
    return key


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
