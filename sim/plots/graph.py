"""Pictures of a social graph: degree histogram and a sampled ego network.

Figures are :class:`~matplotlib.figure.Figure` objects saved through :mod:`sim.plots.style`
(no pyplot, no global backend switch). networkx draws only the small sampled ego network, never the graph.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.lines import Line2D

from ..graph.csr import LAYER_NAMES, GraphError, SocialGraph
from .style import figure, save

__all__ = ["LAYER_COLOURS", "degree_histogram", "ego_network_plot"]

#: Tie colours by Dunbar layer (intimate → acquaintances: dark to light).
LAYER_COLOURS = ("#b2182b", "#ef8a62", "#67a9cf", "#bdbdbd")


def degree_histogram(graph: SocialGraph, path: str | Path) -> list[Path]:
    """Histogram of the degree; log–log with log bins when degrees span a decade or more.

    Parameters
    ----------
    graph : SocialGraph
    path : str or pathlib.Path
        PNG file to write.

    Returns
    -------
    list of pathlib.Path
        The file written.
    """
    degree = graph.degree()
    fig = figure((6, 4))
    ax = fig.subplots()
    low, high = (int(degree.min()), int(degree.max())) if len(degree) else (0, 0)
    if low > 0 and high >= 10 * low:
        # Log-spaced edges on half-integers; heights per unit degree so that wide bins
        # do not inflate the tail (a power law shows as a straight line).
        edges = np.unique(np.round(np.geomspace(low, high + 1, 40))) - 0.5
        counts, _ = np.histogram(degree, bins=edges)
        ax.stairs(counts / np.diff(edges), edges, fill=True, color="#4575b4")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylabel("consumers per unit of degree")
    else:
        bins = np.arange(low, high + 2) - 0.5 if high - low <= 60 else 40
        ax.hist(degree, bins=bins, color="#4575b4")
        ax.set_ylabel("consumers")
    mean = degree.mean() if len(degree) else 0.0
    ax.set_xlabel("contacts (degree)")
    ax.set_title(f"Degree distribution: {graph.n:,} nodes, mean {mean:.1f}")
    return [save(fig, path, bbox_inches="tight")]


def ego_network_plot(graph: SocialGraph, node: int, path: str | Path, rng: np.random.Generator,
                     max_nodes: int = 40) -> list[Path]:
    """Draw a node, a sample of its contacts, and the ties among them, coloured by layer.

    Parameters
    ----------
    graph : SocialGraph
    node : int
        The ego.
    path : str or pathlib.Path
        PNG file to write.
    rng : numpy.random.Generator
        Samples the contacts and seeds the spring layout.
    max_nodes : int, default 40
        Most nodes drawn (the ego included); contacts beyond it are sampled uniformly.

    Returns
    -------
    list of pathlib.Path
        The file written.

    Raises
    ------
    GraphError
        If ``node`` is not a node of the graph or ``max_nodes < 2``.
    """
    if not 0 <= node < graph.n:
        raise GraphError(f"ego node {node} is outside 0 .. {graph.n - 1}")
    if max_nodes < 2:
        raise GraphError(f"max_nodes {max_nodes} is too small: draw at least the ego and one contact")
    ego = _ego_subgraph(graph, node, rng, max_nodes)
    fig = figure((7, 7))
    ax = fig.subplots()
    _draw_ego(ego, node, ax, seed=int(rng.integers(2**31 - 1)))
    shown = ego.number_of_nodes() - 1
    ax.set_title(f"Ego network of consumer {node}: {shown} of {len(graph.neighbours(node))} contacts")
    return [save(fig, path, bbox_inches="tight")]


def _ego_subgraph(graph: SocialGraph, node: int, rng: np.random.Generator, max_nodes: int):
    """networkx graph on the ego and a sample of its contacts, with their mutual ties."""
    import networkx as nx

    contacts = graph.neighbours(node)
    if len(contacts) > max_nodes - 1:
        contacts = np.sort(rng.choice(contacts, size=max_nodes - 1, replace=False))
    members = np.concatenate(([node], contacts)).astype(np.int64)
    ego = nx.Graph()
    ego.add_nodes_from(members.tolist())
    for member in members.tolist():
        row, layer = graph.neighbours(member), graph.neighbour_layers(member)
        keep = np.isin(row, members) & (row > member)
        ego.add_edges_from((member, int(v), {"layer": int(c)}) for v, c in zip(row[keep], layer[keep]))
    return ego


def _draw_ego(ego, node: int, ax, seed: int) -> None:
    """Spring layout (seeded); ties coloured by layer, strong ties drawn on top.

    The ego's own ties are thick and opaque; ties among its contacts thin and faint, so
    the ego's Dunbar layers stay readable.
    """
    import networkx as nx

    position = nx.spring_layout(ego, seed=seed)
    edges = sorted(ego.edges(data="layer"), key=lambda edge: -edge[2])  # acquaintances first
    for own in (False, True):
        chosen = [(u, v, c) for u, v, c in edges if (node in (u, v)) == own]
        if chosen:
            nx.draw_networkx_edges(
                ego, position, ax=ax, edgelist=[(u, v) for u, v, _ in chosen],
                edge_color=[LAYER_COLOURS[c] for _, _, c in chosen],
                width=2.5 if own else 0.6, alpha=1.0 if own else 0.35)
    others = [v for v in ego.nodes if v != node]
    nx.draw_networkx_nodes(ego, position, nodelist=others, ax=ax, node_size=60, node_color="#4d4d4d")
    nx.draw_networkx_nodes(ego, position, nodelist=[node], ax=ax, node_size=240, node_color="#fdb863",
                           edgecolors="black")
    handles = [Line2D([0], [0], color=colour, lw=2.5, label=name)
               for name, colour in zip(LAYER_NAMES, LAYER_COLOURS)]
    ax.legend(handles=handles, title="tie layer (Dunbar)", loc="upper right", fontsize=8)
    ax.set_axis_off()
