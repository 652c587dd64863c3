"""Means, t-based 95 % intervals and paired differences over replications.

Variants share random numbers by replication (replication r runs with seed + r in every
variant), so variant v and the first variant are compared pair by pair:
d_r = x_{v,r} − x_{0,r}. Common noise cancels in d_r, which is why a paired interval is
usually much narrower than the two separate intervals suggest.

Notes
-----
For n values with mean x̄ and sample standard deviation s (ddof = 1), the interval is

    x̄ ± t_{1−α/2, n−1} · s / √n,

Student's t with n − 1 degrees of freedom; the paired difference uses the same formula on
the differences d_r, and its p-value is the two-sided paired t-test,
p = 2 · (1 − F_t(|d̄| / (s_d / √n); n − 1)). With one value the interval is undefined
(NaN); with zero spread it collapses to the mean (and p is 0 for a non-zero mean, NaN
for zero). Replications where either value is NaN are left out of the pair.

References
----------
Cochran, W. G. (1977). Sampling Techniques, 3rd ed., §6.4 (ratio estimators). Wiley.
Law, A. M. (2015). Simulation Modeling and Analysis, 5th ed., §10.2 (paired-t
confidence interval) and §11.2 (common random numbers). McGraw-Hill.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import special

from .design import Design, RunKey

__all__ = ["Interval", "PairedDifference", "KpiSummary", "mean_ci", "paired_difference", "summarize", "band",
           "ratio_ci", "LEVEL"]

#: Confidence level of every interval.
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean with its t-based confidence interval.

    Attributes
    ----------
    mean, low, high : float
        NaN when there are no values; low = high = NaN with one value.
    n : int
        Values used (NaNs left out).
    sd : float
        Sample standard deviation (ddof = 1).
    """

    mean: float
    low: float
    high: float
    n: int
    sd: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


@dataclass(frozen=True)
class PairedDifference:
    """Variant minus reference, pair by pair.

    Attributes
    ----------
    diff : Interval
        Mean difference and its interval.
    relative : float
        diff.mean / mean of the reference over the same pairs (NaN if that is 0).
    p_value : float
        Two-sided paired t-test of "no difference".
    """

    diff: Interval
    relative: float
    p_value: float


@dataclass(frozen=True)
class KpiSummary:
    """One KPI of one variant at one sweep point, over its replications."""

    metric: str
    variant: str
    point: int
    value: Interval
    vs_first: PairedDifference | None


def _clean(values: Sequence[float] | np.ndarray) -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    return x[~np.isnan(x)]


def _t_quantile(level: float, df: int) -> float:
    """Two-sided Student-t quantile t_{(1+level)/2, df} (scipy.special: lighter to import than scipy.stats)."""
    return float(special.stdtrit(df, 0.5 + level / 2))


def mean_ci(values: Sequence[float] | np.ndarray, level: float = LEVEL) -> Interval:
    """Mean and t-based confidence interval of ``values`` (NaNs left out).

    Parameters
    ----------
    values : sequence of float
    level : float, default 0.95

    Returns
    -------
    Interval

    Examples
    --------
    >>> mean_ci([1.0, 2.0, 3.0]).mean
    2.0
    """
    x = _clean(values)
    n = len(x)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0, math.nan)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, math.nan, math.nan, 1, math.nan)
    sd = float(x.std(ddof=1))
    half = _t_quantile(level, n - 1) * sd / math.sqrt(n)
    return Interval(mean, mean - half, mean + half, n, sd)


def paired_difference(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                      level: float = LEVEL) -> PairedDifference:
    """Paired difference a − b (replication by replication) with interval and p-value.

    Parameters
    ----------
    a, b : sequence of float, same length
        The variant and the reference, index r = replication r (same seed).

    Raises
    ------
    ValueError
        If ``a`` and ``b`` differ in length.
    """
    a, b = np.asarray(a, dtype=float).ravel(), np.asarray(b, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"paired values need the same length; got {len(a)} and {len(b)}")
    keep = ~(np.isnan(a) | np.isnan(b))
    d, ref = a[keep] - b[keep], b[keep]
    diff = mean_ci(d, level)
    ref_mean = float(ref.mean()) if len(ref) else math.nan
    relative = diff.mean / ref_mean if ref_mean and not math.isnan(ref_mean) else math.nan
    return PairedDifference(diff, relative, _p_value(diff))


def _p_value(diff: Interval) -> float:
    if diff.n < 2:
        return math.nan
    if diff.sd == 0:
        return 0.0 if diff.mean != 0 else math.nan
    t = diff.mean / (diff.sd / math.sqrt(diff.n))
    return float(2 * special.stdtr(diff.n - 1, -abs(t)))


def summarize(design: Design, kpis: Mapping[RunKey, Mapping[str, float]], level: float = LEVEL) -> list[KpiSummary]:
    """Every metric × variant × point of ``design`` over the replications found in ``kpis``.

    The metrics are the design's, then its every-brand overview (:attr:`Design.overview`)
    not among them. Differences are paired with the design's first variant at the same
    point, by replication; the first variant itself has ``vs_first = None``.
    """
    names = [v.name for v in design.variants]
    out = []
    for metric in dict.fromkeys((*design.metrics, *design.overview)):
        for point in design.points:
            first = _values(design, kpis, names[0], point.index, metric)
            for name in names:
                x = _values(design, kpis, name, point.index, metric)
                vs = paired_difference(x, first, level) if name != names[0] else None
                out.append(KpiSummary(metric, name, point.index, mean_ci(x, level), vs))
    return out


def _values(design: Design, kpis: Mapping[RunKey, Mapping[str, float]], variant: str, point: int,
            metric: str) -> np.ndarray:
    """(replications,) values of ``metric``; NaN where a run is missing or lacks the metric."""
    return np.array([kpis.get(RunKey(variant, point, r), {}).get(metric, math.nan)
                     for r in range(design.replications)], dtype=float)


def ratio_ci(gain: np.ndarray, loss: np.ndarray, level: float = LEVEL) -> Interval:
    """Ratio of means ḡ / l̄ with its delta-method t-interval (paired values, NaNs left out).

    Notes
    -----
    R = ḡ / l̄; the interval is R ± t_{n−1} · s_z / (√n · |l̄|) with z_r = g_r − R · l_r,
    the linearised (delta-method) variance of a ratio estimator (Cochran 1977, §6.4).
    NaN when l̄ = 0; low = high = NaN with one pair.

    Examples
    --------
    >>> ratio_ci([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]).mean
    0.5
    """
    g, l = np.asarray(gain, dtype=float), np.asarray(loss, dtype=float)
    keep = ~(np.isnan(g) | np.isnan(l))
    g, l = g[keep], l[keep]
    n = len(g)
    if n == 0 or l.mean() == 0:
        return Interval(math.nan, math.nan, math.nan, n, math.nan)
    ratio = float(g.mean() / l.mean())
    if n == 1:
        return Interval(ratio, math.nan, math.nan, 1, math.nan)
    sd = float((g - ratio * l).std(ddof=1) / abs(l.mean()))
    half = _t_quantile(level, n - 1) * sd / math.sqrt(n)
    return Interval(ratio, ratio - half, ratio + half, n, sd)


def band(runs: np.ndarray, level: float = LEVEL) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean and t-interval across replications, day by day.

    Parameters
    ----------
    runs : ndarray (replications, days)

    Returns
    -------
    mean, low, high : ndarray (days,)
        low = high = mean with one replication (no band can be drawn).
    """
    runs = np.asarray(runs, dtype=float)
    n = runs.shape[0]
    mean = runs.mean(axis=0)
    if n < 2:
        return mean, mean.copy(), mean.copy()
    half = _t_quantile(level, n - 1) * runs.std(axis=0, ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half
