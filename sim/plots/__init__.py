"""socsim's pictures and pages: one package, one style, Figure objects throughout.

* :mod:`~sim.plots.style` — the one look: figures, panels, saving at one DPI, number
  formats, axes, legends, event marks;
* :mod:`~sim.plots.run` — the PNG plots of one run (:func:`~sim.plots.run.run_plots`);
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
