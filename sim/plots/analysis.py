"""Plots of the analyses: Morris μ*–σ chart, Sobol S1/S_T bars with intervals, search convergence.

Figures are laid out and saved in the one style of :mod:`sim.plots.style` (same footer
and DPI as the experiment plots).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .style import colour, panels, save_with_footer

if TYPE_CHECKING:
    from ..analysis.sensitivity import SensitivityResult

__all__ = ["sensitivity_plots", "morris_chart", "sobol_bars", "convergence_chart"]


def sensitivity_plots(result: "SensitivityResult", folder: Path) -> list[Path]:
    """One figure per method: a panel per output."""
    if result.method == "morris":
        return [morris_chart(result, folder / "morris_mu_star_sigma.png")]
    return [sobol_bars(result, folder / "sobol_indices.png")]


def morris_chart(result: "SensitivityResult", path: Path) -> Path:
    """μ* (x, with its interval) against σ (y) per parameter; the line σ = μ* marks strong interaction."""
    fig, axes = panels(len(result.outputs), ncols=2, size=(5.5, 4.2))
    for ax, out in zip(axes, result.outputs):
        mu = np.array([e.mu_star for e in out.effects])
        ax.errorbar(mu, [e.sigma for e in out.effects], xerr=[e.mu_star_conf for e in out.effects], fmt="o", capsize=3)
        for e in out.effects:
            ax.annotate(e.name, (e.mu_star, e.sigma), textcoords="offset points", xytext=(4, 4), fontsize=8)
        top = float(max(mu.max(), max(e.sigma for e in out.effects), 1e-12)) * 1.1
        ax.plot([0, top], [0, top], ls="--", color="0.6", lw=0.8)
        ax.set(xlabel="μ* (mean |elementary effect|)", ylabel="σ", title=out.metric)
    fig.suptitle("Morris screening: importance (μ*) and interaction / non-linearity (σ)")
    return save_with_footer(fig, path, f"{len(result.X)} points, {_reps(result)} replication(s) each")


def sobol_bars(result: "SensitivityResult", path: Path) -> Path:
    """S1 and S_T per parameter with their 95 % bootstrap intervals."""
    fig, axes = panels(len(result.outputs), ncols=2, size=(5.5, 4.2))
    for ax, out in zip(axes, result.outputs):
        y = np.arange(len(out.effects))
        ax.barh(y - 0.2, [e.s1 for e in out.effects], 0.4, xerr=[e.s1_conf for e in out.effects], label="S1 (first order)", capsize=3)
        ax.barh(y + 0.2, [e.st for e in out.effects], 0.4, xerr=[e.st_conf for e in out.effects], label="S_T (total)", capsize=3)
        ax.set_yticks(y, [e.name for e in out.effects])
        ax.invert_yaxis()
        ax.set(xlabel="share of output variance", title=out.metric)
        ax.legend(fontsize=8)
    fig.suptitle("Sobol indices with 95 % intervals")
    return save_with_footer(fig, path, f"{len(result.X)} points, {_reps(result)} replication(s) each")


def convergence_chart(searches: Sequence[tuple[str, Sequence[float]]], path: Path, title: str, footer: str) -> Path:
    """Loss of every candidate in the order tried (dots) and the best so far (line), one colour per search.

    ``searches`` are (label, losses) pairs, e.g. one per categorical choice of an
    optimisation; candidates beyond the budget (infinite loss) are left out. A flat best
    line over the last candidates says the search has settled; a line still falling says
    more evaluations would help.
    """
    fig, (ax,) = panels(1, size=(8.0, 4.2))
    for i, (label, losses) in enumerate(searches):
        y = np.asarray(losses, dtype=float)
        y = y[np.isfinite(y)]
        x = np.arange(1, len(y) + 1)
        ax.plot(x, y, "o", color=colour(i), alpha=0.35, markersize=4)
        ax.step(x, np.minimum.accumulate(y), where="post", color=colour(i), linewidth=2.0, label=f"{label}: best so far")
    ax.set(xlabel="candidate (in the order tried)", ylabel="loss (lower is better)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, frameon=False)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    return save_with_footer(fig, path, footer)


def _reps(result: "SensitivityResult") -> int:
    per = result.evaluation.per_rep
    return 1 if per is None else per.shape[1]

