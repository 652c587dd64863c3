"""Attitude: fold the day's exposures into each consumer's brand ad-stock (docs/MODEL.md §3.3).

A day brings a few hundred to a few thousand exposures, so the whole fold is one
compiled kernel (:func:`fold_exposures`, run by :mod:`sim.market.consumers`): the numpy
version paid a fixed cost per call, not per row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..jit import njit
from ..population import NO_ONE, Stage
from .signals import Source
from .sorting import radix_sort

__all__ = ["Attitudes", "ExposureRows", "fold_exposures", "fold_search"]

# Plain ints, which kernels bake in when compiled (sim.jit drops stale caches when a code changes).
_AWARE, _INTERESTED = Stage.AWARE, Stage.INTERESTED
_SEARCH = int(Source.SEARCH)
#: Group sums of at most this many weights are summed flat, larger ones halved (numpy's PW_BLOCKSIZE).
_PAIRWISE_BLOCK = 128


class Attitudes(NamedTuple):
    """The population's (n, B) arrays that exposures update, in place (the kernels' named input)."""

    attitude: np.ndarray      # float32 ad-stock in [−1, 1], as of ``attitude_day``
    attitude_day: np.ndarray  # int32 day the attitude was last updated
    stage: np.ndarray         # int8 funnel stage (:class:`~sim.population.Stage`)
    entry: np.ndarray         # int8 channel of the last touch (−1: none)
    source: np.ndarray        # int8 source of the last touch (:class:`~sim.market.signals.Source`)
    referrer: np.ndarray      # int32 who sent the last touch (−1: no one)


class ExposureRows(NamedTuple):
    """Today's exposures as aligned columns (:class:`~sim.market.signals.Exposures`' dtypes)."""

    who: np.ndarray       # int32 consumer
    brand: np.ndarray     # int16 brand code
    weight: np.ndarray    # float32 exposure weight (negative: bad word of mouth)
    entry: np.ndarray     # int8 channel the exposure links to (−1: none)
    source: np.ndarray    # int8 :class:`~sim.market.signals.Source`
    referrer: np.ndarray  # int32 who sent it (−1: no one)


@njit
def fold_search(state, pages, strength, click_strength, day, factors, interest_threshold):
    """Search pages make shoppers aware of the brands they show (weight ``strength``); a
    click leaves a stronger mark (``click_strength``). ``pages`` = (who, brand, channel,
    clicked): one row per brand a page showed. :func:`fold_exposures` of these exposures
    into the :class:`Attitudes` ``state``: float32 weights, the page's channel as entry,
    source SEARCH, no referrer (the exposure columns' dtypes)."""
    who, brand, channel, clicked = pages
    n = len(who)
    weight = np.empty(n, np.float32)
    for k in range(n):
        weight[k] = click_strength if clicked[k] else strength
    rows = ExposureRows(who.astype(np.int32), brand.astype(np.int16), weight, channel.astype(np.int8),
                        np.full(n, _SEARCH, np.int8), np.full(n, NO_ONE, np.int32))
    fold_exposures(state, rows, day, factors, interest_threshold)


@njit
def fold_exposures(state, rows, day, factors, interest_threshold):
    """Update the :class:`Attitudes` ``state`` — attitudes, funnel stages and entry
    channels — from today's exposures ``rows`` (:class:`ExposureRows`): positive ones
    first, then negative ones.

    With S the summed weight a consumer receives for a brand today and a the decayed
    attitude, a ← a + (1 − a)(1 − e^{−S}) — concave in S, so repetition saturates.
    Negative word of mouth is its mirror image towards −1 (a bad opinion):
    a ← a − (1 + a)(1 − e^{S_neg}) (S_neg < 0), so attitudes lie in [−1, 1] and a warning
    heard before a brand is known leaves a handicap that later praise must first undo.
    The heaviest positive exposure sets the entry channel, source and referrer (last touch).

    ``factors`` are :meth:`Population.decay_factors`: a stored attitude decays to today as
    attitude · factors[day − attitude_day].

    A (consumer, brand) cell with positive exposures takes the decayed attitude plus the
    saturating gain of their summed weight, at least the AWARE stage (INTERESTED from
    ``interest_threshold`` on) and the entry channel, source and referrer of its heaviest
    exposure. A cell with negative word of mouth then loses (1 + a)(1 − e^{S_neg}).
    Returns the sorted keys (consumer · B + brand) of the positive cells.
    """
    attitude, attitude_day, stage = state.attitude, state.attitude_day, state.stage
    who, brand, weight = rows.who, rows.brand, rows.weight
    n_brands = attitude.shape[1]
    keys, totals, heaviest = _groups(who, brand, weight, n_brands, True)
    for g in range(len(keys)):
        k = heaviest[g]
        i, b = who[k], brand[k]  # keys[g] = i · B + b, without the divisions
        a = attitude[i, b] * factors[day - attitude_day[i, b]]  # decayed to today (float32)
        # (1 − a) in float32, the rest in float64: the dtypes of the numpy formula
        gained = a + (np.float32(1.0) - a) * (1.0 - np.exp(-totals[g]))
        attitude[i, b], attitude_day[i, b] = np.float32(gained), day
        stage[i, b] = max(stage[i, b], _AWARE)
        if gained >= interest_threshold:  # the float64 value, before it is stored as float32
            stage[i, b] = max(stage[i, b], _INTERESTED)
        state.entry[i, b], state.source[i, b], state.referrer[i, b] = rows.entry[k], rows.source[k], rows.referrer[k]
    neg_keys, neg_totals, neg_heaviest = _groups(who, brand, weight, n_brands, False)
    for g in range(len(neg_keys)):
        i, b = who[neg_heaviest[g]], brand[neg_heaviest[g]]
        a = attitude[i, b] * factors[day - attitude_day[i, b]]
        # the mirror of the gain: towards −1 (a bad opinion), saturating in the summed weight
        lost = a - (np.float32(1.0) + a) * (1.0 - np.exp(neg_totals[g]))
        attitude[i, b], attitude_day[i, b] = np.float32(lost), day
    return keys


@njit
def _groups(who, brand, weight, n_brands, positive):
    """Group the positive (or negative) exposures by key = consumer · B + brand.

    Returns the sorted unique keys, the float64 summed weight per key and, per key, the
    index of its heaviest exposure (the last of its heaviest on ties). Within a key the
    weights are ordered by |weight|, then by index (the numpy version's
    ``np.lexsort((|w|, key))``), and summed as ``np.add.reduceat`` sums a group, so the
    totals are bit-identical to the numpy version's.
    """
    m = 0
    for j in range(len(weight)):
        m += (weight[j] > 0) if positive else (weight[j] < 0)
    if m == 0:  # most days bring no negative word of mouth
        return np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64)
    key, idx = np.empty(m, np.int64), np.empty(m, np.int64)
    m = 0
    for j in range(len(weight)):
        if (weight[j] > 0) if positive else (weight[j] < 0):
            key[m], idx[m] = np.int64(who[j]) * n_brands + brand[j], j
            m += 1
    key, idx = radix_sort(key[:m], idx[:m])
    n_groups = 0
    for j in range(m):
        n_groups += j == 0 or key[j] != key[j - 1]
    keys, totals, heaviest = np.empty(n_groups, np.int64), np.empty(n_groups), np.empty(n_groups, np.int64)
    lo = 0
    for g in range(n_groups):
        hi = lo + 1
        while hi < m and key[hi] == key[lo]:
            hi += 1
        if hi - lo > 1:  # most keys have one exposure: no order to set, nothing to add (and calls cost)
            _sort_by_magnitude(idx, weight, lo, hi)
        keys[g], heaviest[g] = key[lo], idx[hi - 1]
        totals[g] = weight[idx[lo]]
        if hi - lo > 1:
            totals[g] += _pairwise_sum(weight, idx, lo + 1, hi)
        lo = hi
    return keys, totals, heaviest


@njit
def _sort_by_magnitude(idx, weight, lo, hi):
    """Stable insertion sort of one key's exposures ``idx[lo:hi]`` by |weight|, in place.

    A key has a handful of exposures a day, already in index order.
    """
    for j in range(lo + 1, hi):
        i, m = idx[j], abs(weight[idx[j]])
        k = j
        while k > lo and abs(weight[idx[k - 1]]) > m:
            idx[k] = idx[k - 1]
            k -= 1
        idx[k] = i


@njit
def _pairwise_sum(weight, idx, lo, hi):
    """numpy's pairwise float64 sum (``pairwise_sum_DOUBLE``) of ``weight[idx[lo:hi]]``, in its order.

    ``np.add.reduceat`` adds this sum of a group's later elements to its first one.
    """
    n = hi - lo
    if n < 8:
        total = 0.0
        for j in range(lo, hi):
            total += np.float64(weight[idx[j]])
        return total
    if n <= _PAIRWISE_BLOCK:
        r = np.empty(8)
        for j in range(8):
            r[j] = weight[idx[lo + j]]
        i = 8
        while i < n - n % 8:
            for j in range(8):
                r[j] += np.float64(weight[idx[lo + i + j]])
            i += 8
        total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        for j in range(lo + i, hi):
            total += np.float64(weight[idx[j]])
        return total
    half = n // 2
    half -= half % 8
    return _pairwise_sum(weight, idx, lo, lo + half) + _pairwise_sum(weight, idx, lo + half, hi)
