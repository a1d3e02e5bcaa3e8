"""The bundled templates for the App's comments: the process's one environment."""

from __future__ import annotations

from quarterdeck.core.text.render import render
from quarterdeck.services.templates import bundled_environment


def render_template(name: str, **context: object) -> str:
    """Render one bundled template."""
    return render(bundled_environment(), name, **context)
