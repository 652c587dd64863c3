"""The Bass diffusion model as an agent-based check (docs/BEHAVIOURS.md, Bass docking).

Each agent adopts once. In mean-field mixing (a complete graph, held as counts only:
no N² ties are built) a non-adopter adopts during a sub-step of length dt with
probability 1 − exp(−(p + q·F)·dt), F being the share who have adopted. As N grows and
dt shrinks the adoption share follows Bass's closed form

    F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p)·e^{−(p+q)t}),

which is the mean-field docking check (``socsim check --only bass``). On a social graph (any kind of
:mod:`sim.graph`, held in CSR) the imitation pressure on agent i is q times the share of
*her contacts* who adopted; Fibich & Levin (2023) show that adoption then lies between the
two-node curve and the Bass curve, and that small worlds sit near Bass.

Typical use::

    spec = BassSpec(p=0.03, q=0.38)
    run = simulate_bass(spec, 10_000, np.random.default_rng(1))
    abs(run.share - bass_curve(run.times, spec.p, spec.q)).max()   # ≈ 0.01

References
----------
.. [1] Bass, F. M. (1969). A new product growth for model consumer durables.
   Management Science 15(5), 215–227.
.. [2] Sultan, F., Farley, J. U., Lehmann, D. R. (1990). A meta-analysis of applications
   of diffusion models. Journal of Marketing Research 27(1): p ≈ 0.03, q ≈ 0.38.
.. [3] Niu, S.-C. (2002). A stochastic formulation of the Bass model of new-product
   diffusion. Mathematical Problems in Engineering 8(3).
.. [4] Fibich, G., Gibori, R. (2010). Aggregate diffusion dynamics in agent-based models
   with a spatial structure. Operations Research 58(5).
.. [5] Fibich, G., Levin, T. (2023). Diffusion of new products in networks: bounds and
   small-world behaviour (the two-node lower bound and the Bass upper bound).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..config.schema import GraphSpec
from ..graph import build_graph
from ..graph.csr import SocialGraph
from ..market.signals import expand_rows

__all__ = [
    "BassSpec", "BassRun", "simulate_bass", "mean_share", "bass_curve", "two_node_curve",
    "peak_time", "peak_share", "half_time",
]


class BassSpec(BaseModel):
    """An adoption process with only innovation ``p`` and imitation ``q`` (no marketing mix).

    Time is in the unit of 1/p (years in Sultan et al.'s meta-analysis; any unit here).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    p: float = Field(0.03, gt=0.0, le=1.0, description="innovation coefficient per unit time (Sultan et al. 1990: 0.03)")
    q: float = Field(0.38, ge=0.0, le=10.0, description="imitation coefficient per unit time (Sultan et al. 1990: 0.38)")
    horizon: float = Field(20.0, gt=0.0, le=1000.0, description="time simulated, in the unit of 1/p")
    dt: float = Field(0.02, gt=0.0, le=1.0, description="sub-step; a day-step synchronous update lags the ODE (Niu 2002), so keep (p+q)·dt small")
    graph: GraphSpec | None = Field(None, description="contact graph; None or kind 'complete': mean-field mixing without building ties")

    @property
    def mean_field(self) -> bool:
        """True when imitation is driven by the whole population's adoption share."""
        return self.graph is None or self.graph.kind == "complete"


@dataclass(frozen=True)
class BassRun:
    """One simulated adoption curve.

    Attributes
    ----------
    times : ndarray (K + 1,)
        0, dt, 2·dt, … horizon.
    share : ndarray (K + 1,)
        Share of agents who had adopted by each time.
    n : int
        Agents.
    """

    times: np.ndarray
    share: np.ndarray
    n: int


def simulate_bass(spec: BassSpec, n: int, rng: np.random.Generator) -> BassRun:
    """Simulate agent-based Bass adoption for ``n`` agents.

    Parameters
    ----------
    spec : BassSpec
        p, q, horizon, dt and the contact graph (None: mean field).
    n : int
        Number of agents (≥ 2).
    rng : numpy.random.Generator
        Every draw (the graph too) comes from it.

    Returns
    -------
    BassRun

    Notes
    -----
    Each sub-step, every non-adopter i adopts with probability
    1 − exp(−(p + q·x_i)·dt), where x_i = F (mean field) or the share of i's contacts
    who have adopted (graph). New adopters count from the next sub-step (synchronous).
    """
    if n < 2:
        raise ValueError(f"n = {n}: Bass adoption needs at least 2 agents")
    steps = int(round(spec.horizon / spec.dt))
    graph = None if spec.mean_field else build_graph(spec.graph, n, rng)
    pressure = _MeanField(n) if graph is None else _Neighbours(graph)
    adopted = np.zeros(n, bool)
    share = np.zeros(steps + 1)
    for k in range(1, steps + 1):
        waiting = np.flatnonzero(~adopted)
        hazard = spec.p + spec.q * pressure.share(waiting)
        new = waiting[rng.random(len(waiting)) < -np.expm1(-hazard * spec.dt)]
        adopted[new] = True
        pressure.adopt(new)
        share[k] = adopted.mean()
    return BassRun(times=np.arange(steps + 1) * spec.dt, share=share, n=n)


class _MeanField:
    """Everyone sees everyone: the pressure is the population's adoption share."""

    def __init__(self, n: int):
        self.n, self.adopters = n, 0

    def share(self, who: np.ndarray) -> float:
        return self.adopters / self.n

    def adopt(self, new: np.ndarray) -> None:
        self.adopters += len(new)


class _Neighbours:
    """Pressure on i: the share of i's contacts (CSR row) who have adopted."""

    def __init__(self, graph: SocialGraph):
        self.graph = graph
        self.count = np.zeros(graph.n, np.int64)
        self.degree = np.maximum(graph.degree(), 1)

    def share(self, who: np.ndarray) -> np.ndarray:
        return self.count[who] / self.degree[who]

    def adopt(self, new: np.ndarray) -> None:
        if len(new):
            _, contacts, _ = expand_rows(self.graph, new)
            self.count += np.bincount(contacts, minlength=self.graph.n)


def mean_share(spec: BassSpec, n: int, seeds: range | list[int]) -> BassRun:
    """Adoption share averaged over runs with ``seeds`` (one generator per seed)."""
    runs = [simulate_bass(spec, n, np.random.default_rng(s)) for s in seeds]
    return BassRun(times=runs[0].times, share=np.mean([r.share for r in runs], axis=0), n=n)


# --------------------------------------------------------------------------- closed forms
def bass_curve(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """Bass (1969): F(t) = (1 − e^{−(p+q)t}) / (1 + (q/p)·e^{−(p+q)t})."""
    e = np.exp(-(p + q) * np.asarray(t, dtype=float))
    return (1.0 - e) / (1.0 + (q / p) * e)


def two_node_curve(t: np.ndarray | float, p: float, q: float) -> np.ndarray:
    """Adoption on two connected agents: the lower bound on any network (Fibich & Levin 2023).

    Notes
    -----
    F₂(t) = 1 − e^{−2pt} − p/(q−p)·(e^{−2pt} − e^{−(p+q)t}) (q ≠ p): an agent adopts
    with hazard p until her one contact adopts, then with p + q.
    """
    t = np.asarray(t, dtype=float)
    alone = np.exp(-2.0 * p * t)
    if np.isclose(q, p):
        return 1.0 - alone - p * t * alone
    return 1.0 - alone - p / (q - p) * (alone - np.exp(-(p + q) * t))


def peak_time(p: float, q: float) -> float:
    """t* = ln(q/p)/(p+q), when adoptions per unit time peak (q > p)."""
    return float(np.log(q / p) / (p + q))


def peak_share(p: float, q: float) -> float:
    """F(t*) = (q − p)/(2q)."""
    return (q - p) / (2.0 * q)


def half_time(p: float, q: float) -> float:
    """Time at which half have adopted: ln(2 + q/p)/(p+q)."""
    return float(np.log(2.0 + q / p) / (p + q))
