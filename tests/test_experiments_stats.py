"""sim.experiments.stats: t-based intervals and paired differences, checked against scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.experiments.stats import band, mean_ci, paired_difference


def test_mean_ci_by_hand():
    # d = 1..5: mean 3, s = sqrt(2.5), se = s/sqrt(5), t(0.975, 4) = 2.7764451
    ci = mean_ci([1, 2, 3, 4, 5])
    half = 2.7764451051977987 * math.sqrt(2.5) / math.sqrt(5)
    assert ci.mean == 3 and ci.n == 5
    assert ci.low == pytest.approx(3 - half, rel=1e-12) and ci.high == pytest.approx(3 + half, rel=1e-12)
    assert ci.low == pytest.approx(1.0367568385224, rel=1e-10)


@pytest.mark.parametrize("n", [2, 3, 10, 40])
def test_mean_ci_matches_scipy(n):
    x = np.random.default_rng(n).lognormal(10, 0.5, n)
    ci = mean_ci(x)
    low, high = stats.t.interval(0.95, n - 1, loc=x.mean(), scale=stats.sem(x))
    assert (ci.low, ci.high) == pytest.approx((low, high), rel=1e-12)
    low90, high90 = stats.t.interval(0.90, n - 1, loc=x.mean(), scale=stats.sem(x))
    assert (mean_ci(x, level=0.90).low, mean_ci(x, level=0.90).high) == pytest.approx((low90, high90), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_paired_difference_matches_scipy_ttest_rel(seed):
    rng = np.random.default_rng(seed)
    common = rng.normal(1e6, 2e5, 12)  # common random numbers: shared noise
    a, b = common + rng.normal(3e4, 1e4, 12), common + rng.normal(0, 1e4, 12)
    d = paired_difference(a, b)
    ref = stats.ttest_rel(a, b)
    ci = ref.confidence_interval(0.95)
    assert (d.diff.low, d.diff.high) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert d.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert d.diff.mean == pytest.approx(np.mean(a - b))
    assert d.relative == pytest.approx(np.mean(a - b) / np.mean(b))
    # pairing removes the shared noise: far narrower than the unpaired intervals
    assert d.diff.half_width < mean_ci(a).half_width / 5


def test_known_textbook_pairs():
    """Student's (1908) sleep data (Cushny & Peebles): extra hours of sleep, drugs 2 vs 1."""
    drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
    drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]
    d = paired_difference(drug2, drug1)
    assert d.diff.mean == pytest.approx(1.58)
    assert (d.diff.low, d.diff.high) == pytest.approx((0.7001142, 2.4598858), rel=1e-6)  # R: t.test(paired=TRUE)
    assert d.p_value == pytest.approx(0.002832890, rel=1e-5)


def test_degenerate_cases():
    assert math.isnan(mean_ci([]).mean) and mean_ci([]).n == 0
    one = mean_ci([5.0])
    assert one.mean == 5 and math.isnan(one.low) and math.isnan(one.high)
    flat = mean_ci([2.0, 2.0, 2.0])
    assert (flat.low, flat.high) == (2.0, 2.0)
    same = paired_difference([1.0, 2.0], [1.0, 2.0])
    assert same.diff.mean == 0 and math.isnan(same.p_value)
    shifted = paired_difference([2.0, 3.0], [1.0, 2.0])
    assert shifted.p_value == 0.0 and (shifted.diff.low, shifted.diff.high) == (1.0, 1.0)
    assert math.isnan(paired_difference([1.0, 2.0], [0.0, 0.0]).relative)


def test_nan_pairs_are_left_out():
    a = [1.0, np.nan, 3.0, 4.0]
    b = [0.5, 1.0, np.nan, 3.0]
    d = paired_difference(a, b)
    assert d.diff.n == 2 and d.diff.mean == pytest.approx(0.75)
    assert mean_ci([1.0, np.nan, 3.0]).n == 2
    with pytest.raises(ValueError, match="same length"):
        paired_difference([1.0], [1.0, 2.0])


def test_band_is_mean_ci_day_by_day():
    runs = np.random.default_rng(3).normal(size=(6, 20))
    mean, low, high = band(runs)
    for t in (0, 7, 19):
        ci = mean_ci(runs[:, t])
        assert (mean[t], low[t], high[t]) == pytest.approx((ci.mean, ci.low, ci.high), rel=1e-12)
    single = band(runs[:1])
    assert np.array_equal(single[1], single[0])
