"""The bundled templates, loaded once per process on first use (not at import)."""

from __future__ import annotations

from functools import cache

from jinja2.sandbox import SandboxedEnvironment

from quarterdeck.core.text.render import make_environment, render
from quarterdeck.resources import resource


@cache
def environment() -> SandboxedEnvironment:
    """The sandboxed, escaping environment over Quarterdeck's `templates/`."""
    return make_environment([resource("templates")])


def render_template(name: str, **context: object) -> str:
    """Render one bundled template."""
    return render(environment(), name, **context)
