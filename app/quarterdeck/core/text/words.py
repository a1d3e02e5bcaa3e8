"""Counts in words: "1 person", "3 people", "1 PR", "2 PRs". Pure."""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun that agrees with it; `plural_form` defaults to singular + "s"."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
