"""The social graph as compressed sparse rows (CSR): 5 bytes per directed tie entry.

A :class:`SocialGraph` holds an undirected graph as a symmetric CSR adjacency:
``indices[indptr[i]:indptr[i+1]]`` are the contacts of consumer ``i`` (sorted), and
``layer`` gives the Dunbar layer of each of those ties (0 intimate, 1 close, 2 friends,
3 acquaintances). At N = 10⁷ and k = 150 that is 1.5 G directed entries, so node ids are
int32 (4 bytes), a layer is one byte, and the build writes the result in place.

Generators that draw ties at random pack each undirected edge ``a < b`` into one int64
key ``((a << B) | b) << 2 | layer`` (B bits per node id) and sort in place to merge
duplicates (numpy's SIMD value sort; ``argsort`` is ~10× slower here); the keys are
then written into their rows of the result and each row is sorted on its own
(:mod:`sim.graph.fill`), so no int64 key per directed entry is ever held. The ring
generator writes its ring ties into the rows straight from the ring's structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import SocsimError
from .fill import count_pair_ends, empty_rows, place_pairs, rows_from_words

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = [
    "LAYER_NAMES", "INTIMATE", "CLOSE", "FRIENDS", "ACQUAINTANCES", "N_LAYERS",
    "GraphError", "LayerCounts", "SocialGraph", "node_bits", "row_blocks",
    "pack_keys", "drop_duplicate_pairs", "csr_from_pairs",
]

LAYER_NAMES = ("intimate", "close", "friends", "acquaintances")
INTIMATE, CLOSE, FRIENDS, ACQUAINTANCES = 0, 1, 2, 3
N_LAYERS = 4

#: Largest graph ``to_networkx`` converts (networkx needs ~1 KB per tie).
NX_MAX_NODES = 200_000
#: Entries processed per chunk when decoding keys: bounds int64 temporaries to ~32 MB.
CHUNK = 1 << 18
#: Largest population whose edge keys fit in an int64 (2·30 + 2 bits for the layer).
MAX_NODES = 1 << 30


class GraphError(SocsimError):
    """A social graph cannot be built or used as asked (the message says how to fix it)."""


@dataclass(frozen=True)
class LayerCounts:
    """Undirected ties per Dunbar layer (Dunbar 1992; Arnaboldi et al. 2015)."""

    intimate: int
    close: int
    friends: int
    acquaintances: int

    @property
    def total(self) -> int:
        """All ties."""
        return self.intimate + self.close + self.friends + self.acquaintances

    def as_dict(self) -> dict[str, int]:
        """``{layer name: ties}`` in layer order."""
        return dict(zip(LAYER_NAMES, self.as_tuple()))

    def as_tuple(self) -> tuple[int, int, int, int]:
        """Counts in layer-code order (0 intimate … 3 acquaintances)."""
        return (self.intimate, self.close, self.friends, self.acquaintances)


def row_blocks(indptr: np.ndarray, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """Split rows into consecutive ranges ``(first, last)`` of about ``chunk`` entries.

    A single row longer than ``chunk`` forms its own range.
    """
    n = len(indptr) - 1
    cuts = np.searchsorted(indptr, np.arange(0, int(indptr[-1]), chunk, dtype=np.int64), side="right") - 1
    bounds = np.unique(np.concatenate(([0], cuts, [n])))
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def node_bits(n: int) -> int:
    """Bits needed for a node id below ``n`` (at least 1)."""
    return max(1, int(n - 1).bit_length())


@dataclass(frozen=True, eq=False)
class SocialGraph:
    """An undirected social graph in CSR form with a Dunbar layer per tie.

    Attributes
    ----------
    indptr : numpy.ndarray of int64, shape (n + 1,)
        Row pointers: the ties of node ``i`` are entries ``indptr[i]:indptr[i+1]``.
    indices : numpy.ndarray of int32, shape (2 · n_edges,)
        Contact of each directed entry, sorted within each row. Every undirected tie
        appears once in each endpoint's row.
    layer : numpy.ndarray of uint8, shape (2 · n_edges,)
        Dunbar layer of each entry, aligned with ``indices`` (0 intimate, 1 close,
        2 friends, 3 acquaintances); both directions of a tie carry the same layer.

    Notes
    -----
    The arrays are made read-only: a graph is built once per run and shared.
    Build one with :meth:`from_edges` or a generator in :mod:`sim.graph.generators`.
    """

    indptr: np.ndarray
    indices: np.ndarray
    layer: np.ndarray

    def __post_init__(self) -> None:
        _check_arrays(self.indptr, self.indices, self.layer)
        for array in (self.indptr, self.indices, self.layer):
            array.flags.writeable = False

    # ------------------------------------------------------------------ size
    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.indptr) - 1

    @property
    def n_edges(self) -> int:
        """Number of undirected ties."""
        return len(self.indices) // 2

    def degree(self) -> np.ndarray:
        """Number of contacts of every node (int64, shape (n,))."""
        return np.diff(self.indptr)

    def neighbours(self, i: int) -> np.ndarray:
        """Contacts of node ``i``, sorted (a read-only view)."""
        return self.indices[self.indptr[i]:self.indptr[i + 1]]

    def neighbour_layers(self, i: int) -> np.ndarray:
        """Layers of node ``i``'s ties, aligned with :meth:`neighbours`."""
        return self.layer[self.indptr[i]:self.indptr[i + 1]]

    # ------------------------------------------------------------------ layers
    def layer_counts(self) -> LayerCounts:
        """Undirected ties per Dunbar layer."""
        # count_nonzero per layer: bincount would first copy the uint8 array to int64.
        return LayerCounts(*(int(np.count_nonzero(self.layer == j)) // 2 for j in range(N_LAYERS)))

    def node_layer_counts(self) -> np.ndarray:
        """Ties per node and layer, int64 array of shape (n, 4).

        One pass over all entries in blocks of rows, so no n·k temporaries.
        """
        out = np.zeros((self.n, N_LAYERS), dtype=np.int64)
        degree = self.degree()
        for first, last in row_blocks(self.indptr):
            rows = np.repeat(np.arange(last - first, dtype=np.int64), degree[first:last])
            cells = rows * N_LAYERS + self.layer[self.indptr[first]:self.indptr[last]]
            out[first:last] = np.bincount(cells, minlength=(last - first) * N_LAYERS).reshape(-1, N_LAYERS)
        return out

    # ------------------------------------------------------------------ views
    def upper_edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each undirected tie once: ``(u, v, layer)`` with ``u < v``, sorted by (u, v)."""
        rows = np.repeat(np.arange(self.n, dtype=np.int32), self.degree())
        upper = self.indices > rows
        return rows[upper], self.indices[upper], self.layer[upper]

    def to_networkx(self) -> "nx.Graph":
        """A ``networkx.Graph`` with a ``layer`` attribute per edge (small graphs only).

        Raises
        ------
        GraphError
            If the graph has more than 200 000 nodes.
        """
        if self.n > NX_MAX_NODES:
            raise GraphError(
                f"to_networkx refuses {self.n} nodes (> {NX_MAX_NODES}): networkx needs "
                "about 1 KB per tie; work on the CSR arrays, or draw a sampled ego network "
                "(sim.plots.graph.ego_network_plot)")
        import networkx as nx

        graph = nx.Graph()
        graph.add_nodes_from(range(self.n))
        u, v, layer = self.upper_edges()
        graph.add_edges_from(
            (a, b, {"layer": c}) for a, b, c in zip(u.tolist(), v.tolist(), layer.tolist()))
        return graph

    def check(self) -> None:
        """Verify the invariants (sorted rows, no self-loops or duplicates, symmetric).

        Costs a sort of all entries; meant for tests and for graphs read from files.

        Raises
        ------
        GraphError
            Naming the first broken invariant.
        """
        rows = np.repeat(np.arange(self.n, dtype=np.int64), self.degree())
        if np.any(rows == self.indices):
            raise GraphError("graph has self-loops")
        step = np.diff(self.indices.astype(np.int64))
        row_start = np.zeros(len(self.indices) + 1, dtype=bool)
        row_start[self.indptr] = True
        # step e compares entries e and e+1; it must increase unless e+1 opens a row.
        if np.any(step[~row_start[1:len(self.indices)]] <= 0):
            raise GraphError("rows are not strictly increasing (unsorted or duplicate ties)")
        forward = (rows << 32 | self.indices) << 2 | self.layer
        backward = (self.indices.astype(np.int64) << 32 | rows) << 2 | self.layer
        forward.sort()
        backward.sort()
        if not np.array_equal(forward, backward):
            raise GraphError("graph is not symmetric (a tie or its layer is missing in one direction)")

    # ------------------------------------------------------------------ build
    @classmethod
    def from_edges(cls, n: int, u: np.ndarray, v: np.ndarray,
                   layer: np.ndarray | int | None = None) -> "SocialGraph":
        """Build a graph from undirected ties given as endpoint arrays.

        Parameters
        ----------
        n : int
            Number of nodes; ids must lie in ``0 .. n-1``.
        u, v : numpy.ndarray of int
            Endpoints of each tie (either orientation).
        layer : numpy.ndarray of int, int or None, default None
            Dunbar layer of each tie (0–3), one value for all, or None for
            acquaintances (3).

        Returns
        -------
        SocialGraph
            Symmetrised, without self-loops; a pair given several times is kept once with
            its strongest layer (smallest code).

        Raises
        ------
        GraphError
            If arrays differ in length, or an id or a layer is out of range.

        Notes
        -----
        Cost: an in-place sort of one int64 key per tie (to merge duplicates), then each
        tie written into both rows and each row sorted (:func:`csr_from_pairs`). Peak
        memory ≈ 16 bytes per tie of keys (briefly twice, while duplicates are merged)
        plus the inputs and the result (10 bytes per tie).
        """
        u, v, layer = _validate_edges(n, u, v, layer)
        bits = node_bits(n)
        keys = pack_keys(u, v, layer, bits)
        keys.sort()
        keys = keys[np.searchsorted(keys, 0):]  # self-loops were packed as -1
        return csr_from_pairs(n, drop_duplicate_pairs(keys), bits)


# ---------------------------------------------------------------------- validation
def _check_arrays(indptr: np.ndarray, indices: np.ndarray, layer: np.ndarray) -> None:
    """Cheap structural checks (dtypes, lengths, monotone pointers)."""
    if indptr.dtype != np.int64 or indices.dtype != np.int32 or layer.dtype != np.uint8:
        raise GraphError(
            f"SocialGraph needs indptr int64, indices int32, layer uint8; got "
            f"{indptr.dtype}, {indices.dtype}, {layer.dtype}: build it with SocialGraph.from_edges")
    if indptr.ndim != 1 or len(indptr) < 1 or indptr[0] != 0 or indptr[-1] != len(indices):
        raise GraphError("indptr must start at 0 and end at len(indices)")
    if len(layer) != len(indices):
        raise GraphError(f"layer has {len(layer)} entries but indices has {len(indices)}: they must align")
    if len(indices) % 2:
        raise GraphError("an undirected CSR graph has an even number of entries")


def _validate_edges(n: int, u: np.ndarray, v: np.ndarray,
                    layer: np.ndarray | int | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check ``from_edges`` inputs; return int arrays and a uint8 layer array."""
    if n < 0 or n > MAX_NODES:
        raise GraphError(f"n = {n} is outside 0 .. {MAX_NODES}")
    u, v = np.asarray(u), np.asarray(v)
    if u.shape != v.shape or u.ndim != 1:
        raise GraphError(f"u and v must be 1-D arrays of equal length; got shapes {u.shape} and {v.shape}")
    if layer is None:
        layer = ACQUAINTANCES
    layer = np.broadcast_to(np.asarray(layer), u.shape)
    if len(u) == 0:
        return u.astype(np.int32), v.astype(np.int32), layer.astype(np.uint8)
    for name, ids in (("u", u), ("v", v)):
        if not np.issubdtype(ids.dtype, np.integer):
            raise GraphError(f"{name} must hold integer node ids, got {ids.dtype}")
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= n:
            raise GraphError(f"node id {low if low < 0 else high} in {name} is outside 0 .. {n - 1}: "
                             "ids are 0-based and must be below the population")
    if int(layer.min()) < 0 or int(layer.max()) >= N_LAYERS:
        raise GraphError(f"layers must be 0 .. 3 ({', '.join(LAYER_NAMES)}); "
                         f"got {int(layer.min())} .. {int(layer.max())}")
    return u, v, layer.astype(np.uint8, copy=False)


# ---------------------------------------------------------------------- key packing
def pack_keys(u: np.ndarray, v: np.ndarray, layer: np.ndarray, bits: int) -> np.ndarray:
    """Pack ties into int64 keys ``((min << bits) | max) << 2 | layer``; self-loops → -1.

    Done in chunks so the only full-size int64 array is the result.
    """
    keys = np.empty(len(u), dtype=np.int64)
    for start in range(0, len(u), CHUNK):
        stop = start + CHUNK
        a = u[start:stop].astype(np.int64, copy=False)
        b = v[start:stop].astype(np.int64, copy=False)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        chunk = (lo << bits | hi) << 2 | layer[start:stop]
        chunk[lo == hi] = -1
        keys[start:stop] = chunk
    return keys


def drop_duplicate_pairs(keys: np.ndarray) -> np.ndarray:
    """Keep the first key of each (a, b) pair in sorted ``keys`` (its smallest layer)."""
    if len(keys) < 2:
        return keys
    dup = np.zeros(len(keys), dtype=bool)
    for start in range(1, len(keys), CHUNK):
        stop = min(start + CHUNK, len(keys))
        # Sorted keys share a pair exactly when they differ only in the 2 layer bits.
        dup[start:stop] = (keys[start:stop] ^ keys[start - 1:stop - 1]) < 4
    return keys[~dup] if dup.any() else keys


def csr_from_pairs(n: int, keys: np.ndarray, bits: int, low: int = 2) -> SocialGraph:
    """Build the CSR graph from distinct undirected tie keys ``(a << bits | b) << low | …``.

    The layer is each key's 2 lowest bits. Each tie end is written straight into its row
    and the rows are sorted one by one (:mod:`sim.graph.fill`): besides ``keys`` and the
    result (5 bytes per directed entry) the build holds only one int64 per node.
    """
    degree = np.zeros(n, dtype=np.int64)
    count_pair_ends(keys, bits, low, degree)
    indptr, words, cursor = empty_rows(degree)
    place_pairs(keys, bits, low, cursor, words)
    indices, layer = rows_from_words(indptr, words)
    return SocialGraph(indptr=indptr, indices=indices, layer=layer)
