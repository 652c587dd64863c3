"""In-kernel draws (sim.draws) are numpy's own: same numbers, same stream position.

Every seed-fixed figure of the project (docking, calibration, lessons) relies on a
kernel drawing exactly what the numpy call it replaced drew.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim import draws
from sim.jit import njit

RANDOM, UNIFORM, INTEGER, NORMAL, POISSON = range(5)


@njit
def _many(h, kind, n, a, b):
    out = np.empty(n)
    for i in range(n):
        if kind == RANDOM:
            out[i] = draws.random(h)
        elif kind == UNIFORM:
            out[i] = draws.uniform(h, a, b)
        elif kind == INTEGER:
            out[i] = draws.integer(h, np.int64(a))
        elif kind == NORMAL:
            out[i] = draws.normal(h, a, b)
        else:
            out[i] = draws.poisson(h, a)
    return out


NUMPY = {
    RANDOM: lambda g, n, a, b: g.random(n),
    UNIFORM: lambda g, n, a, b: g.uniform(a, b, n),
    INTEGER: lambda g, n, a, b: g.integers(int(a), size=n),
    NORMAL: lambda g, n, a, b: g.normal(a, b, n),
    POISSON: lambda g, n, a, b: g.poisson(a, n),
}

CASES = [
    (RANDOM, 0.0, 0.0), (UNIFORM, 0.8, 1.2),
    *[(INTEGER, high, 0.0) for high in (1, 2, 3, 7, 128, 10_000, 2**31 + 11, 2**32)],
    (NORMAL, 0.0, 0.3), (NORMAL, -2.0, 5.0),
    *[(POISSON, lam, 0.0) for lam in (0.0, 0.01, 0.43, 3.0, 9.99, 10.0, 75.0, 560.3, 1e5)],
]


def _through_pointers(handle: np.ndarray) -> np.ndarray:
    """The handle with its inlined PCG64 path switched off: draws go through numpy's functions."""
    handle = handle.copy()
    handle[-1] = 0
    return handle


@pytest.mark.parametrize("path", [lambda h: h, _through_pointers], ids=["pcg64 inlined", "through pointers"])
@pytest.mark.parametrize("kind,a,b", CASES)
def test_kernel_draws_equal_numpy_and_leave_the_stream_where_numpy_does(kind, a, b, path):
    n = 300_000 if kind == NORMAL else 20_000  # normals: enough to visit the ziggurat's tail (idx 0)
    ours, theirs = np.random.default_rng(123), np.random.default_rng(123)
    for g in (ours, theirs):  # leave a half-used 32-bit word buffered in the bit generator
        g.random(3)
        g.integers(5, size=3)
    got = _many(path(draws.stream_handle(ours)), kind, n, a, b)
    want = NUMPY[kind](theirs, n, a, b)
    np.testing.assert_array_equal(got, want.astype(float))
    assert ours.bit_generator.state == theirs.bit_generator.state
    assert ours.random() == theirs.random()


@njit
def _filled(h, n):
    out = np.empty(n)
    draws.fill_random(h, out)
    return out


@pytest.mark.parametrize("path", [lambda h: h, _through_pointers], ids=["pcg64 inlined", "through pointers"])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 10, 11, 12, 1001, 10_000])
def test_a_filled_block_equals_numpy_and_leaves_the_stream_where_numpy_does(n, path):
    ours, theirs = np.random.default_rng(n), np.random.default_rng(n)
    for g in (ours, theirs):
        g.integers(5, size=1)  # a half-used 32-bit word stays buffered through the block
    np.testing.assert_array_equal(_filled(path(draws.stream_handle(ours)), n), theirs.random(n))
    assert ours.bit_generator.state == theirs.bit_generator.state
    assert ours.integers(2**32, size=3).tolist() == theirs.integers(2**32, size=3).tolist()


@pytest.mark.parametrize("population,size", [
    (1, 1), (5, 0), (5, 3), (5, 5), (150, 2), (150, 150), (10_000, 9_000),  # Floyd's algorithm
    (10_001, 200), (20_000, 400),                                            # its edge: size = population // 50
    (10_001, 201), (20_000, 401), (20_000, 5_000),                           # numpy's partial shuffle instead
])
def test_sample_equals_numpy_choice_without_replacement(population, size):
    ours, theirs = np.random.default_rng(population + size), np.random.default_rng(population + size)
    for g in (ours, theirs):
        g.integers(3, size=1)  # a half-used 32-bit word in the bit generator
    got = draws.sample(draws.stream_handle(ours), population, size)
    np.testing.assert_array_equal(got, theirs.choice(population, size=size, replace=False))
    assert ours.bit_generator.state == theirs.bit_generator.state


def test_a_handle_holds_the_bit_generators_own_addresses():
    import ctypes

    gen = np.random.default_rng(11)
    c = gen.bit_generator.ctypes
    functions = [ctypes.cast(f, ctypes.c_void_p).value for f in (c.next_uint64, c.next_uint32, c.next_double)]
    handle = draws.stream_handle(gen)
    assert handle[:4].tolist() == [c.state_address, *functions]
    assert handle[4] == ctypes.c_uint64.from_address(c.state_address).value  # its PCG64 (state, increment)
    assert draws.stream_handle(gen) is handle  # made once, reused


@pytest.mark.parametrize("bit_generator", [np.random.MT19937, np.random.Philox])
def test_other_bit_generators_draw_through_their_functions(bit_generator):
    ours, theirs = np.random.Generator(bit_generator(5)), np.random.Generator(bit_generator(5))
    handle = draws.stream_handle(ours)
    assert handle[4] == 0
    np.testing.assert_array_equal(_many(handle, RANDOM, 1000, 0.0, 0.0), theirs.random(1000))
    np.testing.assert_array_equal(_many(handle, INTEGER, 1000, 77.0, 0.0), theirs.integers(77, size=1000))


def test_a_seeded_slip_is_seen():
    """The comparison above can fail: a kernel drawing one number too many is caught."""
    ours, theirs = np.random.default_rng(7), np.random.default_rng(7)
    _many(draws.stream_handle(ours), RANDOM, 11, 0.0, 0.0)
    theirs.random(10)
    assert ours.bit_generator.state != theirs.bit_generator.state
