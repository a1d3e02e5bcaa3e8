"""core/plain: dataclasses as JSON, and a JSON Schema that the same data validates against."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import jsonschema
import pytest

from quarterdeck.core.calendar import Month
from quarterdeck.core.text.plain import schema_of, to_plain


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Node:
    """A node of a toy tree."""

    name: str
    kind: Literal["leaf", "branch"]
    colour: Colour
    day: date
    at: datetime
    month: Month
    where: Path
    extra: Any
    counts: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    children: tuple[Node, ...] = ()
    pair: tuple[int, str] = (0, "")
    secret: str = ""


def _node(**changes: Any) -> Node:
    values: dict[str, Any] = {
        "name": "root",
        "kind": "branch",
        "colour": Colour.RED,
        "day": date(2026, 11, 2),
        "at": datetime(2026, 11, 2, 9, tzinfo=UTC),
        "month": Month(2026, 11),
        "where": Path("a/b"),
        "extra": {"anything": [1, "x"]},
        "counts": MappingProxyType({"a": 1}),
        "pair": (3, "three"),
    }
    return Node(**(values | changes))


def test_plain_data_validates_against_its_generated_schema() -> None:
    tree = _node(children=(_node(name="leaf", kind="leaf", colour=Colour.BLUE),))
    omit = {Node: frozenset({"secret"})}
    defs: dict[str, Any] = {}
    schema = schema_of(Node, omit=omit, defs=defs) | {"$defs": defs}

    data = to_plain(tree, omit)

    assert data["month"] == "2026-11"
    assert data["colour"] == "red"
    assert data["day"] == "2026-11-02"
    assert data["where"] == "a/b"
    assert data["pair"] == [3, "three"]
    assert "secret" not in data
    assert defs["Node"]["description"] == "A node of a toy tree."
    jsonschema.validate(data, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data | {"kind": "trunk"}, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data | {"secret": "x"}, schema)


def test_a_type_without_a_json_form_is_a_clear_error() -> None:
    with pytest.raises(TypeError, match="no JSON Schema for the type"):
        schema_of(complex, defs={})
