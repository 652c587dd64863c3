"""Does the model do what it says? Behaviour checks, docking and cross-checks (docs/VERIFICATION.md).

* :mod:`~sim.verification.stats` — paired and one-sample t-tests, two-sample agreement
  (KS, Welch), Holm's correction; the level :data:`~sim.verification.stats.ALPHA`;
* :mod:`~sim.verification.jobs` — (engine, scenario, seed) runs on the experiments' local
  process pool, summarised to flat KPIs and a digest of the books;
* :mod:`~sim.verification.suite` — the behaviour checks of ``socsim check``
  (:func:`~sim.verification.suite.run_checks`);
* :mod:`~sim.verification.docking` — the fast engine against the reference engine;
* :mod:`~sim.verification.bass` — the agent-based Bass model against its closed form;
* :mod:`~sim.verification.cascade` — word of mouth against an independent cascade.

Import the module you need; this package imports none of them.
"""
