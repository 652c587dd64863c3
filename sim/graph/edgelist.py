"""Graphs read from and written to ``u v [layer]`` edge-list files.

Every mistake in a file is an :class:`EdgeListError` naming the file and each bad line;
valid-but-odd files (self-loops, repeated ties, no ties) warn.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import TextIO

import numpy as np

from ..errors import Problem, ScenarioError, SocsimWarning
from ..files import MAX_EDGE_LIST_BYTES, UnreadableFile, open_input
from .csr import ACQUAINTANCES, N_LAYERS, GraphError, SocialGraph

__all__ = ["EdgeListError", "edge_list", "write_edge_list"]


class EdgeListError(ScenarioError, GraphError):
    """An edge-list file is wrong; names the file and each bad line."""


def edge_list(path: str | Path, n: int) -> SocialGraph:
    """Read a graph from a text file of ``u v`` or ``u v layer`` lines.

    Parameters
    ----------
    path : str or pathlib.Path
        The file, as given (the scenario loader resolves it relative to the scenario).
        ``#`` starts a comment; blank lines are skipped; ids are 0-based integers;
        the optional third column is the layer (0 intimate, 1 close, 2 friends,
        3 acquaintances; default 3). Every line has the same number of columns.
    n : int
        Population: every id must be below it (nodes without ties are allowed).

    Returns
    -------
    SocialGraph
        Self-loops dropped and repeated pairs merged (strongest layer kept), each with a
        :class:`~sim.errors.SocsimWarning`.

    Raises
    ------
    EdgeListError
        Naming the file and each bad line (up to 10): missing file, a line that is not
        two or three integers, a mixed column count, an id outside ``0 .. n-1`` or a
        layer outside 0–3.
    """
    path = Path(path)
    table = _read_table(path)
    _validate_table(path, table, n)
    u, v = table[:, 0], table[:, 1]
    layer = table[:, 2] if table.shape[1] == 3 else ACQUAINTANCES
    graph = SocialGraph.from_edges(n, u, v, layer)
    loops = int(np.count_nonzero(u == v))
    repeats = len(table) - loops - graph.n_edges
    if loops or repeats:
        warnings.warn(f"{path}: dropped {loops} self-loops and merged {repeats} repeated ties "
                      "(strongest layer kept)", SocsimWarning, stacklevel=2)
    return graph


def _open(path: Path) -> TextIO:
    """The edge list as text: a regular file of at most :data:`~sim.files.MAX_EDGE_LIST_BYTES`."""
    try:
        return io.TextIOWrapper(open_input(path, MAX_EDGE_LIST_BYTES), encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise EdgeListError(str(path), [Problem("", "edge-list file not found: check world.graph.path "
                                                "(relative to the scenario file)")]) from None
    except UnreadableFile as exc:
        raise EdgeListError(str(path), [Problem("", f"edge-list file {exc}")]) from None


def _read_table(path: Path) -> np.ndarray:
    """Parse the file with numpy; on failure, rescan it to name the bad lines."""
    try:
        with warnings.catch_warnings(), _open(path) as handle:
            warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
            table = np.loadtxt(handle, dtype=np.int64, comments="#", ndmin=2)
    except ValueError:
        raise EdgeListError(str(path), _format_problems(path)) from None
    if table.size == 0:
        warnings.warn(f"{path}: no ties in the edge list", SocsimWarning, stacklevel=3)
        return np.zeros((0, 2), dtype=np.int64)
    if table.shape[1] not in (2, 3):
        line = _data_line_numbers(path)[0]
        raise EdgeListError(str(path), [Problem("", f"expected 'u v' or 'u v layer', got "
                                                f"{table.shape[1]} columns", line)])
    return table


def _data_lines(path: Path) -> list[tuple[int, list[str]]]:
    """``(line number, tokens)`` of every line that is not blank or a comment."""
    with _open(path) as handle:
        rows = [(number, line.split("#", 1)[0].split()) for number, line in enumerate(handle, 1)]
    return [(number, tokens) for number, tokens in rows if tokens]


def _data_line_numbers(path: Path) -> np.ndarray:
    return np.array([number for number, _ in _data_lines(path)], dtype=np.int64)


def _format_problems(path: Path, limit: int = 10) -> list[Problem]:
    """Name lines that are not two or three integers, or that change the column count."""
    problems: list[Problem] = []
    first: tuple[int, int] | None = None
    for number, tokens in _data_lines(path):
        if len(tokens) not in (2, 3) or not all(_is_int(t) for t in tokens):
            problems.append(Problem("", f"expected 'u v' or 'u v layer' (integers), got {' '.join(tokens)!r}", number))
        elif first is None:
            first = (number, len(tokens))
        elif len(tokens) != first[1]:
            problems.append(Problem("", f"{len(tokens)} columns but line {first[0]} has {first[1]}: "
                                    "give every line a layer or none", number))
        if len(problems) == limit:
            break
    return problems or [Problem("", "the file could not be read as integer columns")]


def _is_int(token: str) -> bool:
    try:
        int(token)
    except ValueError:
        return False
    return True


def _validate_table(path: Path, table: np.ndarray, n: int, limit: int = 10) -> None:
    """Range checks; on failure map the bad rows back to line numbers."""
    bad_id = (table[:, :2] < 0) | (table[:, :2] >= n)
    bad_layer = (table[:, 2] < 0) | (table[:, 2] >= N_LAYERS) if table.shape[1] == 3 else np.zeros(len(table), bool)
    bad_rows = np.flatnonzero(bad_id.any(axis=1) | bad_layer)[:limit]
    if len(bad_rows) == 0:
        return
    lines = _data_line_numbers(path)
    problems = []
    for row in bad_rows.tolist():
        if bad_id[row].any():
            node = int(table[row, :2][bad_id[row]][0])
            message = (f"node id {node} is outside 0 .. {n - 1} (population {n}): ids are 0-based; "
                       "renumber the file or raise world.population")
        else:
            message = (f"layer {int(table[row, 2])} is not 0 .. 3 "
                       "(0 intimate, 1 close, 2 friends, 3 acquaintances)")
        problems.append(Problem("", message, int(lines[row])))
    raise EdgeListError(str(path), problems)


def write_edge_list(graph: SocialGraph, path: str | Path) -> Path:
    """Write ``graph`` as ``u v layer`` lines (each tie once, ``u < v``) that :func:`edge_list` reads back.

    Parameters
    ----------
    graph : SocialGraph
    path : str or pathlib.Path

    Returns
    -------
    pathlib.Path
        The file written.
    """
    path = Path(path)
    u, v, layer = graph.upper_edges()
    header = (f"socsim edge list: n={graph.n} ties={graph.n_edges}\n"
              "u v layer (0 intimate, 1 close, 2 friends, 3 acquaintances); ids 0-based")
    np.savetxt(path, np.column_stack((u, v, layer)), fmt="%d", header=header, comments="# ")
    return path
