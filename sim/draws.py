"""Random draws inside compiled kernels, from a run's own numpy streams, bit for bit.

A kernel cannot take a ``numpy.random.Generator`` cheaply (numba unboxes it for
10–25 µs a call), and a numpy call per draw batch costs 1–35 µs of fixed overhead
(``integers`` and array-``poisson`` are the dear ones). So a kernel takes a
:func:`stream_handle` instead — the addresses of the stream's bit-generator state and
its ``next_*`` functions, an ``int64[4]`` — and draws through it with the functions
below. They are ports of numpy's own algorithms (``numpy/random/src/distributions``)
on the same bit generator, so a kernel that draws ``random(h)`` n times leaves the
stream exactly where ``gen.random(n)`` would, with the same numbers: a seed's results
do not depend on whether numpy or a kernel made a draw.

A handle is only valid while its Generator lives and only in the process that made
it: :func:`stream_handle` keeps the generators of the handles it last made alive (and
reuses those handles, as building one costs ~5 µs).

Every run stream is a PCG64 (``default_rng``). For those, once a probe generator has
shown that a PCG64's memory holds what its ``state`` says (a native 128-bit layout,
checked once a process), kernels step PCG64 themselves (:func:`_pcg64_next`, inlined) instead of
calling numpy's ``next_*`` through a pointer: ~2 ns a draw instead of ~4. Any other
bit generator, or layout, is drawn through the pointers, with the same numbers.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic
from numba.np.random._constants import fi_double, ki_double, wi_double, ziggurat_nor_inv_r, ziggurat_nor_r

from .jit import njit

__all__ = ["stream_handle", "random", "fill_random", "uniform", "integer", "poisson", "normal", "sample"]

_STATE, _NEXT_UINT64, _NEXT_UINT32, _NEXT_DOUBLE, _PCG = range(5)


#: Handles made lately, by id of their Generator (kept alive here, so no id is reused while listed).
_RECENT: dict[int, tuple[np.random.Generator, np.ndarray]] = {}
_RECENT_MAX = 64  # a run has ten streams


def stream_handle(gen: np.random.Generator) -> np.ndarray:
    """``int64[5]``: addresses of ``gen``'s bit-generator state and of its next_uint64,
    next_uint32 and next_double functions; and of its PCG64 state and increment (128-bit
    words), or 0 if kernels must draw through the functions."""
    recent = _RECENT.get(id(gen))
    if recent is not None and recent[0] is gen:
        return recent[1]
    handle = _new_handle(gen)
    _RECENT[id(gen)] = (gen, handle)
    if len(_RECENT) > _RECENT_MAX:
        del _RECENT[next(iter(_RECENT))]  # the oldest
    return handle


# Our own prototype of the C-API call (setting argtypes on ctypes.pythonapi's would change it for everyone).
_capsule_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi))


def _new_handle(gen: np.random.Generator) -> np.ndarray:
    fields = _bitgen_fields(gen)
    return np.array([*fields, _pcg64_words(gen, fields[_STATE])], np.int64)


def _bitgen_fields(gen: np.random.Generator) -> list[int]:
    """The first four fields of the generator's ``bitgen_t`` (numpy/random/bitgen.h): state,
    next_uint64, next_uint32, next_double — read through its capsule, which costs a few µs
    where ``BitGenerator.ctypes`` builds ctypes objects for ~50 µs."""
    bitgen = _capsule_pointer(gen.bit_generator.capsule, b"BitGenerator")
    return [a or 0 for a in (ctypes.c_void_p * 4).from_address(bitgen)[:]]


_WORD = (1 << 64) - 1


def _pcg64_words(gen: np.random.Generator, state_address: int) -> int:
    """Address of the PCG64 (state, increment) pair of ``gen`` (numpy's ``pcg64_state``
    starts with a pointer to it), or 0 if ``gen`` is not a PCG64 or this numpy's layout
    is not the one :func:`_pcg64_next` reads."""
    if type(gen.bit_generator) is not np.random.PCG64 or not _native_pcg64_layout():
        return 0
    return ctypes.c_uint64.from_address(state_address).value


@functools.cache
def _native_pcg64_layout() -> bool:
    """Whether a PCG64's memory reads as its ``state`` says — a pointer to the (state,
    increment) pair, each 128-bit number two little-endian 64-bit words, then has_uint32
    and uinteger — checked once a process, on a probe generator."""
    probe = np.random.Generator(np.random.PCG64(2026))
    probe.integers(5)  # leaves half a 64-bit draw buffered: has_uint32 = 1
    said = probe.bit_generator.state
    state_address = _bitgen_fields(probe)[_STATE]
    pair = (ctypes.c_uint64 * 4).from_address(ctypes.c_uint64.from_address(state_address).value)[:]
    buffered = (ctypes.c_uint32 * 2).from_address(state_address + 8)[:]
    number = said["state"]
    return (pair == [number["state"] & _WORD, number["state"] >> 64, number["inc"] & _WORD, number["inc"] >> 64]
            and buffered == [said["has_uint32"], said["uinteger"]])


#: PCG64's 128-bit multiplier (numpy's PCG_DEFAULT_MULTIPLIER_HIGH, _LOW).
_PCG_MULTIPLIER = (2549297995355413924 << 64) + 4865540595714422341


def _as_i128(builder: ir.IRBuilder, low: ir.Value, high: ir.Value) -> ir.Value:
    i128 = ir.IntType(128)
    return builder.or_(builder.shl(builder.zext(high, i128), ir.Constant(i128, 64)), builder.zext(low, i128))


def _pair(context, builder, signature, value: ir.Value):
    """A 128-bit value as numba's (low, high) uint64 pair."""
    i64 = ir.IntType(64)
    high = builder.trunc(builder.lshr(value, ir.Constant(ir.IntType(128), 64)), i64)
    return context.make_tuple(builder, signature.return_type, [builder.trunc(value, i64), high])


_PAIR = types.UniTuple(types.uint64, 2)


@intrinsic
def _pcg64_step(typingctx, words):
    """numpy's ``pcg_setseq_128_step_r`` on the (state, increment) pair at address
    ``words``: state ← state · multiplier + increment (mod 2¹²⁸), stored and returned as
    (low, high)."""
    def codegen(context, builder, signature, args):
        i64, i128 = ir.IntType(64), ir.IntType(128)
        base = builder.inttoptr(args[0], i64.as_pointer())
        word = [builder.gep(base, [ir.Constant(ir.IntType(32), k)]) for k in range(4)]
        state, increment = (_as_i128(builder, builder.load(word[k]), builder.load(word[k + 1])) for k in (0, 2))
        state = builder.add(builder.mul(state, ir.Constant(i128, _PCG_MULTIPLIER)), increment)
        builder.store(builder.trunc(state, i64), word[0])
        builder.store(builder.trunc(builder.lshr(state, ir.Constant(i128, 64)), i64), word[1])
        return _pair(context, builder, signature, state)
    return _PAIR(types.int64), codegen


@njit
def _xsl_rr(state: tuple) -> np.uint64:
    """PCG64's output of a state (low, high): (high ^ low) rotated right by high's top 6 bits."""
    low, high = state
    x, rot = high ^ low, high >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@njit
def _unit(bits: np.uint64) -> float:
    """numpy's next_double from a 64-bit draw: its top 53 bits over 2⁵³."""
    return np.float64(bits >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit
def _pcg64_next(words: int) -> np.uint64:
    """numpy's ``pcg64_random_r`` on the pair at address ``words``: a step, then the output of the new state."""
    return _xsl_rr(_pcg64_step(words))


_MOD128 = 1 << 128
#: Four PCG64 steps at once: state ← state · M⁴ + increment · (M³ + M² + M + 1) (mod 2¹²⁸).
_MULTIPLIER_4 = pow(_PCG_MULTIPLIER, 4, _MOD128)
_INCREMENT_FACTOR_4 = (_PCG_MULTIPLIER ** 3 + _PCG_MULTIPLIER ** 2 + _PCG_MULTIPLIER + 1) % _MOD128


@intrinsic
def _four_steps(typingctx, low, high, add_low, add_high):
    """(low, high) · M⁴ + (add_low, add_high) mod 2¹²⁸: a PCG64 state four draws on."""
    def codegen(context, builder, signature, args):
        state = _as_i128(builder, args[0], args[1])
        product = builder.mul(state, ir.Constant(ir.IntType(128), _MULTIPLIER_4))
        return _pair(context, builder, signature, builder.add(product, _as_i128(builder, args[2], args[3])))
    return _PAIR(types.uint64, types.uint64, types.uint64, types.uint64), codegen


@intrinsic
def _four_steps_increment(typingctx, low, high):
    """What four PCG64 steps add for increment (low, high): increment · (M³ + M² + M + 1) mod 2¹²⁸."""
    def codegen(context, builder, signature, args):
        product = builder.mul(_as_i128(builder, args[0], args[1]), ir.Constant(ir.IntType(128), _INCREMENT_FACTOR_4))
        return _pair(context, builder, signature, product)
    return _PAIR(types.uint64, types.uint64), codegen


def _caller(result: ir.Type, numba_type: types.Type):
    """An intrinsic calling the C function at address ``fn`` on the state at ``state``."""
    def typer(typingctx, fn, state):
        def codegen(context, builder, signature, args):
            fnptr, st = args
            void_p = ir.IntType(8).as_pointer()
            f = builder.inttoptr(fnptr, ir.FunctionType(result, [void_p]).as_pointer())
            return builder.call(f, [builder.inttoptr(st, void_p)])
        return numba_type(types.int64, types.int64), codegen
    return intrinsic(typer)


_call_uint64 = _caller(ir.IntType(64), types.uint64)
_call_uint32 = _caller(ir.IntType(32), types.uint32)
_call_double = _caller(ir.DoubleType(), types.float64)


def _memory(bits: int):
    """Intrinsics reading (peek) and writing (poke) the unsigned ``bits``-bit integer at an address."""
    numba_type = types.uint32 if bits == 32 else types.uint64

    def peek(typingctx, address):
        def codegen(context, builder, signature, args):
            return builder.load(builder.inttoptr(args[0], ir.IntType(bits).as_pointer()))
        return numba_type(types.int64), codegen

    def poke(typingctx, address, value):
        def codegen(context, builder, signature, args):
            builder.store(args[1], builder.inttoptr(args[0], ir.IntType(bits).as_pointer()))
            return context.get_dummy_value()
        return types.none(types.int64, numba_type), codegen
    return intrinsic(peek), intrinsic(poke)


_peek_u32, _poke_u32 = _memory(32)
_peek_u64, _poke_u64 = _memory(64)


@njit
def _next_uint64(h: np.ndarray) -> np.uint64:
    if h[_PCG]:
        return _pcg64_next(h[_PCG])
    return _call_uint64(h[_NEXT_UINT64], h[_STATE])


@njit
def random(h: np.ndarray) -> float:
    """One ``Generator.random()``: uniform on [0, 1)."""
    if h[_PCG]:  # numpy's pcg64_next_double
        return _unit(_pcg64_next(h[_PCG]))
    return _call_double(h[_NEXT_DOUBLE], h[_STATE])


@njit
def _pcg64_state(words: int) -> tuple:
    """The PCG64 state (low, high) at address ``words``."""
    return _peek_u64(words), _peek_u64(words + 8)


@njit
def fill_random(h: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = Generator.random(len(out))``, bit for bit, the stream left where numpy leaves it.

    A PCG64 stream is drawn as four interleaved ones: draw j + 4's state is draw j's
    stepped four times at once (:func:`_four_steps`), so four multiplications run side
    by side instead of one chain — about twice the draws a second.
    """
    n = len(out)
    words = h[_PCG]
    if words == 0 or n < 8:
        for i in range(n):
            out[i] = random(h)
        return
    out[0] = random(h)
    s0 = _pcg64_state(words)  # each lane starts at the state of one of the first four draws
    out[1] = random(h)
    s1 = _pcg64_state(words)
    out[2] = random(h)
    s2 = _pcg64_state(words)
    out[3] = random(h)
    s3 = _pcg64_state(words)
    add_low, add_high = _four_steps_increment(_peek_u64(words + 16), _peek_u64(words + 24))
    done = 4
    while done + 4 <= n:
        s0 = _four_steps(s0[0], s0[1], add_low, add_high)
        s1 = _four_steps(s1[0], s1[1], add_low, add_high)
        s2 = _four_steps(s2[0], s2[1], add_low, add_high)
        s3 = _four_steps(s3[0], s3[1], add_low, add_high)
        out[done], out[done + 1], out[done + 2], out[done + 3] = (
            _unit(_xsl_rr(s0)), _unit(_xsl_rr(s1)), _unit(_xsl_rr(s2)), _unit(_xsl_rr(s3)))
        done += 4
    _poke_u64(words, s3[0])  # the stream at draw done − 1
    _poke_u64(words + 8, s3[1])
    for i in range(done, n):
        out[i] = random(h)


@njit
def uniform(h: np.ndarray, low: float, high: float) -> float:
    """One ``Generator.uniform(low, high)``."""
    return low + (high - low) * random(h)


@njit
def _next_uint32(h: np.ndarray) -> np.uint32:
    if h[_PCG]:  # numpy's pcg64_next32: half of a 64-bit draw, the other half kept for the next call
        has_uint32, uinteger = h[_STATE] + 8, h[_STATE] + 12
        if _peek_u32(has_uint32):
            _poke_u32(has_uint32, np.uint32(0))
            return _peek_u32(uinteger)
        r = _pcg64_next(h[_PCG])
        _poke_u32(has_uint32, np.uint32(1))
        _poke_u32(uinteger, np.uint32(r >> np.uint64(32)))
        return np.uint32(r & np.uint64(0xFFFFFFFF))
    return _call_uint32(h[_NEXT_UINT32], h[_STATE])


@njit
def integer(h: np.ndarray, high: int) -> int:
    """One ``Generator.integers(high)`` (int64, 0 ≤ x < high, 1 ≤ high ≤ 2³²): Lemire's
    rejection on 32-bit draws, as numpy does for a range that fits 32 bits."""
    rng = np.uint32(high - 1)
    if rng == 0:
        return 0
    if rng == np.uint32(0xFFFFFFFF):
        return np.int64(_next_uint32(h))
    rng_excl = np.uint64(rng) + np.uint64(1)
    m = np.uint64(_next_uint32(h)) * rng_excl
    leftover = m & np.uint64(0xFFFFFFFF)
    if leftover < rng_excl:
        threshold = np.uint64((np.uint32(0xFFFFFFFF) - rng) % np.uint32(rng_excl))
        while leftover < threshold:
            m = np.uint64(_next_uint32(h)) * rng_excl
            leftover = m & np.uint64(0xFFFFFFFF)
    return np.int64(m >> np.uint64(32))


@njit
def normal(h: np.ndarray, loc: float, scale: float) -> float:
    """One ``Generator.normal(loc, scale)``: numpy's 256-layer ziggurat."""
    while True:
        r = _next_uint64(h)
        idx = r & np.uint64(0xFF)
        r >>= np.uint64(8)
        rabs = (r >> np.uint64(1)) & np.uint64(0x000FFFFFFFFFFFFF)
        x = rabs * wi_double[idx]
        if r & np.uint64(1):
            x = -x
        if rabs < ki_double[idx]:
            return loc + scale * x
        if idx == 0:  # the tail beyond r
            while True:
                xx = -ziggurat_nor_inv_r * np.log1p(-random(h))
                yy = -np.log1p(-random(h))
                if yy + yy > xx * xx:
                    tail = -(ziggurat_nor_r + xx) if (rabs >> np.uint64(8)) & np.uint64(1) else ziggurat_nor_r + xx
                    return loc + scale * tail
        elif (fi_double[idx - 1] - fi_double[idx]) * random(h) + fi_double[idx] < np.exp(-0.5 * x * x):
            return loc + scale * x


@njit
def poisson(h: np.ndarray, lam: float) -> int:
    """One ``Generator.poisson(lam)``: multiplication below 10, PTRS (Hörmann) above."""
    if lam >= 10:
        return _poisson_ptrs(h, lam)
    if lam == 0:
        return 0
    enlam, x, prod = np.exp(-lam), 0, 1.0
    while True:
        prod *= random(h)
        if prod > enlam:
            x += 1
        else:
            return x


@njit
def _poisson_ptrs(h: np.ndarray, lam: float) -> int:
    slam, loglam = np.sqrt(lam), np.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2)
    while True:
        u = random(h) - 0.5
        v = random(h)
        us = 0.5 - np.fabs(u)
        k = np.int64(np.floor((2 * a / us + b) * u + lam + 0.43))
        if us >= 0.07 and v <= vr:
            return k
        if k < 0 or (us < 0.013 and v > us):
            continue
        if np.log(v) + np.log(invalpha) - np.log(a / (us * us) + b) <= -lam + k * loglam - _loggam(k + 1.0):
            return k


_LOGGAM_COEFFICIENTS = np.array([8.333333333333333e-02, -2.777777777777778e-03, 7.936507936507937e-04,
                                 -5.952380952380952e-04, 8.417508417508418e-04, -1.917526917526918e-03,
                                 6.410256410256410e-03, -2.955065359477124e-02, 1.796443723688307e-01,
                                 -1.39243221690590e+00])


@njit
def _loggam(x: float) -> float:
    """log Γ(x), numpy's series (``random_loggam``)."""
    if x == 1.0 or x == 2.0:
        return 0.0
    n = np.int64(7 - x) if x < 7.0 else 0
    x0 = x + n
    x2 = (1.0 / x0) * (1.0 / x0)
    a = _LOGGAM_COEFFICIENTS
    gl0 = a[9]
    for k in range(9):
        gl0 *= x2
        gl0 += a[8 - k]
    gl = gl0 / x0 + 0.5 * 1.8378770664093453e+00 + (x0 - 0.5) * np.log(x0) - x0
    if x < 7.0:
        for _ in range(n):
            gl -= np.log(x0 - 1.0)
            x0 -= 1.0
    return gl


@njit
def sample(h: np.ndarray, population: int, size: int) -> np.ndarray:
    """``Generator.choice(population, size, replace=False)``: ``size`` distinct integers
    below ``population``, in numpy's order — Floyd's algorithm with an open-addressing set
    and a final shuffle, or, for a large population and sample, a partial shuffle of
    0..population−1 (numpy's own threshold)."""
    if population > 10000 and size > population // 50:
        everyone = np.arange(population)
        _shuffle(h, everyone, max(population - size, 1))
        return everyone[population - size:].copy()
    chosen = np.empty(size, np.int64)
    mask = _mask_above(np.uint64(np.int64(1.2 * size)))
    table = np.full(np.int64(mask) + 1, np.uint64(0xFFFFFFFFFFFFFFFF), np.uint64)
    empty = np.uint64(0xFFFFFFFFFFFFFFFF)
    for j in range(population - size, population):
        val = np.uint64(integer(h, j + 1))
        loc = val & mask
        while table[loc] != empty and table[loc] != val:
            loc = (loc + np.uint64(1)) & mask
        if table[loc] == empty:  # val was not drawn before
            table[loc] = val
            chosen[j - population + size] = np.int64(val)
        else:  # it was: take j, which cannot have been
            loc = np.uint64(j) & mask
            while table[loc] != empty:
                loc = (loc + np.uint64(1)) & mask
            table[loc] = np.uint64(j)
            chosen[j - population + size] = j
    _shuffle(h, chosen, 1)
    return chosen


@njit
def _shuffle(h: np.ndarray, data: np.ndarray, first: int) -> None:
    """numpy's ``_shuffle_int``: Fisher–Yates over data[n−1], …, data[first]."""
    for i in range(len(data) - 1, first - 1, -1):
        j = integer(h, i + 1)
        data[i], data[j] = data[j], data[i]


@njit
def _mask_above(x: np.uint64) -> np.uint64:
    """The smallest mask 2ᵏ − 1 ≥ x (numpy's ``_gen_mask``)."""
    for shift in (1, 2, 4, 8, 16, 32):
        x |= x >> np.uint64(shift)
    return x
