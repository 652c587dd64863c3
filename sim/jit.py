"""Compiled kernels for the fast engine's day: numba's ``njit`` with an on-disk cache.

At the sizes a workshop or a docking run uses (10⁴ consumers, a few hundred exposures
and ~100 shoppers a day) a day written as numpy calls costs its number of calls, not its
data: each call has a fixed cost of about a microsecond. A stage written as one
compiled loop costs one call. Kernels draw their random numbers from the
``numpy.random.Generator`` they are passed (numba shares its bit generator), in the
order the numpy version drew them, so a seed gives the same numbers either way.

Kernels are compiled on first use and cached next to their module (``__pycache__``),
so only the first run after an install or a change pays the compile time.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numba

__all__ = ["njit", "kernels_cached"]

#: Compile a kernel (nopython mode, cached on disk; no fastmath: results must stay bit-exact).
njit = functools.partial(numba.njit, cache=True, nogil=True)


def kernels_cached() -> bool:
    """Whether compiled kernels are on disk already (false on the first run after an install)."""
    return any(Path(__file__).parent.rglob("__pycache__/*.nbi"))
