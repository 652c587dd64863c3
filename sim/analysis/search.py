"""Derivative-free search over the unit cube (scipy), shared by calibration and optimisation.

Parameters are searched on [0, 1]^k and mapped to their bounds, so one tolerance fits
every parameter. Every point evaluated is remembered (a simplex revisits points; a
stochastic model under common random numbers gives the same value again).

References
----------
.. [1] Nelder, J. A., Mead, R. (1965). A simplex method for function minimization.
   Comput. J. 7, 308–313.
.. [2] Powell, M. J. D. (1964). An efficient method for finding the minimum of a
   function of several variables without calculating derivatives. Comput. J. 7, 155–162.
.. [3] Storn, R., Price, K. (1997). Differential evolution. J. Global Optim. 11, 341–359.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .spec import OptimiserSettings, Parameter

__all__ = ["SearchResult", "minimise", "to_values"]


@dataclass(frozen=True)
class SearchResult:
    """Best unit-cube point, its loss, and every point tried (in order)."""

    x: np.ndarray
    loss: float
    tried: tuple[tuple[tuple[float, ...], float], ...]


def to_values(parameters: Sequence[Parameter], u: np.ndarray) -> np.ndarray:
    """Unit-cube point → parameter values (integers rounded)."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    values = np.array([p.low + ui * (p.high - p.low) for p, ui in zip(parameters, u)])
    return np.array([round(v) if p.integer else v for p, v in zip(parameters, values)], dtype=float)


def minimise(loss: Callable[[np.ndarray], float], k: int, settings: OptimiserSettings, seed: int = 0,
             start: np.ndarray | None = None) -> SearchResult:
    """Minimise ``loss`` over [0, 1]^k with the scipy optimiser of ``settings``.

    Parameters
    ----------
    loss : callable
        Of a unit-cube point; called at most ``settings.max_evaluations`` times for new points.
    k : int
        Dimensions.
    settings : OptimiserSettings
    seed : int
        Seeds differential evolution.
    start : ndarray, optional
        Starting point (default: the centre).
    """
    from scipy import optimize

    memo: dict[tuple[float, ...], float] = {}

    def f(u: np.ndarray) -> float:
        key = tuple(np.round(np.clip(u, 0, 1), 12))
        if key not in memo:
            memo[key] = np.inf if len(memo) >= settings.max_evaluations else float(loss(np.array(key)))
        return memo[key]

    x0 = np.full(k, 0.5) if start is None else np.asarray(start, dtype=float)
    bounds = [(0.0, 1.0)] * k
    if settings.method == "differential_evolution":
        popsize = max(2, settings.max_evaluations // (4 * k))
        optimize.differential_evolution(f, bounds, maxiter=3, popsize=popsize, seed=seed, polish=False, tol=settings.tolerance)
    elif settings.method == "nelder-mead":
        optimize.minimize(f, x0, method="Nelder-Mead", bounds=bounds,
                          options={"maxfev": settings.max_evaluations, "xatol": settings.tolerance, "fatol": settings.tolerance,
                                   "initial_simplex": _simplex(x0)})
    else:
        optimize.minimize(f, x0, method="Powell", bounds=bounds,
                          options={"maxfev": settings.max_evaluations, "xtol": settings.tolerance, "ftol": settings.tolerance})
    finite = {x: v for x, v in memo.items() if np.isfinite(v)}
    best = min(finite, key=finite.get)
    return SearchResult(np.array(best), finite[best], tuple(finite.items()))


#: Edge of the first Nelder–Mead simplex on the unit cube. scipy's default (5 % of each
#: coordinate) is a few thousandths of the range near a bound, where a stochastic model's
#: loss is flat: the simplex then shrinks around its start and never leaves it.
SIMPLEX_STEP = 0.25


def _simplex(x0: np.ndarray) -> np.ndarray:
    """``x0`` and one vertex per axis, ``SIMPLEX_STEP`` away towards the middle of the range."""
    vertices = [x0]
    for i in range(len(x0)):
        v = x0.copy()
        v[i] += SIMPLEX_STEP if x0[i] <= 0.5 else -SIMPLEX_STEP
        vertices.append(v)
    return np.array(vertices)
