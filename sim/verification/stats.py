"""The statistics of the behaviour checks and the docking tests.

Paired one-sided t-tests (common random numbers: variants share seeds), a one-sample
test, two-sample agreement tests (KS and Welch) and Holm's multiplicity correction.
Every comparison is decided at :data:`ALPHA` unless stated, with the tolerance coming
from the spread across seeds, not from a number tuned to pass.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy import stats

__all__ = ["ALPHA", "paired_greater", "one_sample_greater", "agreement_pvalues", "holm"]

#: Level of every decision unless stated (family level for Holm-corrected families).
ALPHA = 0.01


def paired_greater(a: np.ndarray, b: np.ndarray, alpha: float = ALPHA) -> tuple[bool, float]:
    """One-sided paired t-test that mean(a − b) > 0 at level ``alpha``; returns (ok, p).

    Identical samples give p = 1 (no evidence); a constant positive difference p = 0.
    """
    d = np.asarray(a, float) - np.asarray(b, float)
    if np.allclose(d, d[0]):
        p = 0.0 if d[0] > 0 else 1.0
    else:
        p = float(stats.ttest_rel(a, b, alternative="greater").pvalue)
    return p < alpha, p


def one_sample_greater(x: np.ndarray, value: float, alpha: float = ALPHA) -> tuple[bool, float]:
    """One-sided one-sample t-test that mean(x) > ``value`` (NaNs dropped); returns (ok, p)."""
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    if len(x) < 2:
        return False, float("nan")
    if np.allclose(x, x[0]):
        p = 0.0 if x[0] > value else 1.0
    else:
        p = float(stats.ttest_1samp(x, value, alternative="greater").pvalue)
    return p < alpha, p


def agreement_pvalues(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """p-values (two-sample KS, Welch t) that samples ``a`` and ``b`` share a distribution.

    NaNs are dropped. Two constant samples give p = 1 when equal and 0 otherwise.
    """
    a, b = np.asarray(a, float), np.asarray(b, float)
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    if np.ptp(a) == 0 and np.ptp(b) == 0:
        same = float(a[0] == b[0])
        return same, same
    ks = float(stats.ks_2samp(a, b).pvalue)
    welch = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    return ks, welch


def holm(pvalues: Sequence[float], alpha: float = ALPHA) -> np.ndarray:
    """Holm's step-down correction: which hypotheses are rejected at family level ``alpha``.

    Notes
    -----
    Sort the m p-values; reject p₍ᵢ₎ while p₍ᵢ₎ ≤ α/(m − i + 1), stop at the first that
    is not. Controls the family-wise error rate at α under any dependence (Holm 1979).
    """
    p = np.asarray(pvalues, float)
    rejected = np.zeros(len(p), bool)
    for rank, i in enumerate(np.argsort(p)):
        if not p[i] <= alpha / (len(p) - rank):
            break
        rejected[i] = True
    return rejected
