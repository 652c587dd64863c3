"""What a run needs before it starts: an estimate of its peak memory, checked against
what this machine has, so a run that cannot fit is refused at once, naming the limit,
instead of failing with ``MemoryError`` after building half a graph.

The figures are measured on the model as built (Python 3.11, numpy 2, numba): a
process with a 1,000-agent market peaks at 275 MiB; building a social graph adds
12.4 bytes per agent × contact (200,000 × 150 → +320 MiB, 400,000 × 150 → +703 MiB,
200,000 × 500 → +1,180 MiB). A day's exposures are rows of about 48 bytes, one per
ad impression or search click an agent receives. A run's time on one core is about
0.2 s plus 0.15 µs per agent and simulated day plus 0.1 µs per agent × contact — a
rough guide (within a factor of two on the runs measured), for planning, not a promise.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .config.schema import Scenario
from .errors import SocsimError

__all__ = ["MemoryEstimate", "ResourceError", "run_memory", "run_seconds", "available_memory", "check_memory"]

BASE_BYTES = 300 * 2**20       # interpreter, numpy, numba kernels (measured 275 MiB)
BYTES_PER_TIE_END = 13         # graph build peak per agent × contact (measured 12.4)
BYTES_PER_AGENT = 200          # consumer state arrays, per agent (assumption, an upper bound)
BYTES_PER_EXPOSURE = 48        # one exposure row in a day's buffer
SECONDS_PER_RUN = 0.2          # a run's fixed cost: scenario, streams, tables (measured, one core)
SECONDS_PER_AGENT_DAY = 1.5e-7  # 20,000 agents: 4.9 ms a simulated day; 100,000 × 365 days: 4.3 s
SECONDS_PER_TIE_END = 1e-7     # building the graph


class ResourceError(SocsimError):
    """A run needs more memory than this machine has."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak memory of one run, in bytes, by part."""

    graph: int
    agents: int
    exposures: int

    @property
    def total(self) -> int:
        return BASE_BYTES + self.graph + self.agents + self.exposures

    def describe(self) -> str:
        """``about 1.2 GiB (social graph 0.9 GiB, agents 4 MiB, a day's exposures 20 MiB)``."""
        return (f"about {_size(self.total)} (social graph {_size(self.graph)}, agents {_size(self.agents)}, "
                f"a day's exposures {_size(self.exposures)})")


def _size(n: float) -> str:
    if n >= 2**50:
        return "over 1,000 TiB"
    for unit, power in (("TiB", 40), ("GiB", 30), ("MiB", 20)):
        if n >= 2**power:
            return f"{n / 2**power:,.1f} {unit}"
    return f"{n / 2**10:,.0f} KiB"


def run_memory(scenario: Scenario) -> MemoryEstimate:
    """The estimated peak memory of one run of ``scenario`` (see the module notes for the figures)."""
    world = scenario.world
    n = world.population
    degree = n - 1 if world.graph.kind == "complete" else world.graph.degree
    daily = 0.0
    for brand in scenario.brands:
        daily += sum(m.budget_per_day / m.cpm_yuan * 1000.0 for m in brand.strategy.paid_media)
        daily += sum(a.budget_per_day / a.cpc_yuan for a in brand.strategy.search_ads)
    exposures = daily / world.scale * BYTES_PER_EXPOSURE
    return MemoryEstimate(graph=n * degree * BYTES_PER_TIE_END, agents=n * BYTES_PER_AGENT,
                          exposures=int(min(exposures, 2.0**80)))


def run_seconds(scenario: Scenario) -> float:
    """Rough seconds one run of ``scenario`` takes on one core (see the module notes)."""
    world = scenario.world
    degree = world.population - 1 if world.graph.kind == "complete" else world.graph.degree
    return (SECONDS_PER_RUN + SECONDS_PER_AGENT_DAY * world.population * scenario.simulation.days
            + SECONDS_PER_TIE_END * world.population * degree)


def available_memory() -> int:
    """Bytes this process may still use: the smaller of the memory available and its address-space limit."""
    limits = []
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            limits += [int(line.split()[1]) * 1024 for line in fh if line.startswith("MemAvailable:")]
    except (OSError, ValueError, IndexError):
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES"))
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(limits)


def check_memory(scenario: Scenario, where: str = "the run") -> MemoryEstimate:
    """The estimate of :func:`run_memory`, or a ResourceError if it exceeds :func:`available_memory`.

    Raises
    ------
    ResourceError
        Saying what the run needs, by part, what this machine has, and what to lower.
    """
    need, have = run_memory(scenario), available_memory()
    if need.total > have:
        raise ResourceError(f"{where} needs {need.describe()} of memory, but this machine has {_size(have)} available; "
                            "lower world.population or world.graph.degree (the graph), or the ad budgets "
                            "(budget_per_day; a day's exposures), or raise world.market_size")
    return need
