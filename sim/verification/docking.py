"""Docking (Axtell et al. 1996): do two engines give the same KPI distributions?

Run a scenario over many seeds with each engine, then test every headline KPI with a
two-sample Kolmogorov–Smirnov test (the whole distribution) and a Welch t-test (the
mean), and decide the whole family with Holm's correction at α = 0.01. The two engines
use *different* seeds, so the samples are independent, as both tests assume.

References
----------
.. [1] Axtell, R., Axelrod, R., Epstein, J. M., Cohen, M. D. (1996). Aligning simulation
   models: a case study and results. Computational and Mathematical Organization
   Theory 1(2).
.. [2] Rand, W., Rust, R. T. (2011). Agent-based modeling in marketing: guidelines for
   rigor. International Journal of Research in Marketing 28(3).
.. [3] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
   Scandinavian Journal of Statistics 6(2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .jobs import RunSummary
from .stats import ALPHA, agreement_pvalues, holm

__all__ = ["HEADLINE", "headline_names", "KpiAgreement", "DockingReport", "dock"]

#: Per-brand KPIs compared (besides orders on each channel): revenue, contribution,
#: spill-over share, active leaders, private domain, shares, detractors, the AIPL stocks at the
#: end, the referral commission with the orders that paid a second level (the referral trees) and
#: the non-followers captured into the private domain per touchpoint.
HEADLINE = ("revenue", "contribution", "spillover_share", "active_leaders", "private_domain", "shares", "detractors",
            "aipl.aware", "aipl.interested", "aipl.purchased", "aipl.loyal", "spend.referral_commission",
            "referral.orders_level2", "captured_content", "captured_live", "captured_wecom", "captured_detail")


def headline_names(summary: RunSummary) -> list[str]:
    """The headline KPIs of a run, for every brand: ``<brand>.channels.<c>.orders`` and
    ``<brand>.<k>`` for k in :data:`HEADLINE`."""
    keep = []
    for name in summary.kpis:
        rest = name.partition(".")[2]
        if rest in HEADLINE or (rest.startswith("channels.") and rest.endswith(".orders")):
            keep.append(name)
    return keep


@dataclass(frozen=True)
class KpiAgreement:
    """One KPI in both samples.

    Attributes
    ----------
    name : str
    mean_a, mean_b, sd_a, sd_b : float
    p_ks, p_welch : float
        Two-sample KS and Welch t-test p-values.
    rejected : bool
        Either test rejected within the Holm-corrected family.
    """

    name: str
    mean_a: float
    mean_b: float
    sd_a: float
    sd_b: float
    p_ks: float
    p_welch: float
    rejected: bool


@dataclass(frozen=True)
class DockingReport:
    """The verdict on a family of KPIs at family level ``alpha``."""

    kpis: tuple[KpiAgreement, ...]
    alpha: float
    n_a: int
    n_b: int

    @property
    def agree(self) -> bool:
        """No KPI differs at the family level."""
        return not any(k.rejected for k in self.kpis)

    @property
    def rejected(self) -> list[str]:
        return [k.name for k in self.kpis if k.rejected]

    def table(self) -> str:
        """Plain-text table: KPI, means ± sd, p-values, verdict."""
        lines = [f"{'KPI':40s} {'A mean ± sd':>22s} {'B mean ± sd':>22s} {'p KS':>7s} {'p Welch':>8s}"]
        for k in self.kpis:
            lines.append(f"{k.name:40s} {k.mean_a:12.4g} ± {k.sd_a:<8.3g}{k.mean_b:12.4g} ± {k.sd_b:<8.3g}"
                         f"{k.p_ks:7.3f} {k.p_welch:8.3f}{'  REJECTED' if k.rejected else ''}")
        return "\n".join(lines)


def dock(a: list[RunSummary], b: list[RunSummary], alpha: float = ALPHA,
         names: list[str] | None = None) -> DockingReport:
    """Compare two samples of runs KPI by KPI (KS and Welch), Holm-corrected at ``alpha``.

    Parameters
    ----------
    a, b : list of RunSummary
        Runs of the same scenario from two engines, with different seeds.
    alpha : float, default 0.01
        Family-wise level over all 2 × len(names) tests.
    names : list of str, optional
        Flat KPI names; default :func:`headline_names` of the first run of ``a``. A KPI
        that is NaN in all but a few runs of either sample (fewer than 5) is left out, and
        so is one with the same constant in every run of both samples (a lever the scenario
        leaves at 0): it can never reject, and in the family it would only lower every
        other KPI's Holm threshold.
    """
    names = names or headline_names(a[0])
    rows, pvalues = [], []
    for name in names:
        xa, xb = _values(a, name), _values(b, name)
        if min(np.count_nonzero(~np.isnan(xa)), np.count_nonzero(~np.isnan(xb))) < 5 or _one_constant(xa, xb):
            continue
        p_ks, p_welch = agreement_pvalues(xa, xb)
        rows.append((name, xa, xb, p_ks, p_welch))
        pvalues += [p_ks, p_welch]
    rejected = holm(pvalues, alpha).reshape(-1, 2).any(axis=1) if rows else np.zeros(0, bool)
    kpis = tuple(KpiAgreement(name, np.nanmean(xa), np.nanmean(xb), np.nanstd(xa, ddof=1), np.nanstd(xb, ddof=1),
                              p_ks, p_welch, bool(r))
                 for (name, xa, xb, p_ks, p_welch), r in zip(rows, rejected))
    return DockingReport(kpis=kpis, alpha=alpha, n_a=len(a), n_b=len(b))


def _values(runs: list[RunSummary], name: str) -> np.ndarray:
    return np.array([r.kpis.get(name, np.nan) for r in runs], dtype=float)


def _one_constant(xa: np.ndarray, xb: np.ndarray) -> bool:
    """Whether both samples hold one and the same value in every run (NaNs aside)."""
    both = np.concatenate([xa, xb])
    both = both[~np.isnan(both)]
    return bool(both.size) and np.ptp(both) == 0
