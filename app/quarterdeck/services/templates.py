"""Render a template: Quarterdeck's own in-process, a repo's own in a limited child process.

The bundled templates (`templates/`) ship with Quarterdeck and are trusted, so they
render here. A repo's own templates (`.github/quarterdeck/templates/*.j2`) are data
anyone who can push may write, and Jinja2's sandbox bounds what they may *reach*, not
what they may *cost*: `{% for a in range(99999) %}{% for b in range(99999) %}`,
`lipsum(10**6)` or `'x' * 10**8` run for minutes or fill memory. So whenever a repo
overrides any template, the render runs in a forked child with a wall-time limit (it
is killed when it passes it), a CPU-time limit, an address-space limit and an output
cap. Passing one is a TemplateError naming the template and the limit.

One environment over the bundled templates serves the whole process (every team's
review, the job summary, the App's comments: `bundled_environment`), and what it
compiles is kept between runs in Jinja2's own bytecode cache (`sources.template_cache`),
so a run compiles a template only when it is new or changed. The limited children
that render a repo's templates load Quarterdeck's own from that cache too, and compile
only the repo's (which are never kept: `sources.template_cache`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from quarterdeck.core.text.render import compiled_form, make_environment, render, render_capped
from quarterdeck.errors import TemplateError
from quarterdeck.resources import resource
from quarterdeck.sources.template_cache import bytecode_cache

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from jinja2.sandbox import SandboxedEnvironment

try:  # POSIX only; elsewhere the wall-time limit and the output cap still hold
    import resource as _rlimits
except ImportError:  # pragma: no cover - Windows
    _rlimits = None  # type: ignore[assignment]

__all__ = ["LIMITS", "Limits", "bundled_environment", "render_template"]


@dataclass(frozen=True)
class Limits:
    """What rendering one repo template may cost."""

    seconds: float = 5.0  # wall time, then the child is killed
    output_chars: int = 1_000_000  # ~15 GitHub issue bodies: far past any review
    memory_bytes: int = 512 * 1024 * 1024  # address space the child may add


LIMITS = Limits()


def render_template(
    overrides: Mapping[str, str],
    name: str,
    limits: Limits | None = None,
    **context: object,
) -> str:
    """Template `name` over the bundled templates, with a repo's `overrides` winning.

    `limits`: what a repo template may cost; None means `LIMITS`, read at each call.

    Without overrides everything is Quarterdeck's own and renders in this process;
    with any, the render runs in a limited child (see the module docstring).
    """
    if not overrides:
        return render(bundled_environment(), name, **context)
    return _render_in_child(dict(overrides), name, context, limits or LIMITS)


@functools.cache
def bundled_environment() -> SandboxedEnvironment:
    """The one environment over the bundled templates in this process, so each template
    is compiled (or loaded from the bytecode cache) once, not once per team's review and
    again for the job summary (compiling was most of an offline review's time;
    benchmarks/startup.py)."""
    return _environment()


def _environment(overrides: Mapping[str, str] | None = None) -> SandboxedEnvironment:
    """The bundled templates under `overrides`, compiled through the bytecode cache."""
    env = make_environment([resource("templates")], overrides)
    env.bytecode_cache = bytecode_cache(compiled_form(env))
    return env


def _render_in_child(
    overrides: dict[str, str], name: str, context: Mapping[str, object], limits: Limits
) -> str:
    # Fork, so the context (a whole review) reaches the child without being pickled;
    # only the rendered text comes back. Imported here: only a repo that overrides a
    # template renders in a child, and multiprocessing costs every start ~10 ms.
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    fork = "fork" in methods
    mp = multiprocessing.get_context("fork") if fork else multiprocessing.get_context("spawn")
    receiver, sender = mp.Pipe(duplex=False)
    child = mp.Process(target=_child, args=(sender, overrides, name, context, limits), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(limits.seconds):
            raise TemplateError(
                f"{name}: the repo template ran past the limit of {limits.seconds:g} s of "
                "rendering and was stopped; look for a loop over a huge range or nested loops"
            )
        try:
            kind, text = receiver.recv()
        except EOFError:
            kind, text = "died", ""
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    if kind == "ok":
        return str(text)
    if kind == "error":
        raise TemplateError(text)
    raise TemplateError(
        f"{name}: the repo template passed the limit of {limits.memory_bytes // 2**20:,} MB "
        f"of memory or {limits.seconds:g} s of CPU and was stopped; look for a huge string, "
        "e.g. 'x' * 10**8 or lipsum(10**6)"
    )


def _child(
    sender: Connection,
    overrides: dict[str, str],
    name: str,
    context: Mapping[str, object],
    limits: Limits,
) -> None:
    """In the child: set the limits, render, send ("ok" | "error" | "memory", text), exit."""
    try:
        _limit_resources(limits)
        env = _environment(overrides)
        message: tuple[str, Any] = (
            "ok",
            str(render_capped(env, name, context, max_chars=limits.output_chars)),
        )
    except TemplateError as exc:
        message = ("error", str(exc))
    except MemoryError:
        message = ("memory", "")
    try:
        sender.send(message)
    except MemoryError:
        sender.send(("memory", ""))
    finally:
        sender.close()
        # Skip the parent's atexit handlers and buffered output: this is only a render.
        os._exit(0)


def _limit_resources(limits: Limits) -> None:
    if _rlimits is None:  # pragma: no cover - Windows
        return
    cpu = int(limits.seconds) + 1
    _lower(_rlimits.RLIMIT_CPU, cpu)
    in_use = _address_space_in_use()
    if in_use is not None:
        _lower(_rlimits.RLIMIT_AS, in_use + limits.memory_bytes)


def _lower(which: int, soft: int) -> None:
    """Lower a limit's soft value (never above the hard one; the hard stays)."""
    _, hard = _rlimits.getrlimit(which)
    if hard != _rlimits.RLIM_INFINITY:
        soft = min(soft, hard)
    _rlimits.setrlimit(which, (soft, hard))


def _address_space_in_use() -> int | None:
    """This process's virtual memory size, from /proc (Linux); None elsewhere."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            pages = int(statm.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")
