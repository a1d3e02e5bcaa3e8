"""Dataclasses as JSON: the data (`to_plain`) and its JSON Schema (`schema_of`). Pure.

Both walk the same type information, so the committed schema of the review output is
generated from the dataclasses that produce it and cannot drift from them. `omit`
names fields left out of the output per class (e.g. a PR's long `body`); `optional`
names fields that may be left out, so the schema does not require them.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

from quarterdeck.core.calendar import Month

__all__ = ["Omit", "schema_of", "to_plain"]

# class -> names of its fields to leave out
Omit = Mapping[type, frozenset[str]]
# Dataclasses written as text: a Month is `2026-11`, never {year, month}.
_TEXT_TYPES: tuple[type, ...] = (Month,)


def to_plain(value: Any, omit: Omit | None = None) -> Any:
    """Dataclasses, mappings, tuples, dates and enums as JSON types.

    (`dataclasses.asdict` cannot copy a mappingproxy, and knows nothing of `omit`.)
    """
    omit = omit or {}
    if isinstance(value, _TEXT_TYPES):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        skip = omit.get(type(value), frozenset())
        return {
            f.name: to_plain(getattr(value, f.name), omit)
            for f in dataclasses.fields(value)
            if f.name not in skip
        }
    if isinstance(value, Mapping):
        return {str(k): to_plain(v, omit) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_plain(v, omit) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def schema_of(
    tp: Any,
    *,
    omit: Omit | None = None,
    optional: Omit | None = None,
    defs: dict[str, Any],
    names: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON Schema of `to_plain(<a value of type tp>, omit)`.

    Dataclasses become `$defs` entries (filled into `defs`) referenced by name; every
    field is required unless `optional` lists it, and no other key is allowed. `names`
    resolves the annotations a module imports only for the type checker.
    """
    omit, optional = omit or {}, optional or {}

    def inner(t: Any) -> dict[str, Any]:
        return schema_of(t, omit=omit, optional=optional, defs=defs, names=names)

    if tp is Any:
        return {}
    if tp is type(None):
        return {"type": "null"}
    if isinstance(tp, type):
        if issubclass(tp, _TEXT_TYPES):
            return {"type": "string"}
        if dataclasses.is_dataclass(tp):
            return _dataclass_schema(tp, omit, optional, defs, names)
        if issubclass(tp, bool):
            return {"type": "boolean"}
        if issubclass(tp, int):
            return {"type": "integer"}
        if issubclass(tp, float):
            return {"type": "number"}
        if issubclass(tp, str | Path):
            return {"type": "string"}
        if issubclass(tp, datetime):
            return {"type": "string", "format": "date-time"}
        if issubclass(tp, date):
            return {"type": "string", "format": "date"}
        if issubclass(tp, enum.Enum):
            return {"enum": [m.value for m in tp]}
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [inner(a) for a in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin is typing.Annotated:
        return inner(args[0])
    if origin in (list, tuple, set, frozenset) or _is_abc(origin, "Sequence", "Set"):
        items = [a for a in args if a is not Ellipsis]
        item: Any = Any
        if len(set(items)) == 1:
            item = items[0]
        elif items:  # a fixed-length tuple of mixed types
            item = typing.Union[tuple(items)]  # noqa: UP007
        return {"type": "array", "items": inner(item)}
    if origin is dict or _is_abc(origin, "Mapping"):
        value = args[1] if len(args) == 2 else Any
        return {
            "type": "object",
            "additionalProperties": inner(value),
        }
    raise TypeError(f"no JSON Schema for the type {tp!r}: teach core/text/plain.py about it")


def _is_abc(origin: Any, *names: str) -> bool:
    import collections.abc as abc

    return any(origin is getattr(abc, n) for n in names)


def _dataclass_schema(
    cls: type, omit: Omit, optional: Omit, defs: dict[str, Any], names: Mapping[str, Any] | None
) -> dict:
    name = cls.__name__
    ref = {"$ref": f"#/$defs/{name}"}
    if name in defs:
        return ref
    defs[name] = {}  # placeholder: a class that refers to itself stops here
    hints = typing.get_type_hints(cls, localns=dict(names or {}), include_extras=True)
    skip = omit.get(cls, frozenset())
    maybe = optional.get(cls, frozenset())
    fields = [f for f in dataclasses.fields(cls) if f.name not in skip]
    properties = {
        f.name: schema_of(hints[f.name], omit=omit, optional=optional, defs=defs, names=names)
        for f in fields
    }
    entry: dict[str, Any] = {"type": "object"}
    doc = (cls.__doc__ or "").strip().split("\n\n")[0]
    if doc and not doc.startswith(f"{name}("):  # dataclass's generated signature: no use
        entry["description"] = " ".join(doc.split())
    entry["properties"] = properties
    entry["required"] = [f.name for f in fields if f.name not in maybe]
    entry["additionalProperties"] = False
    defs[name] = entry
    return ref
