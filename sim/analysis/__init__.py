"""Analyses over the model: sensitivity (Morris, Sobol), calibration to targets, strategy optimisation.

* :mod:`~sim.analysis.spec` — the analysis files (pydantic);
* :mod:`~sim.analysis.model` — the model as a function of parameter values, evaluated on
  the experiments' executors and results store (:func:`evaluate`);
* :mod:`~sim.analysis.sensitivity` — sample, evaluate, analyse (SALib);
* :mod:`~sim.plots.analysis` — μ*–σ chart and Sobol bars.
"""

from .model import Evaluation, ScenarioModel, evaluate
from .sensitivity import SensitivityResult, analyse, run_sensitivity, sample

__all__ = ["Evaluation", "ScenarioModel", "evaluate", "SensitivityResult", "analyse", "run_sensitivity", "sample"]
