"""The plots of one run drawn by processes started before the run (``socsim run``).

Importing matplotlib and drawing a run's plots costs more CPU than simulating the
baseline. :class:`PlotProcess` forks a process at the start of a run that imports
matplotlib and draws a first small figure while the parent imports numba and simulates;
once warm it forks one more worker per spare core, so each inherits the warm-up. The
parent hands every worker the finished :class:`~sim.simulation.RunResult` and the plots
one at a time, the next to the first worker free, while it writes the CSV and JSON files
itself. The PNGs are those :func:`sim.plots.run.run_plots` draws in the parent.

The parent never imports matplotlib. Workers ignore Ctrl-C (the terminal sends it to
every process of the command; the parent decides) and leave when the parent closes
their pipe or ends. A plot that fails is a :class:`PlotError` naming it, raised after
every worker has finished the plot it was drawing, so nothing writes into the results
folder once the caller has been told (and removes it).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from contextlib import AbstractContextManager, contextmanager, nullcontext
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from ..errors import SocsimError

if TYPE_CHECKING:  # pragma: no cover
    from ..simulation import RunResult

__all__ = ["PlotProcess", "PlotError", "plot_workers"]


class PlotError(SocsimError):
    """A plot of the run could not be drawn or written."""


class PlotProcess:
    """Workers that draw ``names`` (files of :data:`sim.plots.PLOT_FILES`) of the run to come.

    Use as a context manager around the run; :meth:`drawing` around the writing of the
    other files. ``workers`` defaults to one per core, at most one per plot.
    """

    def __init__(self, names: Sequence[str], workers: int | None = None) -> None:
        self.names = tuple(names)
        count = max(1, min(len(self.names), workers or os.cpu_count() or 1))
        pairs = [multiprocessing.Pipe() for _ in range(count)]
        self._conns = [mine for mine, _ in pairs]
        theirs = [other for _, other in pairs]
        self._process = multiprocessing.get_context("fork").Process(
            target=_start_workers, args=(self._conns, theirs), name="socsim-plots", daemon=True)
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # held for the parent, not the fork
        try:
            self._process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        for conn in theirs:
            conn.close()
        self._drawn = False

    def __enter__(self) -> "PlotProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """End the workers (none is drawing: :meth:`drawing` waits for them). After a drawing
        they leave once their pipe is closed, the first reaping the others; before one (the
        run failed or was interrupted) the first, perhaps still warming up, is stopped."""
        self._release()
        if not self._drawn:
            self._process.terminate()
        self._process.join()

    @contextmanager
    def drawing(self, result: "RunResult", folder: Path) -> Iterator[None]:
        """Draw the plots of ``result`` into ``folder`` while the body runs; on leaving, wait for them.

        Raises
        ------
        PlotError
            A plot failed (the first to fail), or a worker ended; raised after
            every worker has stopped drawing.
        """
        self._drawn = True
        for conn in self._conns:
            _send(conn, (result, str(folder)))
        queue, busy, failures = list(self.names), {}, []
        for conn in self._conns:
            _hand(conn, queue, busy)
        try:
            yield
        except BaseException:
            queue.clear()  # the caller is failing: finish only what is being drawn
            _collect(busy, queue, failures)
            raise
        _collect(busy, queue, failures)
        self._release()
        if failures:
            raise PlotError(failures[0])

    def _release(self) -> None:
        """Close the pipes: the workers, drawing nothing more, leave (≈ 0.015 s, the first waiting
        for the others) while the caller carries on; :meth:`close` waits for them."""
        for conn in self._conns:
            conn.close()


def plot_workers(names: Sequence[str]) -> AbstractContextManager["PlotProcess | None"]:
    """A :class:`PlotProcess` for ``names``, or None (plots drawn in this process) when there are
    none or processes cannot be forked here."""
    if names and "fork" in multiprocessing.get_all_start_methods():
        return PlotProcess(names)
    return nullcontext()


def _send(conn: Connection, message: object) -> None:
    try:
        conn.send(message)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the worker ended; its missing reply says so


def _hand(conn: Connection, queue: list[str], busy: dict[Connection, str]) -> None:
    if queue:
        busy[conn] = queue.pop(0)
        _send(conn, busy[conn])


def _collect(busy: dict[Connection, str], queue: list[str], failures: list[str]) -> None:
    """Take the workers' replies, handing out what is queued, until none is drawing."""
    while busy:
        for conn in wait(list(busy)):
            name = busy.pop(conn)
            try:
                error = conn.recv()
            except (EOFError, OSError):
                failures.append(f"{name}: the plotting process ended before drawing it; no results folder written")
                queue.clear()
                continue
            if error is not None:
                failures.append(f"{name}: could not be drawn: {error}; no results folder written")
                queue.clear()
            _hand(conn, queue, busy)


# --------------------------------------------------------------------------- in the workers
def _start_workers(parents: list[Connection], mine: list[Connection]) -> None:
    """The first worker: warm up, fork the others (which inherit the warm-up), then serve its own pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    for conn in parents:
        conn.close()
    _warm_up()
    for k in range(1, len(mine)):
        if os.fork() == 0:
            _serve(mine[k], [c for j, c in enumerate(mine) if j != k])
            os._exit(0)
    _serve(mine[0], mine[1:])
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def _warm_up() -> None:
    """Import the plots and draw a small figure with text, as they are drawn (fonts loaded, canvas ready)."""
    from . import run as _  # noqa: F401  the plots and matplotlib's modules they use
    from .style import figure

    fig = figure((2.0, 1.0))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], label="¥ 1,000")
    ax.set_title("warm", fontweight="bold")
    ax.legend()
    fig.canvas.draw()


def _serve(conn: Connection, others: list[Connection]) -> None:
    """Draw each plot named on ``conn`` for the result received on it; reply None or the reason it failed."""
    from .run import run_plots

    for other in others:
        other.close()
    result, folder = None, None
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if isinstance(message, tuple):
            result, folder = message
            continue
        try:
            run_plots(result, Path(folder), [message])
        except Exception as exc:  # the parent reports it; a worker never dies of a plot
            conn.send(str(exc) if isinstance(exc, SocsimError) else f"{type(exc).__name__}: {exc}")
        else:
            conn.send(None)
