"""Social graph generators, in numpy straight into CSR: the dispatcher and re-exports.

Every generator that draws takes a ``numpy.random.Generator`` explicitly, so the graph
is fixed by the run's seed (the ``graph`` stream of :mod:`sim.rng`). networkx is used
only for small graphs, checks and pictures, never on the 10⁶-node path
(docs/GRAPH.md has the timings).

Tie strength follows Dunbar's layers: cumulative 5 / 15 / 50 / 150 contacts are
intimate / close / friends / acquaintances (Dunbar 1992; Arnaboldi et al. 2015), scaled
to the mean degree ``k``. Long-range ties are weak ties (Granovetter 1973).

The generators live one per module: :mod:`~sim.graph.ring` (``small_world``),
:mod:`~sim.graph.holme_kim` (``powerlaw_cluster``), :mod:`~sim.graph.blocks`
(``communities``), :mod:`~sim.graph.complete_graph` and :mod:`~sim.graph.edgelist`;
:mod:`~sim.graph.dunbar` holds the layer rule. :func:`build_graph` picks one from a
scenario's ``world.graph``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Callable

import numpy as np

from ..errors import SocsimWarning
from .blocks import communities, community_labels
from .common import REDRAW_ROUNDS  # noqa: F401  (re-exported: the generators' limits)
from .complete_graph import COMPLETE_MAX_NODES, complete  # noqa: F401
from .csr import GraphError, SocialGraph
from .dunbar import DUNBAR_LAYERS, dunbar_cumulative, ring_layer_table
from .edgelist import EdgeListError, edge_list, write_edge_list
from .holme_kim import powerlaw_cluster
from .ring import SMALL_WORLD_MAX_NODES, small_world  # noqa: F401

if TYPE_CHECKING:  # pragma: no cover
    from ..config.schema import GraphSpec

__all__ = [
    "DUNBAR_LAYERS", "EdgeListError", "small_world", "powerlaw_cluster", "communities",
    "community_labels", "complete", "edge_list", "write_edge_list", "build_graph",
    "dunbar_cumulative", "ring_layer_table",
]


def build_graph(spec: "GraphSpec", n: int, rng: np.random.Generator) -> SocialGraph:
    """Build the social graph a scenario asks for.

    Parameters
    ----------
    spec : sim.config.schema.GraphSpec
        ``kind`` selects the generator; ``degree``, ``rewire``, ``triangle_prob``,
        ``communities``, ``mixing`` and ``path`` are its arguments.
    n : int
        Population (``world.population``).
    rng : numpy.random.Generator
        The run's graph stream.

    Returns
    -------
    SocialGraph

    Raises
    ------
    GraphError
        If the arguments cannot give a graph (messages say how to fix them).

    Notes
    -----
    ``powerlaw_cluster`` uses ``m = degree // 2`` ties per newcomer; ``complete``
    ignores ``degree``; ``edge_list`` reads ``path`` as given.
    """
    builders: dict[str, Callable[[], SocialGraph]] = {
        "small_world": lambda: small_world(n, spec.degree, spec.rewire, rng),
        "powerlaw_cluster": lambda: powerlaw_cluster(n, _half_degree(spec.degree), spec.triangle_prob, rng),
        "communities": lambda: communities(n, spec.degree, spec.communities, spec.mixing, rng),
        "edge_list": lambda: edge_list(spec.path, n),
        "complete": lambda: complete(n),
    }
    if spec.kind not in builders:
        raise GraphError(f"graph kind {spec.kind!r} is unknown: choose one of {', '.join(builders)}")
    return builders[spec.kind]()


def _half_degree(degree: int) -> int:
    if degree % 2:
        warnings.warn(f"degree {degree} is odd: Holme–Kim newcomers make degree // 2 = {degree // 2} "
                      f"ties, so the mean degree is {degree - 1}", SocsimWarning, stacklevel=4)
    return degree // 2
