"""socsim's pictures and pages: one package, one style, Figure objects throughout.

* :mod:`~sim.plots.style` — the one look: figures, panels, saving at one DPI, number
  formats, axes, legends, event marks;
* :mod:`~sim.plots.run` — the PNG plots of one run (:func:`~sim.plots.run.run_plots`);
* :mod:`~sim.plots.worker` — those plots drawn by processes started with the run (``socsim run``);
* :mod:`~sim.plots.experiments` — experiment plots: KPIs with intervals, paired
  differences, daily bands, sweeps, elasticities, lift;
* :mod:`~sim.plots.analysis` — Morris μ*–σ chart and Sobol bars;
* :mod:`~sim.plots.graph` — degree histogram and a sampled ego network;
* :mod:`~sim.plots.html` — building blocks of self-contained HTML pages (escape, table,
  inline image, the style sheet).

Nothing here switches matplotlib's backend or uses pyplot: each figure is a
:class:`matplotlib.figure.Figure` saved as PNG, so importing a plot module has no side
effect. Import the module you need; this package imports none of them (matplotlib is
slow to import).
"""

__all__ = ["PLOT_FILES", "MAIN_PLOTS"]

#: File names :func:`sim.plots.run.run_plots` writes, in the order it returns them.
PLOT_FILES = (
    "funnel.png", "orders_by_channel.png", "revenue_by_channel.png", "spend_vs_profit.png",
    "spillover.png", "leaders.png", "private_domain.png", "kpi_bars.png", "referral_tree.png",
)
#: What a run writes unless every plot is asked for (``socsim run --all-plots``): the funnel,
#: where revenue closed and the totals per brand. Each plot costs 0.1–0.2 s of CPU to lay out
#: and encode, about half the simulation of the baseline.
MAIN_PLOTS = ("funnel.png", "revenue_by_channel.png", "kpi_bars.png")

