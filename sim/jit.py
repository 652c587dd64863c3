"""Compiled kernels for the fast engine's day: numba's ``njit`` with an on-disk cache.

At the sizes a workshop or a docking run uses (10⁴ consumers, a few hundred exposures
and ~100 shoppers a day) a day written as numpy calls costs its number of calls, not its
data: each call has a fixed cost of one to tens of microseconds. A stage written as one
compiled loop costs one call. Kernels draw their random numbers through
:mod:`sim.draws` from the run's own streams, with numpy's algorithms, so a seed gives the
same numbers whether numpy or a kernel draws them.

Kernels are compiled on first use and cached on disk, so only the first run after an
install or a change pays the compile time. numba checks a cached kernel against its own
source file only, while a kernel also compiles in what it calls or reads from other modules
(the draws, the ``Stage`` and ``Source`` codes). The cache is therefore one directory per
version of the kernel sources, :data:`CACHE_DIR` (``sim/__pycache__/kernels-<digest>``, or
under ``NUMBA_CACHE_DIR`` when that is set), named after a digest of every module that
defines kernels: a change to any of them makes a new directory, so every kernel compiles
afresh, and no cache file is ever read across versions. Importing the package deletes
nothing; numba makes the directory when the first kernel is declared. The directories of
earlier versions stay until :func:`drop_stale_caches` is called (``socsim run`` does,
before a first compile). numba's ``config.CACHE_DIR`` is set for the process: other numba
code cached in it would go there too.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from pathlib import Path

import numba
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

__all__ = ["njit", "plain", "kernels_cached", "cycle_count", "kernel_stamp", "CACHE_ROOT", "CACHE_DIR",
           "stale_caches", "drop_stale_caches"]

_PACKAGE = Path(__file__).parent
_CACHE_PREFIX = "kernels-"


def kernel_stamp(package: Path = _PACKAGE) -> str:
    """SHA-256 of the sources of every module in ``package`` that defines kernels or
    intrinsics compiled into them (hex)."""
    sources = (p.read_bytes() for p in sorted(package.rglob("*.py")))
    return hashlib.sha256(b"".join(text for text in sources if b"@njit" in text or b"@intrinsic" in text)).hexdigest()


#: Where this version of the kernel sources is cached (numba's ``config.CACHE_DIR``).
CACHE_ROOT = Path(os.environ.get("NUMBA_CACHE_DIR") or _PACKAGE / "__pycache__")
CACHE_DIR = CACHE_ROOT / f"{_CACHE_PREFIX}{kernel_stamp()[:16]}"
numba.config.CACHE_DIR = str(CACHE_DIR)  # before any kernel is declared: numba places each cache then


def _without_blas_probe() -> None:
    """Load numba's array registries without its BLAS probe.

    The first kernel a process loads makes numba import ``numba.np.arraymath``, which probes
    for a BLAS by importing ``scipy.linalg.cython_blas``: all of ``scipy.linalg`` (and, through
    SciPy's array API layer, ``numpy.f2py``), 0.11–0.15 s of CPU in a one-second run. No kernel
    here calls a BLAS (``np.dot``, ``@``, ``np.linalg``): the probe is answered "no" by hiding
    ``scipy.linalg`` for that one import, and SciPy imports normally afterwards. A kernel that
    did call a BLAS would fail to compile with numba's "scipy 0.16+ is required for linear
    algebra" (tests/test_cli.py checks that a run loads no ``scipy.linalg``).
    """
    import importlib
    import sys

    if "numba.np.arraymath" in sys.modules or "scipy.linalg" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None  # type: ignore[assignment]  # "import scipy.linalg…" raises ImportError
    try:
        importlib.import_module("numba.np.arraymath")
    finally:
        del sys.modules["scipy.linalg"]


_without_blas_probe()

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
    """Whether this version's compiled kernels are on disk already (false on the first run
    after an install or a change to a kernel module)."""
    return any(CACHE_DIR.rglob("*.nbi"))


def stale_caches() -> list[Path]:
    """Cache directories of earlier versions of the kernel sources."""
    if not CACHE_ROOT.is_dir():
        return []
    return sorted(p for p in CACHE_ROOT.glob(f"{_CACHE_PREFIX}*") if p.is_dir() and p != CACHE_DIR)


def drop_stale_caches() -> list[Path]:
    """Delete :func:`stale_caches` (never this version's) and kernels cached beside their
    modules (where numba put them before the cache had directories of its own); returns
    what was deleted. A read-only install deletes nothing.
    """
    dropped = []
    for old in stale_caches():
        shutil.rmtree(old, ignore_errors=True)
        if not old.exists():
            dropped.append(old)
    for old in _PACKAGE.rglob("__pycache__/*.nb[ci]"):
        try:
            old.unlink()
            dropped.append(old)
        except OSError:
            pass
    return dropped
