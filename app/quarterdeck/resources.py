"""Files shipped with Quarterdeck: templates, the JSON Schema, examples, starters.

In a wheel they live inside the package (see pyproject's force-include); in a source
checkout or an editable install they are found at the repository root instead.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE.parent.parent


def resource(name: str) -> Path:
    """Path of a shipped file or folder, e.g. `templates` or `examples`."""
    for candidate in (_PACKAGE / name, _REPO_ROOT / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"Quarterdeck's bundled '{name}' is missing; reinstall the package")
