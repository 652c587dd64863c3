"""Independent cascade cross-check: our word-of-mouth kernel vs NDlib.

On the same small-world graph, single-shot cascades of :func:`sim.verification.cascade.cascade_sizes`
(our ``word_of_mouth`` kernel, ``tie_reach[layer]`` as the activation probability) and of
NDlib's ``IndependentCascadesModel`` (edge ``threshold`` = the same probability) must have
the same distribution of cascade sizes: two-sample KS test at α = 0.01 over ≥ 200
cascades each, from the same seed nodes. A kernel with reach × 1.5 must be rejected.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.verification.cascade import cascade_sizes
from sim.graph import SocialGraph, complete, small_world

ep = pytest.importorskip("ndlib.models.epidemics", reason="ndlib is in the 'test' extra")
mc = pytest.importorskip("ndlib.models.ModelConfig")

ALPHA = 0.01
NEAR_CRITICAL = (0.3, 0.2, 0.1, 0.08)   # ≈ 0.9 new sharers per sharer on this graph
SUPERCRITICAL = (0.5, 0.3, 0.2, 0.15)   # ≈ 1.7: cascades die out or take a large share


def ndlib_cascade_sizes(graph: SocialGraph, seeds: np.ndarray, tie_reach: tuple, seed: int) -> np.ndarray:
    """Cascade sizes from NDlib's independent cascades model on the same graph."""
    nx_graph = graph.to_networkx()
    model = ep.IndependentCascadesModel(nx_graph, seed=seed)
    config = mc.Configuration()
    for u, v, data in nx_graph.edges(data=True):
        config.add_edge_configuration("threshold", (u, v), tie_reach[data["layer"]])
    config.add_model_initial_configuration("Infected", [int(seeds[0])])
    model.set_initial_status(config)
    assert len(model.params["edges"]["threshold"]) == graph.n_edges  # else NDlib silently uses 1/degree
    sizes = []
    for s in seeds:
        model.reset(infected_nodes=[int(s)])
        while True:
            step = model.iteration(node_status=False)
            if step["iteration"] > 0 and step["node_count"][1] == 0:
                break
        sizes.append(graph.n - step["node_count"][0])
    return np.asarray(sizes)


@pytest.fixture(scope="module")
def near_critical() -> tuple[SocialGraph, np.ndarray, np.ndarray]:
    """Graph, seed nodes and NDlib's cascade sizes at the near-critical reach."""
    graph = small_world(1000, 10, 0.1, np.random.default_rng(0))
    seeds = np.random.default_rng(1).integers(graph.n, size=300)
    return graph, seeds, ndlib_cascade_sizes(graph, seeds, NEAR_CRITICAL, seed=3)


def _assert_same_distribution(ours: np.ndarray, theirs: np.ndarray) -> None:
    p = stats.ks_2samp(ours, theirs).pvalue
    assert p > ALPHA, (p, ours.mean(), theirs.mean())
    assert ours.max() > 10 and len(np.unique(ours)) > 10  # a broad distribution, not a trivial one


def test_near_critical_cascade_sizes_match_ndlib(near_critical):
    graph, seeds, theirs = near_critical
    _assert_same_distribution(cascade_sizes(graph, seeds, NEAR_CRITICAL, np.random.default_rng(2)), theirs)


def test_supercritical_cascade_sizes_match_ndlib():
    graph = small_world(300, 10, 0.1, np.random.default_rng(0))
    seeds = np.random.default_rng(1).integers(graph.n, size=200)
    ours = cascade_sizes(graph, seeds, SUPERCRITICAL, np.random.default_rng(2))
    _assert_same_distribution(ours, ndlib_cascade_sizes(graph, seeds, SUPERCRITICAL, seed=3))


def test_a_kernel_with_more_reach_is_told_apart(near_critical):
    """Negative control: the same comparison rejects reach × 1.5."""
    graph, seeds, theirs = near_critical
    stronger = tuple(1.5 * r for r in NEAR_CRITICAL)
    ours = cascade_sizes(graph, seeds, stronger, np.random.default_rng(2))
    assert stats.ks_2samp(ours, theirs).pvalue < ALPHA


def test_cascade_limits():
    """Reach 1 on every tie floods the connected graph; reach 0 stops at the seed."""
    graph = complete(50)
    rng = np.random.default_rng(0)
    np.testing.assert_array_equal(cascade_sizes(graph, [0, 7], (1.0, 1.0, 1.0, 1.0), rng), [50, 50])
    np.testing.assert_array_equal(cascade_sizes(graph, [0, 7], (0.0, 0.0, 0.0, 0.0), rng), [1, 1])
