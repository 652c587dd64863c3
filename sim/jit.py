"""Compiled kernels for the fast engine's day: numba's ``njit`` with an on-disk cache.

At the sizes a workshop or a docking run uses (10⁴ consumers, a few hundred exposures
and ~100 shoppers a day) a day written as numpy calls costs its number of calls, not its
data: each call has a fixed cost of one to tens of microseconds. A stage written as one
compiled loop costs one call. Kernels draw their random numbers through
:mod:`sim.draws` from the run's own streams, with numpy's algorithms, so a seed gives the
same numbers whether numpy or a kernel draws them.

Kernels are compiled on first use and cached next to their module (``__pycache__``),
so only the first run after an install or a change pays the compile time. numba
notices a change to a kernel's own file only, while a kernel also compiles in what it
calls or reads from other modules (the draws, the ``Stage`` and ``Source`` codes):
:func:`_drop_stale_caches` therefore drops every cached kernel of the package when any
module that defines kernels changes.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["njit", "plain", "kernels_cached", "cycle_count"]

_PACKAGE = Path(__file__).parent
_STAMP = _PACKAGE / "__pycache__" / "kernels.stamp"

#: Compile a kernel (nopython mode, cached on disk; no fastmath: results must stay bit-exact).
njit = functools.partial(numba.njit, cache=True, nogil=True)


def plain(structure: tuple) -> tuple:
    """A kernel's named input (a ``typing.NamedTuple`` of arrays and scalars, none nested)
    as a plain tuple, to hand from Python to a kernel, which names it again at its top
    (``Structure(*fields)``, free in compiled code).

    numba types each argument of a call from Python: a plain tuple of arrays and scalars
    from a fingerprint computed in C; a NamedTuple in Python, field by field (≈ 0.5 µs a
    field on a loaded machine): handed over as they are, the named inputs cost ≈ 4 % of a
    day at 10⁴ consumers, as plain tuples ≈ 1 % or less (benchmarks/RESULTS.md, "Named
    kernel inputs").
    """
    return tuple(structure)


@intrinsic
def cycle_count(typingctx):
    """The CPU's cycle counter (LLVM's readcyclecounter: rdtsc on x86-64; 0 where there is
    none), for splitting one kernel call's wall time between the stages it runs."""
    def codegen(context, builder, signature, args):
        counter = builder.module.declare_intrinsic("llvm.readcyclecounter", fnty=ir.FunctionType(ir.IntType(64), []))
        return builder.call(counter, [])
    return types.int64(), codegen


def kernels_cached() -> bool:
    """Whether compiled kernels are on disk already (false on the first run after an install)."""
    return any(_PACKAGE.rglob("__pycache__/*.nbi"))


def _drop_stale_caches() -> None:
    """Delete the package's cached kernels unless the kernel modules are those they were compiled from."""
    sources = (p.read_bytes() for p in sorted(_PACKAGE.rglob("*.py")))
    digest = hashlib.sha256(b"".join(text for text in sources if b"@njit" in text)).hexdigest()
    try:
        if _STAMP.exists() and _STAMP.read_text() == digest:
            return
        for cached in _PACKAGE.rglob("__pycache__/*.nb[ci]"):
            cached.unlink(missing_ok=True)
        _STAMP.parent.mkdir(exist_ok=True)
        fresh = _STAMP.with_suffix(f".{os.getpid()}")
        fresh.write_text(digest)
        fresh.replace(_STAMP)  # atomic: parallel workers read a whole stamp or none
    except OSError:  # a read-only install: numba caches elsewhere, or not at all
        pass


_drop_stale_caches()
