"""The ``socsim`` command line (Typer + Rich): one module per command group, registered here.

Commands are thin: parse, call the library, render. Library errors (SocsimError) are
caught only at this boundary (:func:`sim.cli.common.reported_errors`), printed one line
per problem, and exit with status 1 — no traceback.

Each command module lists its commands in ``COMMANDS``; this module adds them to
:data:`app` in the order ``socsim --help`` shows them. Command modules never import
this one.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from typing import NoReturn

import typer

from .. import __version__
from ..terminal import console, show_warnings
from . import analysis, checks, detractors, elasticity, experiments, export, game, lessons, lift, scenario, workshop
from .help import tidy_help

__all__ = ["app", "main"]

app = typer.Typer(
    name="socsim",
    help=(
        "socsim — agent-based simulator of social-commerce channel economics.\n\n"
        "Consumers on a 150-contact social graph respond to content, KOL/KOC posts, word of "
        "mouth, group deals and price parity across WeChat (private domain) and Tmall (open "
        "marketplace). Write a scenario in YAML, run it, read the KPIs and plots.\n\n"
        "Start with:  socsim run            (the bundled baseline scenario)\n"
        "Then:        socsim schema         (every scenario field, unit, default)"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

show_warnings()

# A command loads numba, the schema and the compiled kernels: ~10⁶ long-lived objects and next
# to no cyclic garbage, yet at the default gen-0 threshold (700 allocations) the collector
# walks them again and again — ≈ 0.07 s of a warm `socsim run` (benchmarks/latency.py).
# Collections still run, 140 × less often; cycles are still freed.
gc.set_threshold(100_000, *gc.get_threshold()[1:])


def _print_version(asked: bool) -> None:
    if asked:
        console.print(f"socsim {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", "-V", callback=_print_version, is_eager=True,
                                       help="Print the socsim version and exit.")) -> None:
    """Options taken before any command (``socsim --version``)."""
    # At exit the interpreter's teardown collects garbage several times over every object
    # left: after a run, numba's and the schema's, ~0.2–0.3 s of CPU for nothing. Frozen
    # objects are skipped (those outside a cycle are still freed as their modules are cleared).
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _register(root: typer.Typer) -> None:
    """Add every command group's commands to ``root``, then the ``game`` sub-app."""
    for group in (scenario, experiments, elasticity, lift, detractors, export, checks, workshop, analysis, lessons):
        for command in group.COMMANDS:
            root.command()(command)
    root.add_typer(game.game_app, name="game")


_register(app)
tidy_help(app)


def main() -> NoReturn:
    """The ``socsim`` console script: :data:`app`, then a quick exit.

    The interpreter's own teardown (clearing every module, numba's and the schema's among
    them) costs ≈ 0.05 s of a warm ``socsim run`` and does nothing a command relies on:
    files are closed by ``with``, child processes joined and temporary folders removed
    by the exit handlers, which still run, as do the flushes of stdout and stderr.
    While a thread that is not a daemon runs, or a stream cannot be flushed, the exit
    is the interpreter's usual one (it waits for the thread; it reports the stream).
    """
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    else:  # pragma: no cover  - a Typer app in standalone mode always ends in SystemExit
        code = 0
    if not isinstance(code, (int, type(None))) or _threads_running():
        raise SystemExit(code)
    atexit._run_exitfuncs()  # what the interpreter runs first at exit (multiprocessing's handler, finalizers)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None
    os._exit(code or 0)


def _threads_running() -> bool:
    """Whether a thread the interpreter would wait for at exit is alive."""
    return any(t.is_alive() and not t.daemon for t in threading.enumerate() if t is not threading.main_thread())
