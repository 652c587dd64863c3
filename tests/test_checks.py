"""``socsim check`` and the statistics of :mod:`sim.checks`.

The CLI is driven at a tiny size (400 agents, 20 contacts, 30 days, 3 seeds): the point
is that every behaviour of docs/BEHAVIOURS.md is run and reported with its figures and p-value,
that skips say why, and that a broken lever is reported as a failure — not that the
behaviours hold at that size (tests/test_behaviours.py checks them at a useful size).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from typer.testing import CliRunner

from sim.checks import CHECKS, CheckSettings, agreement_pvalues, holm, one_sample_greater, paired_greater, run_checks
from sim.cli import app

from _support import ROOT, scenario

BEHAVIOURS_MD = ROOT / "docs" / "BEHAVIOURS.md"
TINY = ["--reps", "3", "--population", "400", "--days", "30", "--set", "world.graph.degree=20", "--workers", "2"]


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    """One table row per line, so rows can be read back."""
    from sim import cli

    monkeypatch.setattr(cli.console, "width", 400)


def check(*args: str):
    return CliRunner().invoke(app, ["check", *TINY, *args])


def row(output: str, key: str) -> str:
    return next(line for line in output.splitlines() if f"{key}:" in line)


def test_check_runs_every_behaviour_and_reports_figures():
    result = check()
    out = result.output
    for c in CHECKS:
        assert f"{c.key}:" in out and c.behaviour in row(out, c.key)
    assert "PASS" in row(out, "reproducible") and "identical" in row(out, "reproducible")
    assert "PASS" in row(out, "bass") and "max |F − Bass|" in row(out, "bass")
    assert re.search(r"\d+ passed, \d+ failed, 0 skipped", out)
    assert re.search(r"\b0\.\d+\b", row(out, "content"))  # a p-value
    assert result.exit_code == (1 if "FAIL" in out else 0)


def test_checks_that_need_a_wechat_shop_are_skipped_with_a_reason():
    result = check("--set", "brands.focal.channels={tmall: {price: 129}}", "--only", "spillover",
                   "--only", "referral", "--only", "open_vs_closed", "--only", "bass")
    out = result.output
    for key in ("spillover", "referral", "open_vs_closed"):
        assert "skip" in row(out, key)
    assert "not listed on both" in out and "no social-channel shop" in out
    assert re.search(r"1 passed, 0 failed, 3 skipped", out) and result.exit_code == 0


def test_a_broken_lever_fails_the_check():
    """With referral_uplift = 0 a commission no longer raises sharing: the check must say so."""
    result = check("--set", "world.behaviour.referral_uplift=0", "--only", "referral")
    assert "FAIL" in row(result.output, "referral") and result.exit_code == 1


def test_bad_input_is_one_error_line():
    result = check("--only", "nonsense")
    assert result.exit_code == 1 and "unknown check 'nonsense'" in result.output
    result = check("--set", "world.behaviour.entry_bonuss=1")
    assert result.exit_code == 1 and "entry_bonuss" in result.output and "Traceback" not in result.output


def test_run_checks_library_bass_only_runs_no_simulation():
    calls = []
    [result] = run_checks(scenario(), CheckSettings(bass_seeds=2), progress=lambda d, t: calls.append(d), only=["bass"])
    assert result.status == "pass" and result.p_value is None and calls == []


# --------------------------------------------------------------------------- statistics
def test_holm_rejects_step_down():
    # m = 4: thresholds 0.0025, 0.0033, 0.005, 0.01
    np.testing.assert_array_equal(holm([0.002, 0.003, 0.04, 0.001], 0.01), [True, True, False, True])
    np.testing.assert_array_equal(holm([0.004, 0.003], 0.01), [True, True])
    np.testing.assert_array_equal(holm([0.006, 0.0055], 0.01), [False, False])  # 0.0055 > 0.01/2
    assert holm([], 0.01).size == 0


def test_agreement_pvalues_handle_constant_and_missing_values():
    assert agreement_pvalues(np.full(5, 3.0), np.full(6, 3.0)) == (1.0, 1.0)
    assert agreement_pvalues(np.full(5, 3.0), np.full(6, 4.0)) == (0.0, 0.0)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=40), rng.normal(size=40)
    a[3] = np.nan
    p_ks, p_welch = agreement_pvalues(a, b)
    assert 0.01 < p_ks <= 1 and 0.01 < p_welch <= 1
    assert max(agreement_pvalues(a, b + 2.0)) < 1e-6


def test_paired_and_one_sample_tests():
    base = np.arange(6.0)
    assert paired_greater(base + 1, base) == (True, 0.0)      # constant positive difference
    assert paired_greater(base, base) == (False, 1.0)
    ok, p = paired_greater(base + np.array([1, 2, 1.5, 1, 2, 1.2]), base)
    assert ok and p < 0.01
    assert one_sample_greater(np.array([0.6, 0.7, np.nan, 0.65, 0.62]), 0.5)[0]
    ok, p = one_sample_greater(np.array([np.nan, 0.7]), 0.5)
    assert not ok and np.isnan(p)


@pytest.mark.parametrize("key", [c.key for c in CHECKS])
def test_every_check_is_described_in_behaviours_md(key):
    """The table's behaviour names a section of docs/BEHAVIOURS.md, and the check has its own anchor there."""
    c = next(c for c in CHECKS if c.key == key)
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', BEHAVIOURS_MD.read_text(encoding="utf-8")))
    assert c.title and c.behaviour in anchors and c.key in anchors
