"""Single-shot word-of-mouth cascades: the independent cascade model on our own kernel.

In the market, a sharer pushes word of mouth along her CSR row and reaches a contact on
Dunbar layer ℓ with probability ``tie_reach[ℓ]`` (:func:`sim.market.signals.word_of_mouth`).
Run as a cascade — every newly reached consumer shares once, on the next round, and is
never reached again — that kernel is the independent cascade model of Kempe, Kleinberg
& Tardos (2003) with activation probability ``tie_reach[layer]`` on each tie. The test
``tests/test_cascade.py`` checks that the cascade sizes agree in distribution with an
independent implementation (NDlib's ``IndependentCascadesModel``) on the same graph.

References
----------
.. [1] Kempe, D., Kleinberg, J., Tardos, É. (2003). Maximizing the spread of influence
   through a social network. KDD '03.
.. [2] Goldenberg, J., Libai, B., Muller, E. (2001). Talk of the network: a complex
   systems look at the underlying process of word-of-mouth. Marketing Letters 12(3).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..config.schema import Behaviour, World
from ..graph.csr import SocialGraph
from ..market.signals import word_of_mouth
from ..population import Population, SegmentTable

__all__ = ["cascade_sizes", "cascade_size"]


def cascade_sizes(graph: SocialGraph, seeds: Sequence[int] | np.ndarray, tie_reach: Sequence[float],
                  rng: np.random.Generator) -> np.ndarray:
    """Size of the cascade started by each node in ``seeds`` (one cascade per seed).

    Parameters
    ----------
    graph : SocialGraph
        The social graph (CSR with a Dunbar layer per tie).
    seeds : sequence of int
        The first sharer of each cascade.
    tie_reach : sequence of 4 floats
        Activation probability by layer (intimate, close, friends, acquaintances), as
        ``world.behaviour.tie_reach``.
    rng : numpy.random.Generator
        Every draw comes from it, cascade after cascade.

    Returns
    -------
    numpy.ndarray of int64
        Consumers ever reached, the seed included.

    Notes
    -----
    Round r: the consumers first reached in round r − 1 share once through
    :func:`~sim.market.signals.word_of_mouth`; those reached who were never reached
    before form round r. It stops when a round reaches no one new. Each tie is tried at
    most once per direction that matters, as in the independent cascade model.
    """
    behaviour = Behaviour(tie_reach=tuple(tie_reach))
    pop = _neutral_population(graph.n)
    return np.array([cascade_size(graph, int(s), pop, behaviour, rng) for s in seeds], dtype=np.int64)


def cascade_size(graph: SocialGraph, seed: int, pop: Population, behaviour: Behaviour,
                 rng: np.random.Generator) -> int:
    """Consumers ever reached by one cascade from ``seed`` (see :func:`cascade_sizes`)."""
    reached = np.zeros(graph.n, bool)
    reached[seed] = True
    frontier = np.array([seed], np.int32)
    while len(frontier):
        receivers, _, _ = word_of_mouth(graph, pop, frontier, 0, behaviour, rng)
        frontier = np.unique(receivers[~reached[receivers]])
        reached[frontier] = True
    return int(reached.sum())


def _neutral_population(n: int) -> Population:
    """A population of ``n`` in one segment: the cascade uses only who is reached, not weights."""
    table = SegmentTable.from_world(World(population=max(n, 10)))
    return Population(n=n, n_brands=1, segments=table, segment=np.zeros(n, np.uint8), decay=0.0)
