"""Bass docking (docs/BEHAVIOURS.md#bass-docking): the agent-based Bass model docks to Bass's closed form.

Mean-field mixing (a complete graph held as counts) with only innovation p and imitation
q must follow F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p)e^{−(p+q)t}) within 0.02 at N = 10⁴,
averaged over seeds; on a small world (Fibich & Levin 2023) adoption lies between the
two-node curve and Bass, near Bass.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import ValidationError

from sim.verification.bass import (
    BassSpec, bass_curve, half_time, mean_share, peak_share, peak_time, simulate_bass, two_node_curve,
)
from sim.config.schema import GraphSpec

N = 10_000
SEEDS = range(4)


def test_closed_form_figures_of_the_bass_model():
    p, q = 0.03, 0.38
    assert peak_time(p, q) == pytest.approx(6.19, abs=0.005)
    assert peak_share(p, q) == pytest.approx(0.461, abs=0.0005)
    assert bass_curve(peak_time(p, q), p, q) == pytest.approx(peak_share(p, q))
    assert bass_curve(5.0, p, q) == pytest.approx(0.331, abs=0.0005)
    assert bass_curve(10.0, p, q) == pytest.approx(0.813, abs=0.0005)
    assert half_time(p, q) == pytest.approx(6.55, abs=0.005)
    assert bass_curve(half_time(p, q), p, q) == pytest.approx(0.5)
    assert two_node_curve(10.0, p, q) == pytest.approx(0.406, abs=0.0005)


def test_closed_form_solves_the_bass_equation():
    """dF/dt = (p + qF)(1 − F), F(0) = 0, checked by finite differences."""
    p, q, t, h = 0.03, 0.38, np.linspace(0.0, 20.0, 201), 1e-5
    slope = (bass_curve(t + h, p, q) - bass_curve(t - h, p, q)) / (2 * h)
    f = bass_curve(t, p, q)
    np.testing.assert_allclose(slope, (p + q * f) * (1 - f), atol=1e-8)
    assert bass_curve(0.0, p, q) == 0.0


@pytest.mark.parametrize("p, q", [(0.03, 0.38), (0.01, 0.5), (0.1, 0.2), (0.02, 0.9)])
def test_mean_field_adoption_follows_the_bass_curve(p, q):
    run = mean_share(BassSpec(p=p, q=q), N, SEEDS)
    error = np.abs(run.share - bass_curve(run.times, p, q)).max()
    assert error <= 0.02, error


def test_day_steps_lag_the_curve_small_sub_steps_do_not():
    """Niu 2002 / Fibich et al. 2023: a coarse synchronous step lags the ODE."""
    coarse = mean_share(BassSpec(dt=1.0), N, SEEDS)
    fine = mean_share(BassSpec(dt=0.02), N, SEEDS)
    lag = [np.abs(r.share - bass_curve(r.times, 0.03, 0.38)).max() for r in (coarse, fine)]
    assert lag[0] > 0.02 > lag[1], lag


def test_complete_graph_kind_is_mean_field_without_building_ties():
    """kind 'complete' at N = 10⁵ (5·10⁹ ties if built) runs as counts."""
    spec = BassSpec(graph=GraphSpec(kind="complete"), horizon=10.0, dt=0.05)
    assert spec.mean_field
    run = simulate_bass(spec, 100_000, np.random.default_rng(0))
    assert run.share[-1] == pytest.approx(bass_curve(10.0, 0.03, 0.38), abs=0.01)


def test_small_world_sits_between_two_node_curve_and_bass_near_bass():
    """Fibich & Levin 2023: F_two-node ≤ F_network ≤ F_Bass; small worlds ≈ Bass."""
    p, q = 0.03, 0.38
    world = mean_share(BassSpec(graph=GraphSpec(kind="small_world", degree=150, rewire=0.1)), N, range(2))
    ring = mean_share(BassSpec(graph=GraphSpec(kind="small_world", degree=2, rewire=0.0)), N, range(2))
    upper, lower = bass_curve(world.times, p, q), two_node_curve(world.times, p, q)
    for run in (world, ring):
        assert np.all(run.share <= upper + 0.01) and np.all(run.share >= lower - 0.01)
    assert np.abs(world.share - upper).max() <= 0.03
    at10 = np.searchsorted(world.times, 10.0)
    assert ring.share[at10] < world.share[at10] - 0.1  # a 1-D chain is far slower


def test_same_seed_same_curve_different_seed_different():
    spec = BassSpec(graph=GraphSpec(kind="small_world", degree=20, rewire=0.1), horizon=5.0)
    a, b, c = (simulate_bass(spec, 2000, np.random.default_rng(s)) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.share, b.share)
    assert not np.array_equal(a.share, c.share)


def test_inputs_are_checked():
    with pytest.raises(ValidationError, match="p"):
        BassSpec(p=0.0)
    with pytest.raises(ValidationError, match="dt"):
        BassSpec(dt=-1.0)
    with pytest.raises(ValueError, match="at least 2"):
        simulate_bass(BassSpec(), 1, np.random.default_rng(0))
