"""What a run needs before it starts: an estimate of its peak memory, checked against
what this machine has, so a run that cannot fit is refused at once, naming the limit,
instead of failing with ``MemoryError`` after building half a graph.

The figures are measured on the model as built (Python 3.11, numpy 2, numba; peak RSS
of fresh processes, benchmarks/RESULTS.md): a process with a 1,000-agent market peaks
at 0.20 GiB (Python 3.11 and 3.13; the fast engine imports no Mesa). The social graph keeps 5 bytes per agent × contact (an int32 contact and a
one-byte Dunbar layer) and 8 per agent (row pointers): 758 bytes per agent at k = 150.
Building it needs more for a moment, by generator (bytes per agent, r = rewire·k/2 the
rewired ties an agent owns): small_world the largest of the result, 17·r + k/16 while the
rewired ties are drawn (below 1, their ring positions, keys and geometric gaps; a bit per
ring tie marks those rewired away) and 4·k + 16 + 8·r + k/16 while the rows are written
(a 4-byte word per agent × contact, row pointers and cursors, the rewired ties' keys:
1,225 at k = 150, rewire 1, exact to 0.1 byte at 200,000 agents); communities 9.7 per
agent × contact (1,445 at k = 150); powerlaw_cluster 32 (4,808); an edge list 22 (numpy's
text reader). The graph is built before the consumers, so a
run's peak is the larger of the build and the graph with the consumers and a day's
exposures. Consumers keep :func:`~sim.population.population_bytes` (78 bytes per agent
with 2 brands) and their days another 64 (need draws, audiences, followers); a day's
exposures are rows of about 48 bytes, one per ad impression or search click an agent
receives. A run's time on one core is about 0.2 s plus 0.15 µs per agent and simulated
day plus 30 ns per agent × contact — a rough guide (within a factor of two on the runs
measured), for planning, not a promise. The first run after an install or a change to
the kernels compiles them (:mod:`sim.jit`): LLVM then holds about 0.4 GiB more (peak RSS
of a run on a cold cache less a warm one's: 407 MiB at 1,000 agents, ≈ 400 at 200,000),
counted while the kernel cache is cold (:func:`~sim.jit.kernels_cached`; a cache that
holds some kernels counts as warm).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .config.schema import GraphSpec, Scenario
from .errors import SocsimError
from .jit import kernels_cached
from .population import population_bytes

__all__ = ["MemoryEstimate", "ResourceError", "run_memory", "run_seconds", "available_memory", "check_memory"]

BASE_BYTES = 256 * 2**20       # interpreter, numpy, numba kernels (a 1,000-agent run peaks at 197 MiB on 3.11, 207 on 3.13)
BYTES_PER_TIE_END = 5          # the graph: an int32 contact and a one-byte layer per agent × contact
BYTES_PER_NODE = 8             # the graph's int64 row pointers
#: Build peak per agent × contact, result included, by generator (measured at k = 150).
BUILD_BYTES_PER_TIE_END = {"communities": 9.7, "powerlaw_cluster": 32.0, "edge_list": 22.0}
BYTES_PER_REWIRED_DRAW = 17    # small_world, rewire < 1: a rewired tie's position, key and gap (measured: 16.6)
BYTES_PER_REWIRED_KEY = 8      # small_world: a rewired tie's key, kept while the rows are written
BYTES_PER_WORD = 4             # small_world: an agent × contact's word while the rows are written
BYTES_PER_NODE_FILL = 16       # small_world: row pointers and fill cursors while the rows are written
COMPILE_BYTES = 420 * 2**20    # LLVM compiling the kernels on a cold cache (measured ≈ 400 MiB)
RUN_BYTES_PER_AGENT = 64       # a day's need draws and shopper list, audiences, KOL followers (measured ≈ 44)
BYTES_PER_EXPOSURE = 48        # one exposure row in a day's buffer
SECONDS_PER_RUN = 0.2          # a run's fixed cost: scenario, streams, tables (measured, one core)
SECONDS_PER_AGENT_DAY = 1.5e-7  # 20,000 agents: 4.9 ms a simulated day; 100,000 × 365 days: 4.3 s
SECONDS_PER_TIE_END = 3e-8     # building the graph (10⁶ × 150: 4 s of CPU)


class ResourceError(SocsimError):
    """A run needs more memory than this machine has."""


@dataclass(frozen=True)
class MemoryEstimate:
    """Peak memory of one run, in bytes, by part.

    Attributes
    ----------
    graph : int
        The social graph as kept for the run.
    graph_build : int
        What building the graph holds at its peak, the graph included.
    agents : int
        Consumer state and the arrays a day of consumers uses.
    exposures : int
        A day's exposure rows.
    base : int
        The interpreter and what it has loaded: ``BASE_BYTES``, or what this process holds
        already if more (a process that has run models or imported Mesa holds more).
    compile : int
        ``COMPILE_BYTES`` while the kernels are still to be compiled (a cold cache), else 0:
        they compile on first use, while the graph and the consumers are held.
    """

    graph: int
    graph_build: int
    agents: int
    exposures: int
    base: int = BASE_BYTES
    compile: int = 0

    @property
    def total(self) -> int:
        """The build's peak, or the graph with the consumers and a day's exposures, if larger,
        and the compile's memory on a cold cache."""
        return self.base + self.compile + max(self.graph_build, self.graph + self.agents + self.exposures)

    def describe(self) -> str:
        """``about 8.6 GiB (social graph 7.1 GiB, 8.3 GiB while it is built; agents 1.1 GiB; a day's exposures 5 MiB)``,
        with ``; compiling the kernels 420 MiB`` on a cold cache."""
        compiling = f"; compiling the kernels {_size(self.compile)}" if self.compile else ""
        return (f"about {_size(self.total)} (social graph {_size(self.graph)}, {_size(self.graph_build)} while it is "
                f"built; agents {_size(self.agents)}; a day's exposures {_size(self.exposures)}{compiling})")


def _size(n: float) -> str:
    if n >= 2**50:
        return "over 1,000 TiB"
    for unit, power in (("TiB", 40), ("GiB", 30), ("MiB", 20)):
        if n >= 2**power:
            return f"{n / 2**power:,.1f} {unit}"
    return f"{n / 2**10:,.0f} KiB"


def run_memory(scenario: Scenario, cold: bool | None = None) -> MemoryEstimate:
    """The estimated peak memory of one run of ``scenario`` (see the module notes for the
    figures), its kernels compiled first if ``cold`` (None: if the kernel cache is cold)."""
    world = scenario.world
    n, degree = world.population, _degree(scenario)
    graph = n * (degree * BYTES_PER_TIE_END + BYTES_PER_NODE)
    daily = 0.0
    for brand in scenario.brands:
        daily += sum(m.budget_per_day / m.cpm_yuan * 1000.0 for m in brand.strategy.paid_media)
        daily += sum(a.budget_per_day / a.cpc_yuan for a in brand.strategy.search_ads)
    exposures = daily / world.scale * BYTES_PER_EXPOSURE
    agents = population_bytes(n, len(scenario.brands), len(scenario.channels)) + n * RUN_BYTES_PER_AGENT
    if cold is None:
        cold = not kernels_cached()
    return MemoryEstimate(graph=graph, graph_build=int(_graph_build(world.graph, n, degree, graph)),
                          agents=agents, exposures=int(min(exposures, 2.0**80)), base=max(BASE_BYTES, _resident_bytes()),
                          compile=COMPILE_BYTES if cold else 0)


def _resident_bytes() -> int:
    """This process's resident memory now (Linux ``/proc``; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _degree(scenario: Scenario) -> int:
    world = scenario.world
    return world.population - 1 if world.graph.kind == "complete" else world.graph.degree


def _graph_build(spec: GraphSpec, n: int, degree: int, graph: int) -> float:
    """Bytes the graph's build holds at its peak (the graph included)."""
    if spec.kind == "small_world":
        rewired, cut = n * spec.rewire * degree / 2, n * degree / 16  # cut: a bit per ring tie
        draw = (BYTES_PER_REWIRED_DRAW * rewired if spec.rewire < 1.0 else 0.0) + cut
        fill = n * (degree * BYTES_PER_WORD + BYTES_PER_NODE_FILL) + BYTES_PER_REWIRED_KEY * rewired + cut
        return max(graph, draw, fill)
    return max(graph, n * degree * BUILD_BYTES_PER_TIE_END.get(spec.kind, 0.0))


def run_seconds(scenario: Scenario) -> float:
    """Rough seconds one run of ``scenario`` takes on one core (see the module notes)."""
    world, degree = scenario.world, _degree(scenario)
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
        fixed = need.base + need.compile  # what does not grow with the agents
        fits = int(scenario.world.population * max(have - fixed, 0) / (need.total - fixed))
        fits = round(fits, 1 - len(str(fits)))  # two significant digits: an estimate
        raise ResourceError(f"{where} needs {need.describe()} of memory, but this machine has {_size(have)} available "
                            f"(about {fits:,} agents fit at this degree and these budgets); lower world.population or "
                            "world.graph.degree (the graph), or the ad budgets (budget_per_day; a day's exposures), "
                            "or raise world.market_size")
    return need
