"""One seed, many independent random streams (numpy SeedSequence spawning).

Each part of the day loop draws from its own stream, so changing how often one part
draws (e.g. a bigger paid budget) does not shift the numbers another part sees. That
keeps common random numbers meaningful when variants are compared, and makes a run
depend only on (scenario, seed), never on how many workers ran it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STREAMS", "Streams", "spawn_streams"]

#: Stream names, in spawn order. Append only: reordering changes every result.
STREAMS = ("graph", "population", "actors", "signals", "wom", "needs", "choice", "after", "partners", "mesa", "capture")


@dataclass(frozen=True)
class Streams:
    """Named generators spawned from one root seed."""

    graph: np.random.Generator
    population: np.random.Generator
    actors: np.random.Generator
    signals: np.random.Generator
    wom: np.random.Generator
    needs: np.random.Generator
    choice: np.random.Generator
    after: np.random.Generator
    partners: np.random.Generator
    mesa: np.random.Generator
    capture: np.random.Generator


def spawn_streams(seed: int) -> Streams:
    """Spawn the named streams of a run from ``seed``.

    Parameters
    ----------
    seed : int
        Root seed (``simulation.seed``).

    Returns
    -------
    Streams
        One independent ``numpy.random.Generator`` per stage of the day.
    """
    children = np.random.SeedSequence(seed).spawn(len(STREAMS))
    return Streams(**{name: np.random.default_rng(child) for name, child in zip(STREAMS, children)})
