"""`_extends`: a config file merged over the file it extends, each line still traceable.

Probot convention: `_extends: other-repo` (or `owner/repo:path.yml`) puts that file
*under* this one. Mappings merge key by key, recursively; any other value in this file
replaces the base's (a list is replaced whole, never concatenated). Each file is
validated on its own first, so a problem names the file it is in; the merged view
keeps both node trees so a check on the merged data still finds its file and line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from quarterdeck.core.config.yaml_nodes import Doc

__all__ = ["LayeredDoc", "merge_data"]


def merge_data(base: Any, top: Any) -> Any:
    """`top` over `base`: mappings merge recursively, anything else in `top` wins."""
    if not isinstance(base, dict) or not isinstance(top, dict):
        return top
    merged = dict(base)
    for key, value in top.items():
        merged[key] = merge_data(base[key], value) if key in base else value
    return merged


@dataclass(frozen=True)
class LayeredDoc(Doc):
    """Merged data over several documents, topmost first; locates a path in its own file."""

    layers: tuple[Doc, ...] = ()

    def _layer(self, loc: Sequence[int | str]) -> Doc:
        for layer in self.layers:
            if len(layer.locate(loc)[1]) == len([x for x in loc if x != "[key]"]):
                return layer
        return self.layers[0]

    def locate(self, loc: Sequence[int | str]) -> tuple[int | None, list[int | str]]:
        return self._layer(loc).locate(loc)

    def file_at(self, loc: Sequence[int | str]) -> str:
        return self._layer(loc).file
