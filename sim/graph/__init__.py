"""The social graph: CSR storage, generators and statistics (docs/GRAPH.md); its pictures are in :mod:`sim.plots.graph`.

Typical use::

    from sim.graph import build_graph, graph_stats
    graph = build_graph(scenario.world.graph, scenario.world.population, streams.graph)
    stats = graph_stats(graph, rng)

docs/GRAPH.md describes the generators, the Dunbar layer rule and the benchmarks.
"""

from .csr import LAYER_NAMES, GraphError, LayerCounts, SocialGraph
from .generators import (
    EdgeListError, build_graph, communities, community_labels, complete, edge_list,
    powerlaw_cluster, small_world, write_edge_list,
)
from .stats import DegreeQuantiles, GraphStats, graph_stats

__all__ = [
    "LAYER_NAMES", "GraphError", "LayerCounts", "SocialGraph", "EdgeListError",
    "build_graph", "small_world", "powerlaw_cluster", "communities", "community_labels",
    "complete", "edge_list", "write_edge_list", "DegreeQuantiles", "GraphStats", "graph_stats",
]
