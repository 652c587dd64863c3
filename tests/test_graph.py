"""Tests of sim.graph: CSR invariants, generators against theory and networkx, stats, I/O, plots."""

from __future__ import annotations

import warnings
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.config.schema import GraphSpec
from sim.errors import SocsimError, SocsimWarning
from sim.graph import (
    EdgeListError, GraphError, SocialGraph, build_graph, communities, community_labels, complete,
    edge_list, graph_stats, powerlaw_cluster, small_world, write_edge_list,
)
from sim.plots.graph import degree_histogram, ego_network_plot
from sim.graph.generators import dunbar_cumulative
from sim.graph.stats import distance_counts, local_clustering


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def from_networkx(graph: nx.Graph) -> SocialGraph:
    u, v = np.array(graph.edges(), dtype=np.int64).reshape(-1, 2).T
    return SocialGraph.from_edges(graph.number_of_nodes(), u, v)


def clustering_and_path(graph: SocialGraph, sources: int = 256) -> tuple[float, float]:
    """Exact mean clustering; mean shortest path from ``sources`` fixed sources."""
    clustering = local_clustering(graph, np.arange(graph.n)).mean()
    counts = distance_counts(graph, np.linspace(0, graph.n - 1, sources).astype(np.int64))
    return float(clustering), float((np.arange(len(counts)) * counts)[1:].sum() / counts[1:].sum())


def ring_mean_path(n: int, k: int) -> float:
    """Mean shortest path of a ring lattice: offset t is ceil(min(t, n − t) / (k/2)) hops."""
    offset = np.arange(1, n)
    return float(np.ceil(np.minimum(offset, n - offset) / (k // 2)).mean())


ALL_KINDS = {
    "small_world": lambda seed: small_world(600, 12, 0.2, rng(seed)),
    "powerlaw_cluster": lambda seed: powerlaw_cluster(600, 6, 0.5, rng(seed)),
    "communities": lambda seed: communities(600, 12, 6, 0.2, rng(seed)),
}


# ---------------------------------------------------------------------- (a) WS vs networkx
@pytest.mark.parametrize("beta", [0.05, 0.1, 0.2])
def test_small_world_matches_networkx_watts_strogatz(beta: float) -> None:
    n, k, reps = 2000, 20, 10
    ours = np.array([clustering_and_path(small_world(n, k, beta, rng(seed))) for seed in range(reps)])
    theirs = np.array([clustering_and_path(from_networkx(nx.watts_strogatz_graph(n, k, beta, seed=seed)))
                       for seed in range(reps)])
    spread = 3 * np.sqrt(ours.var(axis=0, ddof=1) / reps + theirs.var(axis=0, ddof=1) / reps)
    gap = np.abs(ours.mean(axis=0) - theirs.mean(axis=0))
    assert gap[0] <= spread[0] + 0.003, f"clustering {ours.mean(0)[0]:.4f} vs networkx {theirs.mean(0)[0]:.4f}"
    assert gap[1] <= spread[1] + 0.01, f"mean path {ours.mean(0)[1]:.4f} vs networkx {theirs.mean(0)[1]:.4f}"


# ---------------------------------------------------------------------- (b) ring lattice
def test_ring_has_exact_degree_and_dunbar_layers_per_node() -> None:
    graph = small_world(1000, 150, 0.0, rng())
    assert np.all(graph.degree() == 150)
    assert np.all(graph.node_layer_counts() == [5, 10, 35, 100])
    assert graph.layer_counts().as_tuple() == (2500, 5000, 17500, 50000)


@pytest.mark.parametrize("k", range(2, 202, 2))
def test_ring_layers_are_exact_for_every_even_degree(k: int) -> None:
    graph = small_world(max(1000, 2 * k + 2), k, 0.0, rng())
    counts = np.unique(graph.node_layer_counts(), axis=0)
    assert len(counts) == 1, f"k={k}: nodes differ {counts}"
    assert np.array_equal(np.cumsum(counts[0]), dunbar_cumulative(k))


@pytest.mark.parametrize("k, expected", [(10, 2 / 3), (150, 3 * 148 / (4 * 149))])
def test_ring_clustering_is_three_quarters_formula(k: int, expected: float) -> None:
    graph = small_world(1000, k, 0.0, rng())
    assert local_clustering(graph, np.arange(graph.n)) == pytest.approx(np.full(graph.n, expected))


def test_rewired_ties_are_acquaintances_and_ring_layers_shrink() -> None:
    graph = small_world(4000, 150, 1.0, rng())
    counts = graph.layer_counts()
    assert counts.acquaintances == graph.n_edges  # all ties rewired → all weak
    partly = small_world(4000, 150, 0.1, rng()).layer_counts()
    assert partly.intimate == pytest.approx(0.9 * 10000, rel=0.05)


# ---------------------------------------------------------------------- (c) reproducibility
@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_same_seed_same_bytes_other_seed_differs(kind: str) -> None:
    first, again, other = ALL_KINDS[kind](1), ALL_KINDS[kind](1), ALL_KINDS[kind](2)
    for name in ("indptr", "indices", "layer"):
        assert getattr(first, name).tobytes() == getattr(again, name).tobytes()
    assert first.indices.tobytes() != other.indices.tobytes()


# ---------------------------------------------------------------------- (d) invariants
def check_invariants(graph: SocialGraph) -> None:
    assert graph.indptr.dtype == np.int64 and graph.indices.dtype == np.int32 and graph.layer.dtype == np.uint8
    graph.check()  # sorted rows, no self-loops, no duplicates, symmetric with layers
    rows = np.repeat(np.arange(graph.n), graph.degree())
    pairs = set(zip(rows.tolist(), graph.indices.tolist()))
    assert len(pairs) == len(graph.indices)
    assert all((b, a) in pairs for a, b in pairs)
    assert not any(a == b for a, b in pairs)
    assert graph.layer.max(initial=0) <= 3


@pytest.mark.parametrize("kind", sorted(ALL_KINDS))
def test_generated_graphs_are_simple_and_symmetric(kind: str) -> None:
    check_invariants(ALL_KINDS[kind](3))


def graph_bytes(graph: SocialGraph) -> int:
    return graph.indptr.nbytes + graph.indices.nbytes + graph.layer.nbytes


@pytest.mark.parametrize(("build", "bound"), [
    (lambda: small_world(100_000, 150, 0.1, rng(0)), 1.25),
    # β = 1: while the rows fill, a 4-byte word per tie end and an 8-byte key per rewired tie (1.62 ×).
    (lambda: small_world(100_000, 150, 1.0, rng(0)), 1.7),
    # The block model holds one int64 key per tie (0.8 × the result) while it merges duplicates.
    (lambda: communities(100_000, 150, 20, 0.1, rng(0)), 2.0),
], ids=["small_world", "small_world_rewired", "communities"])
def test_build_holds_little_beyond_the_result(build, bound: float) -> None:
    """Ties are written into their CSR rows in place: no int64 key per directed entry (an
    extra 1.6 × the result) is held at any time, so a 10⁷ × 150 graph (7 GiB) fits in 12."""
    import tracemalloc

    build()  # compiled kernels loaded outside the measurement
    tracemalloc.start()
    try:
        graph = build()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert graph.indices.dtype == np.int32 and graph.layer.dtype == np.uint8
    assert peak <= bound * graph_bytes(graph)


@pytest.mark.parametrize(("case", "digest"), [
    ((5000, 40, 1.0, 1), "ff406dcea38ff967"), ((5000, 40, 0.1, 2), "add7b641ebaf6524"),
    ((300, 150, 0.1, 12), "fcc532336683959b"), ((21, 20, 1.0, 0), "f3c714ae409b0113"),
    ((200, 150, 0.5, 3), "ed89959204a28815"),
])
def test_small_world_graphs_keep_their_bytes(case: tuple[int, int, float, int], digest: str) -> None:
    """A seed's small world stays the same graph when the build changes (SHA-256 of the
    CSR arrays as first built): many rewired, few, and nearly complete rings."""
    import hashlib

    graph, sha = quiet_small_world(*case), hashlib.sha256()
    for array in (graph.indptr, graph.indices, graph.layer):
        sha.update(array.tobytes())
    assert sha.hexdigest()[:16] == digest


@pytest.mark.parametrize("n", [151, 152, 153, 200, 301])
@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
def test_ring_rows_near_both_ends_of_the_id_range_are_sorted(n: int, beta: float) -> None:
    """Rows within k/2 of id 0 or n − 1 wrap around the ring: their contacts are written
    from the offset whose contact is smallest (the other rows need no such care)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SocsimWarning)
        graph = small_world(n, 150, beta, rng(n))
    check_invariants(graph)
    if beta == 0.0:
        assert np.all(graph.degree() == 150)


def test_complete_graph() -> None:
    graph = complete(40)
    check_invariants(graph)
    assert np.all(graph.degree() == 39) and graph.n_edges == 40 * 39 // 2
    assert graph.layer_counts().acquaintances == graph.n_edges


@pytest.mark.parametrize("n, k, beta", [(11, 10, 0.5), (21, 20, 1.0), (30, 28, 0.3), (100, 98, 0.1)])
def test_dense_rewiring_keeps_every_tie(n: int, k: int, beta: float) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SocsimWarning)
        graph = small_world(n, k, beta, rng())
    check_invariants(graph)
    assert graph.n_edges == n * k // 2


def promised_ring_degree(n: int, k: int) -> int:
    """The degree small_world promises: capped below n, then rounded down to even."""
    if k >= n:
        k = n - 1 if (n - 1) % 2 == 0 else n - 2
    return k - k % 2


def quiet_small_world(n: int, k: int, beta: float, seed: int) -> SocialGraph:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SocsimWarning)  # cap / odd / undone-rewiring warnings
        return small_world(n, k, beta, rng(seed))


def check_small_world(n: int, k: int, beta: float, seed: int) -> None:
    """Simple, undirected, exact degree; rewiring only demotes a node's ring ties to acquaintances."""
    graph, ring = quiet_small_world(n, k, beta, seed), quiet_small_world(n, k, 0.0, seed)
    check_invariants(graph)
    promised = promised_ring_degree(n, k)
    assert graph.n_edges == n * promised // 2 and graph.degree().mean() == promised
    inner, ring_inner = (np.cumsum(g.node_layer_counts(), axis=1)[:, :3] for g in (graph, ring))
    # An odd ring cannot split a layer exactly per node (docs/GRAPH.md): off by at most one.
    assert np.abs(ring_inner - dunbar_cumulative(promised)[:3]).max() <= n % 2
    assert np.all(inner <= ring_inner)


# Regression: the last redraw round placing every tie crashed the ring restore step
# ("need at least one array to concatenate"); n=300, k=150, seed 12 hit it.
@pytest.mark.parametrize("n, k, beta, seed", [(300, 150, 0.1, 12), (12, 8, 0.3, 0), (14, 10, 1.0, 3)])
def test_small_world_when_the_last_redraw_round_places_every_tie(n: int, k: int, beta: float, seed: int) -> None:
    check_small_world(n, k, beta, seed)


@pytest.mark.parametrize("beta", [5e-324, 1e-300, 1e-19])
def test_tiny_rewiring_probability_rewires_nothing(beta: float) -> None:
    # numpy's geometric gaps for such p are near 2⁶³ and their sum wrapped around
    # (negative positions or an endless loop); now they are clipped.
    graph = small_world(50, 10, beta, rng())
    assert graph.indices.tobytes() == small_world(50, 10, 0.0, rng()).indices.tobytes()


@settings(max_examples=150, deadline=None)
@given(st.integers(3, 40).flatmap(lambda n: st.tuples(
    st.just(n), st.integers(max(2, n - 8), n + 1), st.floats(0.0, 1.0), st.integers(0, 2**32 - 1))))
def test_small_world_near_complete_is_simple_with_the_promised_degree(case: tuple[int, int, float, int]) -> None:
    check_small_world(*case)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, 3)), max_size=80))))
def test_from_edges_matches_a_set_reference(case: tuple[int, list[tuple[int, int, int]]]) -> None:
    n, edges = case
    u, v, layer = (np.array(col, dtype=np.int64) for col in zip(*edges)) if edges else (np.empty(0, np.int64),) * 3
    graph = SocialGraph.from_edges(n, u, v, layer)
    strongest: dict[tuple[int, int], int] = {}
    for a, b, c in edges:
        if a != b:
            key = (min(a, b), max(a, b))
            strongest[key] = min(c, strongest.get(key, 3))
    got_u, got_v, got_layer = graph.upper_edges()
    assert dict(zip(zip(got_u.tolist(), got_v.tolist()), got_layer.tolist())) == strongest
    check_invariants(graph)


def test_from_edges_rejects_bad_input() -> None:
    with pytest.raises(GraphError, match="outside 0 .. 9"):
        SocialGraph.from_edges(10, np.array([0]), np.array([10]))
    with pytest.raises(GraphError, match="layers must be 0 .. 3"):
        SocialGraph.from_edges(10, np.array([0]), np.array([1]), np.array([4]))
    with pytest.raises(GraphError, match="equal length"):
        SocialGraph.from_edges(10, np.array([0, 1]), np.array([1]))


def test_graph_is_read_only_and_views_work() -> None:
    graph = small_world(100, 6, 0.0, rng())
    assert graph.neighbours(0).tolist() == [1, 2, 3, 97, 98, 99]
    # k = 6: cumulative layers (0, 1, 2, 6); distance 1 is split close / friends by owner parity.
    assert graph.neighbour_layers(0).tolist() == [1, 3, 3, 3, 3, 2]
    assert graph.n == 100 and graph.n_edges == 300 and graph.degree().tolist() == [6] * 100
    with pytest.raises(ValueError):
        graph.indices[0] = 5


def test_to_networkx_round_trip_and_size_limit() -> None:
    graph = small_world(200, 8, 0.1, rng())
    nx_graph = graph.to_networkx()
    assert nx_graph.number_of_edges() == graph.n_edges
    assert {d["layer"] for _, _, d in nx_graph.edges(data=True)} <= {0, 1, 2, 3}
    empty = SocialGraph(np.zeros(200_002, np.int64), np.empty(0, np.int32), np.empty(0, np.uint8))
    with pytest.raises(GraphError, match="200000"):
        empty.to_networkx()


# ---------------------------------------------------------------------- (e) edge lists
def test_edge_list_round_trip(tmp_path: Path) -> None:
    graph = small_world(300, 10, 0.3, rng())
    path = write_edge_list(graph, tmp_path / "ties.txt")
    again = edge_list(path, 300)
    for name in ("indptr", "indices", "layer"):
        assert np.array_equal(getattr(graph, name), getattr(again, name))


def test_edge_list_two_columns_comments_and_isolated_nodes(tmp_path: Path) -> None:
    path = tmp_path / "ties.txt"
    path.write_text("# friends\n0 1\n\n2 3  # trailing comment\n")
    graph = edge_list(path, 6)
    assert graph.n == 6 and graph.n_edges == 2 and graph.layer_counts().acquaintances == 2
    assert graph.degree().tolist() == [1, 1, 1, 1, 0, 0]


@pytest.mark.parametrize("text, line, message", [
    ("0 1\n1 x\n", 2, "expected 'u v' or 'u v layer'"),
    ("0 1\n1 2 3 4\n", 2, "expected 'u v' or 'u v layer'"),
    ("0 1 2\n# note\n1 2\n", 3, "give every line a layer or none"),
    ("0 1\n\n3 10\n", 3, "node id 10 is outside 0 .. 9"),
    ("0 1\n-1 2\n", 2, "node id -1 is outside"),
    ("0 1 2\n1 2 9\n", 2, "layer 9 is not 0 .. 3"),
    ("0 1.5\n", 1, "expected 'u v' or 'u v layer'"),
])
def test_bad_edge_lists_name_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(EdgeListError) as error:
        edge_list(path, 10)
    assert f"{path}:{line}:" in str(error.value)
    assert message in str(error.value)
    assert isinstance(error.value, SocsimError)


def test_missing_edge_list_and_odd_content_warn(tmp_path: Path) -> None:
    with pytest.raises(EdgeListError, match="not found"):
        edge_list(tmp_path / "nope.txt", 10)
    path = tmp_path / "loops.txt"
    path.write_text("0 0 1\n1 2 3\n2 1 0\n")
    with pytest.warns(SocsimWarning, match="1 self-loops and merged 1 repeated"):
        graph = edge_list(path, 5)
    assert graph.n_edges == 1 and graph.layer_counts().intimate == 1


# ---------------------------------------------------------------------- (f) Holme–Kim and SBM
def test_holme_kim_degree_hubs_and_clustering_above_random() -> None:
    n, m = 3000, 5
    graph = powerlaw_cluster(n, m, 0.5, rng())
    stats = graph_stats(graph, rng(), n_clustering=n)
    assert stats.mean_degree == pytest.approx(2 * m, rel=0.01)
    assert stats.degree.min == m and stats.degree.max > 8 * stats.mean_degree  # hubs
    er = from_networkx(nx.gnm_random_graph(n, graph.n_edges, seed=1))
    er_clustering = local_clustering(er, np.arange(n)).mean()
    assert stats.clustering > 10 * er_clustering
    no_triads = graph_stats(powerlaw_cluster(n, m, 0.0, rng()), rng(), n_clustering=n)
    assert stats.clustering > 2 * no_triads.clustering  # triad formation makes the clustering


def test_holme_kim_layers_follow_dunbar_shares() -> None:
    counts = np.array(powerlaw_cluster(3000, 75, 0.5, rng()).layer_counts().as_tuple())
    assert counts / counts.sum() == pytest.approx(np.array([5, 10, 35, 100]) / 150, abs=0.005)


@pytest.mark.parametrize("mixing", [0.0, 0.1, 0.5])
def test_communities_degree_mixing_and_layers(mixing: float) -> None:
    n, k, blocks = 3000, 30, 10
    graph = communities(n, k, blocks, mixing, rng())
    assert graph.n_edges == n * k // 2
    label = community_labels(n, blocks)
    u, v, layer = graph.upper_edges()
    cross = label[u] != label[v]
    assert cross.mean() == pytest.approx(mixing, abs=3 * np.sqrt(0.25 / len(u)) + 1e-9)
    assert np.all(layer[cross] == 3)
    shares = np.bincount(layer, minlength=4) / len(layer)
    assert shares == pytest.approx(np.array([5, 10, 35, 100]) / 150, abs=0.01)


def test_community_labels_are_balanced_blocks() -> None:
    label = community_labels(10, 3)
    assert label.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 2]


# ---------------------------------------------------------------------- (g) stats
def test_stats_on_a_ring_lattice_match_theory() -> None:
    n, k = 200, 10
    stats = graph_stats(small_world(n, k, 0.0, rng()), rng(), n_sources=n, n_clustering=n)
    assert stats.clustering == pytest.approx(3 * (k - 2) / (4 * (k - 1)))
    assert stats.clustering_se == 0.0
    assert stats.mean_path_length == pytest.approx(ring_mean_path(n, k))
    assert stats.effective_diameter == 18  # 90 % of the offsets 1..199 lie within 18 hops of 5
    assert stats.reachable_share == 1.0 and stats.mean_degree == k
    assert stats.degree.min == stats.degree.max == k
    assert stats.layers.total == n * k // 2
    assert stats.distance_counts[0] == n * k


def test_stats_match_networkx_on_a_random_graph() -> None:
    graph = powerlaw_cluster(400, 3, 0.7, rng(5))
    reference = graph.to_networkx()
    stats = graph_stats(graph, rng(), n_sources=400, n_clustering=400)
    assert stats.clustering == pytest.approx(nx.average_clustering(reference))
    assert stats.mean_path_length == pytest.approx(nx.average_shortest_path_length(reference))


def test_stats_count_unreachable_pairs() -> None:
    ring = small_world(50, 4, 0.0, rng())
    u, v, layer = ring.upper_edges()
    twin = SocialGraph.from_edges(100, np.concatenate((u, u + 50)), np.concatenate((v, v + 50)),
                                  np.concatenate((layer, layer)))
    stats = graph_stats(twin, rng(), n_sources=100, n_clustering=100)
    assert stats.reachable_share == pytest.approx(49 / 99)
    assert stats.mean_path_length == pytest.approx(ring_mean_path(50, 4))


def test_sampled_stats_are_close_and_seeded() -> None:
    graph = small_world(20000, 40, 0.1, rng())
    first = graph_stats(graph, rng(7), n_sources=64, n_clustering=500)
    assert first == graph_stats(graph, rng(7), n_sources=64, n_clustering=500)
    assert first.clustering_sample == 500 and first.path_sources == 64
    full = local_clustering(graph, np.arange(graph.n)).mean()
    assert abs(first.clustering - full) < 4 * first.clustering_se
    assert first.as_dict()["layers"]["intimate"] == graph.layer_counts().intimate


# ---------------------------------------------------------------------- build_graph
@pytest.mark.parametrize("kind", ["small_world", "powerlaw_cluster", "communities", "complete"])
def test_build_graph_dispatches_every_kind(kind: str) -> None:
    graph = build_graph(GraphSpec(kind=kind, degree=10, communities=5), 300, rng())
    check_invariants(graph)
    expected = 300 * 299 // 2 if kind == "complete" else 1500
    assert abs(graph.n_edges - expected) <= 0.02 * expected


def test_build_graph_reads_edge_lists(tmp_path: Path) -> None:
    path = write_edge_list(small_world(50, 4, 0.0, rng()), tmp_path / "e.txt")
    assert build_graph(GraphSpec(kind="edge_list", path=str(path)), 50, rng()).n_edges == 100


def test_odd_and_too_large_degrees_warn_and_cap() -> None:
    with pytest.warns(SocsimWarning, match="degree 150 >= population 100: capped at 98"):
        graph = small_world(100, 150, 0.0, rng())
    assert np.all(graph.degree() == 98)
    with pytest.warns(SocsimWarning, match="odd"):
        assert np.all(small_world(100, 11, 0.0, rng()).degree() == 10)
    with pytest.warns(SocsimWarning, match="odd"):
        build_graph(GraphSpec(kind="powerlaw_cluster", degree=11), 100, rng())


def test_impossible_graphs_raise_with_a_fix() -> None:
    with pytest.raises(GraphError, match="at most 20000 nodes"):
        complete(20001)
    with pytest.raises(GraphError, match="choose fewer communities"):
        communities(100, 4, 60, 0.1, rng())
    with pytest.raises(GraphError, match="too small"):
        small_world(2, 2, 0.0, rng())
    with pytest.raises(GraphError, match=r"\[0, 1\]"):
        small_world(100, 4, 1.5, rng())


# ---------------------------------------------------------------------- (h) plots
def test_plots_write_png_files(tmp_path: Path) -> None:
    graph = small_world(2000, 40, 0.1, rng())
    hubs = powerlaw_cluster(2000, 4, 0.5, rng())
    written = (degree_histogram(graph, tmp_path / "degree.png")
               + degree_histogram(hubs, tmp_path / "hubs.png")
               + ego_network_plot(graph, 5, tmp_path / "ego" / "ego.png", rng(), max_nodes=30))
    for path in written:
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    with pytest.raises(GraphError, match="outside"):
        ego_network_plot(graph, 5000, tmp_path / "x.png", rng())
