"""The one config loader: YAML text in, validated domain objects (or located problems) out.

Pure: callers pass (display filename, text) pairs and get back a `Config`, a list of
warnings, or a `ConfigError` carrying every problem with its file, line and key. The
pydantic models in `schema` are the single source of truth for the shape of the four
file kinds (config, goals, objectives, metrics); `json_schema()` publishes them for editors.

Reading goes in three steps so a problem can name its line:
1. compose the YAML into a node tree (nodes carry line marks), refusing abuse early:
   oversized text, deep nesting, alias expansion (YAML bombs), duplicate keys
   (`yaml_nodes`);
2. construct plain Python data from that same tree with the safe constructor
   (`yaml_nodes`);
3. validate with pydantic (`schema.validate`); only for a file with errors, map each
   error's `loc` back to the node it came from, in plain words (`messages`).
Checks across files (`checks`) run last; `to_domain` turns the file models into the
domain `Config`; `loading` ties them together. This module is the package's public face.

Its names load on first use (PEP 562's module `__getattr__`): importing the package
costs only `essentials`, so a command that reads no Quarterdeck file (an offline review
of a repository without one) never imports pydantic or PyYAML.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from quarterdeck.core.config.essentials import (
    CONFIG_PATH,
    FILE_TOO_LARGE,
    MAX_ALIAS_EXPANSION,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    BusinessMetrics,
    MetricsMonth,
)

if TYPE_CHECKING:
    from quarterdeck.core.config.loading import build_config, parse_config
    from quarterdeck.core.config.metrics_file import parse_metrics, read_metrics_file
    from quarterdeck.core.config.schema import (
        ConfigFile,
        GoalsFile,
        GoalsSettings,
        MetricsFile,
        ObjectivesFile,
        json_schema,
    )

__all__ = [
    "CONFIG_PATH",
    "FILE_TOO_LARGE",
    "MAX_ALIAS_EXPANSION",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "BusinessMetrics",
    "ConfigFile",
    "GoalsFile",
    "GoalsSettings",
    "MetricsFile",
    "MetricsMonth",
    "ObjectivesFile",
    "build_config",
    "json_schema",
    "parse_config",
    "parse_metrics",
    "quarter_of_goals_file",
    "read_metrics_file",
]

# The names that need pydantic or PyYAML, by the module that defines them.
_LAZY = {
    "build_config": "loading",
    "parse_config": "loading",
    "parse_metrics": "metrics_file",
    "read_metrics_file": "metrics_file",
    "quarter_of_goals_file": "loading",
    "ConfigFile": "schema",
    "GoalsFile": "schema",
    "GoalsSettings": "schema",
    "MetricsFile": "schema",
    "ObjectivesFile": "schema",
    "json_schema": "schema",
}


def __getattr__(name: str) -> Any:
    """Load one of the package's heavier names from its module on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
