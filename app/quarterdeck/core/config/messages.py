"""Pydantic errors in plain words: each one becomes a located `Problem`.

Only a file that fails validation (`schema.validate`) comes here: `located` maps each
error's `loc` back to the node of the `Doc` it came from; `_message` says what is wrong
and, for unknown keys, which key was probably meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from datetime import date
from typing import Any, Union

from pydantic import BaseModel, RootModel, ValidationError
from pydantic_core import ErrorDetails

from quarterdeck.core.config.fields import CUSTOM_MESSAGES, UNION_TAGS
from quarterdeck.core.config.yaml_nodes import Doc, render_key
from quarterdeck.errors import Problem

__all__ = ["describe", "located"]


_EXPECTED = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "bool_type": "expected true or false",
    "list_type": "expected a list, e.g. [a, b]",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
}


def _short(value: str, limit: int = 40) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def describe(value: Any) -> str:
    """The user's value, named the way they wrote it in YAML."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a yes/no value)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_short(value)!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, date):
        return f"the date {value.isoformat()}"
    if isinstance(value, bytes):
        return "binary data"
    return f"a {type(value).__name__}"


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def _model_at(root: Any, loc: Sequence[int | str]) -> type[BaseModel] | None:
    """The model class that validates the mapping at `loc`, found by walking annotations."""
    tp: Any = root
    for item in loc:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, RootModel):
            tp = _unwrap(tp.model_fields["root"].annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = next(
                (f for n, f in tp.model_fields.items() if (f.alias or n) == item),
                None,
            )
            if info is None:
                return None
            tp = info.annotation
        elif getattr(tp, "__origin__", None) in (list, dict):
            tp = tp.__args__[-1]
        elif _union_args(tp):  # a tagged union (`review.questions`): the branch that fits
            wanted = list if isinstance(item, int) else BaseModel
            fits = [a for a in map(_unwrap, _union_args(tp)) if _is(a, wanted)]
            if not fits:
                return None
            tp = fits[0]
            if wanted is list:
                tp = tp.__args__[-1]
            else:
                info = next((f for n, f in tp.model_fields.items() if (f.alias or n) == item), None)
                if info is None:
                    return None
                tp = info.annotation
        else:
            return None
    tp = _unwrap(tp)
    # A tagged union's mapping branch (a question with a query).
    tp = next((a for a in map(_unwrap, _union_args(tp)) if _is(a, BaseModel)), tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _union_args(tp: Any) -> tuple[Any, ...]:
    return (
        tuple(getattr(tp, "__args__", ()))
        if type(tp).__name__ in ("UnionType", "_UnionGenericAlias")
        or getattr(tp, "__origin__", None) is Union
        else ()
    )


def _is(tp: Any, kind: type) -> bool:
    if kind is list:
        return getattr(tp, "__origin__", None) is list
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _unwrap(tp: Any) -> Any:
    """Strip Annotated[...] and `X | None` down to X."""
    while True:
        if hasattr(tp, "__metadata__"):
            tp = tp.__origin__
            continue
        args = getattr(tp, "__args__", ())
        if type(tp).__name__ == "UnionType" and len(args) == 2 and type(None) in args:
            tp = next(a for a in args if a is not type(None))
            continue
        return tp


def _message(err: ErrorDetails, root_model: Any) -> str:
    kind, value, loc = err["type"], err.get("input"), err["loc"]
    if kind == "extra_forbidden":
        name = str(loc[-1])
        model = _model_at(root_model, loc[:-1])
        allowed = _allowed_keys(model) if model else []
        close = difflib.get_close_matches(name, allowed, n=1)
        if close:
            return f"unknown key '{name}'; did you mean '{close[0]}'?"
        if allowed:
            return f"unknown key '{name}'; expected one of: {', '.join(allowed)}"
        return f"unknown key '{name}'"
    if (
        kind == "missing"
        and len(loc) >= 3
        and loc[-3:-1] == ("questions", loc[-2])
        and loc[-1] == "ask"
    ):
        return (
            "missing required key 'ask': a question written as a mapping needs `ask:` (its "
            "text) beside its query; put quotes around a question that holds ': '"
        )
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "too_short":
        return f"needs at least {err['ctx']['min_length']} items, got {err['ctx']['actual_length']}"
    if kind == "too_long":
        return f"takes at most {err['ctx']['max_length']} items, got {err['ctx']['actual_length']}"
    if kind == "qd_questions" and isinstance(value, list):
        return "every question must be non-empty text; put quotes around a question with ': '"
    if kind in CUSTOM_MESSAGES:
        shown = repr(_short(value)) if isinstance(value, str) else describe(value)
        return CUSTOM_MESSAGES[kind].format(v=shown, d=describe(value))
    if kind in _EXPECTED:
        message = f"{_EXPECTED[kind]}, got {describe(value)}"
        if kind == "string_type" and isinstance(value, int | float | bool | date):
            message += "; put it in quotes if it is meant as text"
        if kind == "int_type" and isinstance(value, str):
            message += "; write the number without quotes"
        if kind == "float_type" and isinstance(value, str):
            message += "; write the number without quotes or a % sign"
        return message
    if kind == "literal_error":
        return f"expected one of {err['ctx']['expected']}, got {describe(value)}"
    if kind in ("greater_than_equal", "less_than_equal"):
        bound = err["ctx"].get("ge", err["ctx"].get("le"))
        word = "least" if kind == "greater_than_equal" else "most"
        return f"must be at {word} {bound:g}, got {value:g}"
    if kind == "string_too_long":
        most = err["ctx"]["max_length"]
        length = err["ctx"].get("length", len(value) if isinstance(value, str) else 0)
        return (
            f"too long: {length:,} characters, and at most {most:,} fit here; "
            "shorten it (Quarterdeck caps free text so every value stays cheap to show)"
        )
    if kind == "finite_number":
        return "must be a finite number"
    return str(err["msg"])


def located(
    exc: ValidationError, doc: Doc, model: type[BaseModel], prefix: Sequence[int | str] = ()
) -> list[Problem]:
    """Each error of `model`'s failed validation of the data at `prefix` in `doc`, as a
    Problem at its line and key, in plain words."""
    problems = []
    for err in exc.errors(include_url=False):
        # A tagged union's branch name is no key of the file: drop it.
        at = [p for p in err["loc"] if isinstance(p, int | str) and p not in UNION_TAGS]
        loc = [*prefix, *at]
        line, found = doc.locate(loc)
        key_loc = loc if err["type"] in ("extra_forbidden", "missing") else found
        if err["type"] == "missing":
            key_loc = loc
            line, _ = doc.locate(loc[:-1])
        if key_loc and key_loc[-1] == "[key]":
            key_loc = key_loc[:-1]
        err["loc"] = tuple(loc[len(prefix) :])
        problems.append(Problem(doc.file, line, render_key(key_loc, doc), _message(err, model)))
    return problems
