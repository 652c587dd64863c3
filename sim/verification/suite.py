"""The behaviour checks of ``socsim check`` (docs/BEHAVIOURS.md) on any scenario, over replications.

:func:`run_checks` adapts the behaviours to a user's scenario (its first brand is
"focal", its first marketplace "Tmall", its first social channel "WeChat", the first
other brand on that marketplace the "rival") and returns one :class:`CheckResult` per
behaviour with the measured figures and p-values. The statistics are
:mod:`sim.verification.stats`; the runs go through :func:`sim.verification.jobs.run_jobs`.

Every comparison is decided at α = 0.01 unless stated, with the tolerance coming from
the spread across seeds, not from a number tuned to pass.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from pydantic import ValidationError
from scipy.stats import t as student_t

from ..config.overrides import did_you_mean, set_dotted
from ..config.schema import Scenario
from ..errors import SocsimError
from .jobs import RunJob, RunSummary, jobs_plan, run_jobs, summarize
from .stats import ALPHA, one_sample_greater, paired_greater

__all__ = ["CheckSettings", "CheckResult", "Roles", "CHECKS", "run_checks", "at_check_size"]


@dataclass(frozen=True)
class CheckSettings:
    """How big and how many: the cost of :func:`run_checks`.

    Attributes
    ----------
    reps : int
        Seeds per variant (paired across variants: common random numbers); twice as
        many for the checks of a level or a bound (spill-over ≥ ½, the private domain's
        loss), as in tests/test_behaviours.py.
    population : int
        Agents per run; ``market_size`` follows so the scale (consumers per agent) stays.
    days : int
        Simulated days per run.
    workers : int
        Local processes running the simulations (results do not depend on it).
    scheduler, dask_local : str or int, optional
        Run them on Dask instead, as ``socsim compare`` does
        (:class:`~sim.experiments.executors.ExecutionPlan`); ``workers`` is then unused.
    bass_population, bass_seeds : int
        Size and replications of the mean-field Bass check.
    """

    reps: int = 6
    population: int = 4000
    days: int = 180
    workers: int = 2
    bass_population: int = 10_000
    bass_seeds: int = 4
    scheduler: str | None = None
    dask_local: int | None = None

    def where(self) -> str:
        """Where the runs execute, in words."""
        return jobs_plan(self.workers, self.workers, self.scheduler, self.dask_local).describe(self.workers)


@dataclass(frozen=True)
class CheckResult:
    """One behaviour check (docs/BEHAVIOURS.md) on the user's scenario.

    Attributes
    ----------
    key, title, behaviour : str
        Short name, what is checked, and the behaviour it belongs to (its anchor in
        docs/BEHAVIOURS.md; the check itself is at ``#<key>``).
    status : {"pass", "fail", "skip"}
    measured : str
        The figures behind the verdict (means over seeds, errors).
    p_value : float or None
        The deciding p-value (the largest of the tests that must all pass), if any.
    note : str
        Why it was skipped, or what the test was.
    """

    key: str
    title: str
    behaviour: str
    status: str
    measured: str
    p_value: float | None = None
    note: str = ""


@dataclass(frozen=True)
class Roles:
    """Who plays which part of the behaviour checks in the user's scenario (None: nobody)."""

    focal: str
    market: str | None      # the focal brand's first marketplace listing ("Tmall")
    social: str | None      # the first social channel, if the focal brand sells there ("WeChat")
    rival: str | None       # the first other brand listed on ``market``
    media: str | None       # the first seeding-only channel

    @classmethod
    def of(cls, sc: Scenario) -> "Roles":
        focal = sc.brands[0]
        transacting = [k for k, ch in sc.channels.items() if ch.transacts]
        market = next((k for k in transacting if sc.channels[k].role == "marketplace" and k in focal.channels), None)
        social = next((k for k in transacting if sc.channels[k].role == "social"), None)
        rival = next((b.name for b in sc.brands[1:] if market in b.channels), None)
        media = next((k for k, ch in sc.channels.items() if ch.role == "media"), None)
        return cls(focal.name, market, social if social in focal.channels else None, rival, media)


Changes = tuple[tuple[str, object], ...]   # (dotted path, value) pairs applied to the scenario


@dataclass(frozen=True)
class _Context:
    scenario: Scenario         # the user's scenario at check size
    roles: Roles
    settings: CheckSettings
    size: tuple[int, int]      # the user's own world.population and market_size (agents, consumers)

    @property
    def focal(self):
        return self.scenario.brands[0]

    def brand(self, path: str) -> str:
        return f"brands.{self.roles.focal}.{path}"


@dataclass(frozen=True)
class _Check:
    key: str
    title: str
    behaviour: str
    plan: Callable[[_Context], dict[str, Changes] | str]         # variants, or why it is skipped
    judge: Callable[[_Context, dict[str, list[RunSummary]]], tuple[bool, str, float | None]]
    reps_factor: int = 1   # a level or a bound needs more replications than a direction does
    default: bool = True   # run without --only (the price-response checks are asked for by name)

    def seeds(self, ctx: _Context) -> range:
        first = ctx.scenario.simulation.seed
        return range(first, first + self.reps_factor * ctx.settings.reps)


def _kpi(runs: list[RunSummary], name: str) -> np.ndarray:
    return np.array([r.kpis.get(name, np.nan) for r in runs], dtype=float)


def _paired(a: np.ndarray, b: np.ndarray, alpha: float = ALPHA) -> tuple[bool, float]:
    """Paired test that a > b on the seeds where both are defined (spill-over can be NaN)."""
    ok = ~(np.isnan(a) | np.isnan(b))
    if ok.sum() < 2:
        return False, float("nan")
    return paired_greater(a[ok], b[ok], alpha)


def _mean(x: np.ndarray) -> float:
    return float(np.nanmean(x)) if np.any(~np.isnan(x)) else float("nan")


# ---- spill-over
def _equal_prices(ctx: _Context) -> Changes:
    r, price = ctx.roles, ctx.focal.product.price
    return ((ctx.brand(f"channels.{r.social}.price"), price), (ctx.brand(f"channels.{r.market}.price"), price))


def _needs_both(ctx: _Context) -> str | None:
    if ctx.roles.market is None or ctx.roles.social is None:
        return f"brand {ctx.roles.focal!r} is not listed on both a marketplace and a social channel"
    return None


def _plan_spill_half(ctx: _Context) -> dict[str, Changes] | str:
    return _needs_both(ctx) or {"equal": _equal_prices(ctx)}


def _judge_spill_half(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    share = _kpi(runs["equal"], f"{ctx.roles.focal}.spillover_share")
    ok, p = one_sample_greater(share, 0.5)
    return ok, f"spill-over {_mean(share):.2f} at equal prices (> 0.50 wanted)", p


def _plan_spill_falls(ctx: _Context) -> dict[str, Changes] | str:
    if (skip := _needs_both(ctx)) is not None:
        return skip
    trust = ctx.scenario.channels[ctx.roles.market].trust_premium_yuan
    dearer = (_equal_prices(ctx)[0], (ctx.brand(f"channels.{ctx.roles.market}.price"), ctx.focal.product.price + trust + 20),
              (ctx.brand("strategy.parity"), "none"))
    return {"equal": _equal_prices(ctx), "dearer": dearer}


def _judge_spill_falls(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    name = f"{ctx.roles.focal}.spillover_share"
    equal, dearer = _kpi(runs["equal"], name), _kpi(runs["dearer"], name)
    ok, p = _paired(equal, dearer)
    trust = ctx.scenario.channels[ctx.roles.market].trust_premium_yuan
    measured = f"spill-over {_mean(equal):.2f} → {_mean(dearer):.2f} with {ctx.roles.market} ¥{trust + 20:g} dearer (< 0.50 wanted)"
    return ok and _mean(dearer) < 0.5, measured, p


# ---- channel conflict
def _plan_conflict(ctx: _Context) -> dict[str, Changes] | str:
    if (skip := _needs_both(ctx)) is not None:
        return skip
    sim = ctx.scenario.simulation
    start = sim.start_date + dt.timedelta(days=sim.days // 6)
    end = sim.start_date + dt.timedelta(days=sim.days - 1)
    promo = [{"name": "check_discount", "from": start.isoformat(), "to": end.isoformat(), "depth": 0.3,
              "channels": [ctx.roles.market]}]
    discount = ((ctx.brand("strategy.promotions"), promo),)
    return {"none": discount + ((ctx.brand("strategy.parity"), "none"),),
            "strict": discount + ((ctx.brand("strategy.parity"), "strict"),)}


def _judge_conflict(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    f, social = ctx.roles.focal, ctx.roles.social
    orders = [_kpi(runs[v], f"{f}.channels.{social}.orders") for v in ("strict", "none")]
    ok, p = _paired(*orders)
    measured = f"{social} orders {_mean(orders[0]):,.0f} (strict) vs {_mean(orders[1]):,.0f} (none)"
    leaders_policy = ctx.focal.strategy.group_leaders
    if leaders_policy.initial or leaders_policy.market_coverage or leaders_policy.recruit_per_month:
        leaders = [_kpi(runs[v], f"{f}.active_leaders") for v in ("strict", "none")]
        leaders_ok, p_leaders = _paired(*leaders)
        ok, p = ok and leaders_ok, max(p, p_leaders)
        measured += f"; leaders {_mean(leaders[0]):.1f} vs {_mean(leaders[1]):.1f}"
    return ok, measured, p


# ---- open vs closed
#: A second-order loss: the closed shop loses less than half as much (relative to its
#: orders) as the open shelf the rival's ads reach. Relative, because the absolute loss
#: grows with the size of the shock and with word of mouth's share of the brand's orders.
SECOND_ORDER = 0.5


def _plan_open_closed(ctx: _Context) -> dict[str, Changes] | str:
    if (skip := _needs_both(ctx)) is not None:
        return skip
    if ctx.roles.rival is None:
        return f"no other brand is listed on {ctx.roles.market!r} to cut traffic"
    rival = next(b for b in ctx.scenario.brands if b.name == ctx.roles.rival)
    budget = 1.5 * ctx.scenario.world.scale * ctx.scenario.world.population / 30  # ≈ 3 % of agents clicked a day
    ads = [a.model_dump(mode="json") for a in rival.strategy.search_ads]
    ads.append({"channel": ctx.roles.market, "budget_per_day": round(budget, 2), "cpc_yuan": 1.5})
    return {"as_is": (), "cut": ((f"brands.{rival.name}.strategy.search_ads", ads),)}


def _judge_open_closed(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """The closed shop feels only a second-order loss (fewer marketplace buyers join the
    private domain and share): the marketplace's relative loss is larger (paired, α = 0.01)
    and above 10 %, and the 99 % upper bound of the social shop's loss, per seed relative
    to the marketplace's, is below :data:`SECOND_ORDER`."""
    f, r = ctx.roles.focal, ctx.roles
    loss = {}
    for channel in (r.market, r.social):
        calm, cut = (_kpi(runs[v], f"{f}.channels.{channel}.orders") for v in ("as_is", "cut"))
        loss[channel] = 1.0 - cut / np.where(calm > 0, calm, np.nan)
    ok, p = _paired(loss[r.market], loss[r.social])
    ratio = loss[r.social] / loss[r.market]
    ratio = ratio[np.isfinite(ratio)]
    upper = ratio.mean() + student_t.ppf(0.99, len(ratio) - 1) * ratio.std(ddof=1) / np.sqrt(len(ratio))
    measured = (f"orders lost to the rival's search ads: {r.market} {_mean(loss[r.market]):.0%}, "
                f"{r.social} {_mean(loss[r.social]):.0%}: {ratio.mean():.2f} of the marketplace's loss "
                f"(99 % bound {upper:.2f}, < {SECOND_ORDER} wanted)")
    return ok and _mean(loss[r.market]) > 0.1 and upper < SECOND_ORDER, measured, p


# ---- monotone levers
def _plan_budget(ctx: _Context) -> dict[str, Changes] | str:
    paid = [m.model_dump(mode="json") for m in ctx.focal.strategy.paid_media]
    if not paid:
        channel = ctx.roles.media or ctx.roles.market or next(iter(ctx.focal.channels))
        paid = [{"channel": channel, "budget_per_day": 3000.0}]
    base = paid[0]["budget_per_day"] or 3000.0
    variants = {}
    for label, budget in (("low", base / 6), ("high", base * 6)):
        changed = [dict(m) for m in paid]
        changed[0]["budget_per_day"] = budget
        variants[label] = ((ctx.brand("strategy.paid_media"), changed),)
    return variants


def _judge_higher(kpi: str, what: str) -> Callable:
    def judge(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
        high, low = _kpi(runs["high"], f"{ctx.roles.focal}.{kpi}"), _kpi(runs["low"], f"{ctx.roles.focal}.{kpi}")
        ok, p = _paired(high, low)
        return ok, f"{what} {_mean(low):,.0f} → {_mean(high):,.0f}", p
    return judge


def _plan_content(ctx: _Context) -> dict[str, Changes] | str:
    def quality(q: float) -> Changes:
        return ((ctx.brand("strategy.content.quality"), {k: q for k in ("interesting", "interests", "interaction", "individuality")}),)
    return {"low": quality(0.1), "high": quality(0.9)}


def _only_social(ctx: _Context) -> tuple[str, object] | str:
    """The focal brand sold only in its social shop (where links pay), or why it cannot be."""
    social = ctx.roles.social
    if social is None:
        return f"brand {ctx.roles.focal!r} has no social-channel shop for referral links"
    return ctx.brand("channels"), {social: ctx.focal.channels[social].model_dump(mode="json")}


def _plan_referral(ctx: _Context) -> dict[str, Changes] | str:
    if isinstance(only_social := _only_social(ctx), str):
        return only_social
    return {"low": (only_social, (ctx.brand("strategy.referral.level1"), 0.0)),
            "high": (only_social, (ctx.brand("strategy.referral.level1"), 0.3))}


#: Level-2 rate the referral_depth check adds to a 30 % level-1 commission.
DEPTH_CHECK_LEVEL2 = 0.3


def _plan_referral_depth(ctx: _Context) -> dict[str, Changes] | str:
    if isinstance(only_social := _only_social(ctx), str):
        return only_social
    level1 = (ctx.brand("strategy.referral.level1"), 0.3)
    return {"one_level": (only_social, level1, (ctx.brand("strategy.referral.level2"), 0.0),
                          (ctx.brand("strategy.referral.level3"), 0.0)),
            "two_levels": (only_social, level1, (ctx.brand("strategy.referral.level2"), DEPTH_CHECK_LEVEL2),
                           (ctx.brand("strategy.referral.level3"), 0.0))}


def _judge_referral_depth(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """Shares at depth 2 of the tree (by buyers who were themselves referred) rise with a
    level-2 rate, paired over seeds; the measured offspring mean is reported beside the
    one sharers expect."""
    f = ctx.roles.focal
    deep = [_kpi(runs[v], f"{f}.referral.shares_depth2") for v in ("two_levels", "one_level")]
    ok, p = _paired(*deep)
    measured_m = _kpi(runs["two_levels"], f"{f}.referral.downline_per_member")
    measured = (f"level-2 0 → {DEPTH_CHECK_LEVEL2:g} (level 1 at 0.3): depth-2 shares {_mean(deep[1]):,.0f} → "
                f"{_mean(deep[0]):,.0f}; downline per member {_mean(measured_m):.2f} measured, "
                f"{ctx.scenario.world.behaviour.downline_expectation:g} expected")
    return ok, measured, p


def _judge_referral(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    f = ctx.roles.focal
    shares = [_kpi(runs[v], f"{f}.shares") for v in ("high", "low")]
    margin = [_kpi(runs[v], f"{f}.margin_per_order") for v in ("low", "high")]
    share_ok, p1 = _paired(*shares)
    margin_ok, p2 = _paired(*margin)
    measured = (f"level-1 0 → 0.3: shares {_mean(shares[1]):,.0f} → {_mean(shares[0]):,.0f}, "
                f"contribution/order ¥{_mean(margin[0]):.1f} → ¥{_mean(margin[1]):.1f}")
    return share_ok and margin_ok, measured, max(p1, p2)


# ---- competitor responses
#: Depth of the focal brand's marketplace cut that the rival_response check offers the rival.
RESPONSE_CUT_DEPTH = 0.3


def _response_cut(days: int) -> tuple[int, int]:
    """First and last day of the check's cut: from a sixth of the run to its middle."""
    return max(1, days // 6), days // 2


def _plan_rival_response(ctx: _Context) -> dict[str, Changes] | str:
    from ..config.responses import ARCHETYPES

    r, sim = ctx.roles, ctx.scenario.simulation
    if r.market is None or r.rival is None:
        return f"no rival brand sells beside {r.focal!r} on a marketplace"
    first, last = _response_cut(sim.days)
    if last - first <= ARCHETYPES["follower"][0]["lag_days"] + 1:
        return f"{sim.days} days leave no room for the rival's lag; use --days 30 or more"
    dates = [(sim.start_date + dt.timedelta(days=d)).isoformat() for d in (first, last)]
    cut = ((ctx.brand("strategy.promotions"), [{"from": dates[0], "to": dates[1], "depth": RESPONSE_CUT_DEPTH,
                                                "channels": [r.market]}]),
           (ctx.brand("strategy.parity"), "none"))
    return {"follower": (*cut, (f"brands.{r.rival}.strategy.responses", ["follower"])),
            "no_rules": (*cut, (f"brands.{r.rival}.strategy.responses", []))}


def _judge_rival_response(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    from ..config.responses import ARCHETYPES

    rival, lag = ctx.roles.rival, ARCHETYPES["follower"][0]["lag_days"]
    answered = _kpi(runs["follower"], f"{rival}.first_response_day")
    silent = _kpi(runs["no_rules"], f"{rival}.responses")
    first = _response_cut(ctx.scenario.simulation.days)[0]
    noticed = first + 1   # the cut is public the morning after its first day
    in_time = (answered >= noticed) & (answered <= noticed + lag)
    measured = (f"{RESPONSE_CUT_DEPTH:.0%} off on {ctx.roles.market} from day {first}: a follower rival answered within "
                f"its {lag}-day lag in {int(in_time.sum())}/{len(answered)} seeds; without rules it moved in "
                f"{int((silent > 0).sum())}/{len(silent)}")
    return bool(in_time.all() and (silent == 0).all()), measured, None


# ---- marketplace ranking
def _plan_flywheel(ctx: _Context) -> dict[str, Changes] | str:
    r, sim = ctx.roles, ctx.scenario.simulation
    if r.market is None:
        return f"brand {r.focal!r} is not listed on a marketplace"
    rank = ctx.scenario.channels[r.market].ranking
    if not (rank.sales_weight or rank.conversion_weight or rank.review_weight):
        return f"channels.{r.market}.ranking has no weights: its search visibility is constant"
    first, last = (sim.start_date + dt.timedelta(days=d) for d in _flywheel_boost(sim.days))
    boost = (ctx.brand("strategy.promotions"), [{"from": first.isoformat(), "to": last.isoformat(),
                                                 "depth": RESPONSE_CUT_DEPTH, "channels": [r.market]}])
    return {"boost": (boost, (ctx.brand("strategy.parity"), "none")), "none": ((ctx.brand("strategy.parity"), "none"),)}


def _flywheel_boost(days: int) -> tuple[int, int]:
    """The sales push of the ranking_flywheel check: two weeks from the run's first tenth."""
    first = max(1, days // 10)
    return first, min(days - 1, first + 13)


def _judge_flywheel(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    f, m = ctx.roles.focal, ctx.roles.market
    seen = [_kpi(runs[v], f"{f}.channels.{m}.visibility") for v in ("boost", "none")]
    ok, p = _paired(*seen)
    measured = (f"two weeks {RESPONSE_CUT_DEPTH:.0%} off on {m}: mean organic visibility over the run "
                f"{_mean(seen[1]):.3f} → {_mean(seen[0]):.3f}")
    return ok, measured, p


# ---- livestream commerce
#: Default terms of the livestream channel the lowest_price_clause check adds when the
#: scenario has none: a platform fee of 5 % (assumption) and a 0.6 % payment fee.
CHECK_LIVE_CHANNEL = {"role": "livestream", "transacts": True, "take_rate": 0.05, "payment_fee": 0.006}
#: Days between the check's head-stream sessions.
SESSION_EVERY_DAYS = 14


def _plan_lowest_price(ctx: _Context) -> dict[str, Changes] | str:
    """No stream; head streams below the WeChat price every two weeks from a sixth of the
    run, exempt from parity; the same streams covered by strict parity."""
    if (skip := _needs_both(ctx)) is not None:
        return skip
    policy = ctx.focal.strategy.group_leaders
    if not (policy.initial or policy.market_coverage or policy.recruit_per_month):
        return f"brand {ctx.roles.focal!r} has no group leaders to feel the gap"
    sc, sim = ctx.scenario, ctx.scenario.simulation
    live = next((k for k, ch in sc.channels.items() if ch.role == "livestream"), None)
    channel = () if live else (("channels.live", CHECK_LIVE_CHANNEL),)
    days = range(max(1, sim.days // 6), sim.days, SESSION_EVERY_DAYS)
    strict = (ctx.brand("strategy.parity"), "strict")

    def streams(covered: bool) -> Changes:
        sessions = [{"date": (sim.start_date + dt.timedelta(days=d)).isoformat(), "channel": live or "live",
                     "streamer": "head", "covered_by_parity": covered} for d in days]
        return (*channel, strict, (ctx.brand("strategy.livestreams"), sessions))
    return {"none": (*channel, strict, (ctx.brand("strategy.livestreams"), [])),
            "exempt": streams(False), "covered": streams(True)}


def _judge_lowest_price(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """The exempt stream widens the parity gap and leaves fewer leaders than no stream and
    than the covered stream (paired, α = 0.01 each)."""
    f = ctx.roles.focal
    gap = {v: _kpi(runs[v], f"{f}.parity_gap") for v in runs}
    leaders = {v: _kpi(runs[v], f"{f}.active_leaders") for v in runs}
    tests = [_paired(gap["exempt"], gap["none"]), _paired(leaders["none"], leaders["exempt"]),
             _paired(leaders["covered"], leaders["exempt"])]
    measured = (f"head streams every {SESSION_EVERY_DAYS} days: mean parity gap ¥{_mean(gap['none']):.2f} (none) → "
                f"¥{_mean(gap['exempt']):.2f} (exempt) / ¥{_mean(gap['covered']):.2f} (covered); leaders "
                f"{_mean(leaders['none']):.1f} / {_mean(leaders['exempt']):.1f} / {_mean(leaders['covered']):.1f}")
    return all(ok for ok, _ in tests), measured, max(p for _, p in tests)


# ---- incrementality
def _plan_lift(ctx: _Context) -> dict[str, Changes] | str:
    from ..experiments.lift import lift_sources

    found = lift_sources(ctx.scenario, 0)
    if not found:
        return f"brand {ctx.roles.focal!r} uses no marketing source that can be switched off"
    return {"as_is": (), "organic": tuple((path, value) for _, changes in found for path, value in changes.items())}


def _judge_lift(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    from ..ledger import LAST_TOUCH

    f = ctx.roles.focal
    total, organic = _kpi(runs["as_is"], f"{f}.orders"), _kpi(runs["organic"], f"{f}.orders")
    below, p = _paired(total, organic)
    credit = {t: _mean(_kpi(runs["as_is"], f"{f}.last_touch.{t}")) for t in LAST_TOUCH}
    top = ", ".join(f"{t} {v / _mean(total):.0%}" for t, v in sorted(credit.items(), key=lambda kv: -kv[1])[:3])
    measured = (f"organic base {_mean(organic):,.0f} of {_mean(total):,.0f} orders ({_mean(organic) / _mean(total):.0%}) "
                f"with every source off; last touch credits {top}")
    return bool(below and np.all(organic >= 0)), measured, p


# ---- word of mouth: detractors
#: Extra probability of a late delivery the negative_word_of_mouth check adds to make more detractors.
EXTRA_LATE = 0.4


def _plan_negative_wom(ctx: _Context) -> dict[str, Changes] | str:
    """As is; more detractors (late deliveries + :data:`EXTRA_LATE`); the same with warnings
    that weigh nothing (every draw as in ``more``: only the warnings' effect is taken away)."""
    beh = ctx.scenario.world.behaviour
    more = (("world.behaviour.late_delivery_prob", min(1.0, beh.late_delivery_prob + EXTRA_LATE)),)
    return {"as_is": (), "more": more, "more_weightless": (*more, ("world.behaviour.negative_wom_ratio", 0.0))}


def _judge_negative_wom(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """More detractors → fewer buyers (as is vs more, paired), and the warnings' own part:
    fewer buyers than with weightless warnings (paired), each one-sided at α = 0.01."""
    f = ctx.roles.focal
    buyers = {v: _kpi(runs[v], f"{f}.buyers") for v in runs}
    made = {v: _kpi(runs[v], f"{f}.detractors") for v in runs}
    fewer, p_fewer = _paired(buyers["as_is"], buyers["more"])
    warned, p_warned = _paired(buyers["more_weightless"], buyers["more"])
    lost = _mean(buyers["more_weightless"] - buyers["more"])
    measured = (f"late deliveries +{EXTRA_LATE:.0%}: detractors {_mean(made['as_is']):,.0f} → {_mean(made['more']):,.0f}, "
                f"buyers {_mean(buyers['as_is']):,.0f} → {_mean(buyers['more']):,.0f}; their warnings alone cost "
                f"{lost:,.0f} buyers ({lost / _mean(buyers['more_weightless']):.1%})")
    return fewer and warned, measured, max(p_fewer, p_warned)


# ---- two-step flow
def _plan_two_step(ctx: _Context) -> dict[str, Changes] | str:
    """Opinion leaders relaying media on and off, the scenario's relay terms otherwise kept."""
    if not ctx.focal.strategy.paid_media and not ctx.focal.strategy.kols:
        return f"brand {ctx.roles.focal!r} has no paid media or KOL/KOC posts for opinion leaders to relay"
    return {"off": (("world.behaviour.two_step.enabled", False),), "on": (("world.behaviour.two_step.enabled", True),)}


def _reach(runs: list[RunSummary], brand: str) -> np.ndarray:
    """Consumers who know ``brand`` at the end: every AIPL stage (real people), per run."""
    from ..population import Stage

    return sum(_kpi(runs, f"{brand}.aipl.{stage}") for stage in Stage.NAMES)


def _judge_two_step(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """Relayed media raise the focal brand's reach and orders (paired, one-sided, each at α = 0.01)."""
    f = ctx.roles.focal
    reach = {v: _reach(runs[v], f) for v in runs}
    orders = {v: _kpi(runs[v], f"{f}.orders") for v in runs}
    wider, p_reach = _paired(reach["on"], reach["off"])
    more, p_orders = _paired(orders["on"], orders["off"])
    relay = ctx.scenario.world.behaviour.two_step
    measured = (f"relay_prob {relay.relay_prob:g}: {_mean(_kpi(runs['on'], f'{f}.relayed')):,.0f} exposures relayed; "
                f"reach {_mean(reach['off']):,.0f} → {_mean(reach['on']):,.0f}, orders {_mean(orders['off']):,.0f} → "
                f"{_mean(orders['on']):,.0f} ({_mean(_kpi(runs['on'], f'{f}.last_touch.relay')):,.0f} last touched by a relay)")
    return wider and more, measured, max(p_reach, p_orders)


# ---- word of mouth against paid media: volume elasticities of orders
def _plan_wom_vs_ads(ctx: _Context) -> dict[str, Changes] | str:
    """As is; every segment's sharing raised; the focal brand's paid budgets raised (same step, same seeds)."""
    from ..experiments.marketing import PAID_UP, load_marketing_targets, response_variants

    targets, _, _ = load_marketing_targets()
    raised = response_variants(ctx.scenario, 0, targets.step)
    if not raised[PAID_UP]:
        return f"brand {ctx.roles.focal!r} buys no paid media"
    return {"as_is": ()} | {name: tuple(changes.items()) for name, changes in raised.items()}


def _judge_wom_vs_ads(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """Word of mouth's elasticity of orders and paid media's each inside its published range
    (one-sided t-tests on both sides), and word of mouth's above paid media's (paired by seed)."""
    from ..experiments.marketing import PAID_UP, WOM_UP, load_marketing_targets, paid_elasticity, wom_elasticity
    from ..experiments.stats import mean_ci

    targets, wom_range, paid_range = load_marketing_targets()
    f = ctx.roles.focal
    orders = {v: _kpi(runs[v], f"{f}.orders") for v in runs}
    shares = {v: _kpi(runs[v], f"{f}.shares") for v in runs}
    wom = wom_elasticity(orders[WOM_UP], orders["as_is"], shares[WOM_UP], shares["as_is"])
    paid = paid_elasticity(orders[PAID_UP], orders["as_is"], targets.step)
    tests = _in_range(wom, wom_range) + _in_range(paid, paid_range) + [_paired(wom, paid)]
    measured = (f"sharing {targets.step:+.0%} → shares {_mean(shares[WOM_UP]) / _mean(shares['as_is']) - 1:+.0%}: "
                f"word of mouth {_interval(mean_ci(wom))}; paid budget {targets.step:+.0%}: paid media "
                f"{_interval(mean_ci(paid))} (wanted: word of mouth {wom_range.describe()} above paid media "
                f"{paid_range.describe()}; {len(runs['as_is'])} seeds)")
    return all(ok for ok, _ in tests), measured, max(p for _, p in tests)


# ---- reproducibility, Bass docking
def _plan_as_is(ctx: _Context) -> dict[str, Changes] | str:
    return {"as_is": ()}


def _judge_reproducible(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    first = runs["as_is"][0]
    again = summarize(RunJob(ctx.scenario, first.seed))   # here, whatever ran the batch
    other = [r for r in runs["as_is"][1:] if r.digest != first.digest]
    same = again.digest == first.digest
    measured = (f"seed {first.seed}: {'identical' if same else 'DIFFERENT'} outputs in this process and on "
                f"{ctx.settings.where()}; other seeds differ: {len(other)}/{len(runs['as_is']) - 1}")
    return same and len(other) == len(runs["as_is"]) - 1, measured, None


def _plan_none(ctx: _Context) -> dict[str, Changes] | str:
    return {}


def _judge_bass_mean_field(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    from .bass import BassSpec, bass_curve, mean_share

    spec, s = BassSpec(), ctx.settings
    run = mean_share(spec, s.bass_population, range(s.bass_seeds))
    error = float(np.abs(run.share - bass_curve(run.times, spec.p, spec.q)).max())
    return error <= 0.02, f"max |F − Bass| = {error:.3f} (≤ 0.02), p = {spec.p}, q = {spec.q}, N = {s.bass_population:,}", None


def _plan_bass_graph(ctx: _Context) -> dict[str, Changes] | str:
    return "edge-list graphs are checked with `socsim graph`" if ctx.scenario.world.graph.kind == "edge_list" else {}


def _judge_bass_graph(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    from .bass import BassSpec, bass_curve, mean_share, two_node_curve

    spec, n, seeds = BassSpec(graph=ctx.scenario.world.graph, horizon=10.0), ctx.scenario.world.population, 2
    run = mean_share(spec, n, range(seeds))
    upper, lower = bass_curve(run.times, spec.p, spec.q), two_node_curve(run.times, spec.p, spec.q)
    slack = 0.01 + 3.0 * np.sqrt(0.25 / (n * seeds))   # discretisation + 3 s.d. of a mean share
    inside = bool(np.all(run.share <= upper + slack) and np.all(run.share >= lower - slack))
    measured = (f"F(10) = {run.share[-1]:.3f} on the scenario's {spec.graph.kind} graph, between the two-node "
                f"curve {lower[-1]:.3f} and Bass {upper[-1]:.3f}")
    return inside, measured, None


# ---- price response: elasticities, the dip after a promotion, references that adapt
def _price_targets():
    from ..experiments.elasticity import BUNDLED_TARGETS, load_elasticity_targets

    return load_elasticity_targets(BUNDLED_TARGETS)


#: The elasticity check runs a year at least: the published ranges describe a brand's
#: response over its whole calendar (both platform events), and a half-year from January
#: measures the months when references still move from their starting value.
ELASTICITY_DAYS = 365


def _plan_elasticity(ctx: _Context) -> dict[str, Changes] | str:
    """The paired variants of ``socsim elasticity`` at the user's own size, for a year.

    Not at check size: group leaders, their groups and followers are counts of real
    people, so fewer agents for the same market change the channel mix and with it the
    elasticities (on the baseline at 4,000 agents the focal brand's is −1.4, at its own
    20,000 −2.4)."""
    from ..experiments.elasticity import BASE, rise_variants

    agents, consumers = ctx.size
    year = (("world.population", agents), ("world.market_size", consumers),
            ("simulation.days", max(ELASTICITY_DAYS, ctx.scenario.simulation.days)))
    raised = rise_variants(ctx.scenario, _price_targets().step)
    return {BASE: year, **{name: year + tuple(changes.items()) for name, changes in raised.items()}}


def _judge_elasticity(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """Every brand's own-price elasticity and the category elasticity inside their
    published ranges, and at least the published share of each brand's lost orders won by
    rivals, each by one-sided t-tests on the per-seed values (a range: both sides must be
    shown, as in an equivalence test)."""
    from ..experiments.elasticity import BASE, CATEGORY, elasticities, log_elasticity, variant_of

    targets = _price_targets()
    brands = [b.name for b in ctx.scenario.brands]
    orders = {v: np.column_stack([_kpi(samples, f"{b}.orders") for b in brands]) for v, samples in runs.items()}
    found = {(e.measure, e.brand): e.value for e in elasticities(orders, brands, targets.step)}
    base, total = orders[BASE], orders[BASE].sum(axis=1)
    tests, parts = [], []
    for j, b in enumerate(brands):
        raised = orders[variant_of(b)]
        tests += _in_range(log_elasticity(raised[:, j], base[:, j], targets.step), targets.bound("own"))
        parts.append(f"own {b} {_interval(found['own', b])}")
        if len(brands) > 1:
            share = targets.bound("diversion").low
            loss, gain = base[:, j] - raised[:, j], raised.sum(axis=1) - raised[:, j] - (total - base[:, j])
            tests.append(one_sample_greater(gain - share * loss, 0.0))   # ḡ > share · l̄, paired by seed
            parts.append(f"rivals win {_interval(found['diversion', b], share=True)} of {b}'s lost orders")
    tests += _in_range(log_elasticity(orders[CATEGORY].sum(axis=1), total, targets.step), targets.bound("category"))
    parts.append(f"category {_interval(found['category', ''])}")
    wanted = (f"wanted: own {targets.bound('own').describe()}, category {targets.bound('category').describe()}, "
              f"rivals ≥ {targets.bound('diversion').low:.0%}")
    return (all(ok for ok, _ in tests), f"every price {targets.step:+.0%}, {len(runs[BASE])} seeds × {ctx.size[0]:,} agents × a year: "
            + "; ".join(parts) + f" ({wanted})", max(p for _, p in tests))


def _in_range(values: np.ndarray, bound) -> list[tuple[bool, float]]:
    """:func:`_inside` for a published range (:class:`~sim.experiments.elasticity.Bound`)."""
    return _inside(values, bound.low, bound.high)


def _inside(values: np.ndarray, low: float | None, high: float | None) -> list[tuple[bool, float]]:
    """One-sided tests that the mean of ``values`` is above ``low`` and below ``high``."""
    return ([one_sample_greater(values, low)] if low is not None else []) + \
           ([one_sample_greater(-values, -high)] if high is not None else [])


def _interval(value, share: bool = False) -> str:
    """``−3.71 [−3.90, −3.52]`` or ``5 % [2 %, 8 %]``."""
    fmt = (lambda x: f"{x:.0%}") if share else (lambda x: f"{x:+.2f}")
    return " ".join([fmt(value.mean), f"[{fmt(value.low)}, {fmt(value.high)}]"]).replace("-", "−")


def _daily(runs: list[RunSummary], brand: str) -> np.ndarray:
    """(seeds, days) orders of ``brand``."""
    return np.array([r.daily_orders[brand] for r in runs], dtype=float)


#: The dip check's promotion: deep, short, on every channel of the focal brand, a third into the run.
DIP_DEPTH, DIP_DAYS, DIP_AFTER = 0.3, 14, 28


def _dip_window(ctx: _Context) -> tuple[int, int]:
    """First and last day index of the check's promotion."""
    first = ctx.scenario.simulation.days // 3
    return first, first + DIP_DAYS - 1


def _plan_dip(ctx: _Context) -> dict[str, Changes] | str:
    first, last = _dip_window(ctx)
    if last + DIP_AFTER >= ctx.scenario.simulation.days:
        return (f"a {ctx.scenario.simulation.days}-day run is too short: the promotion starts a third into the run "
                f"(day {first}) and the {DIP_AFTER} days after it must fit")
    start = ctx.scenario.simulation.start_date
    channels = [k for k in ctx.focal.channels if ctx.scenario.channels[k].transacts]
    promo = {"name": "check_deep_promotion", "from": (start + dt.timedelta(days=first)).isoformat(),
             "to": (start + dt.timedelta(days=last)).isoformat(), "depth": DIP_DEPTH, "channels": channels}
    existing = [p.model_dump(mode="json", by_alias=True) for p in ctx.focal.strategy.promotions]
    return {"none": (), "promo": ((ctx.brand("strategy.promotions"), [*existing, promo]),)}


def _judge_dip(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """Orders in the four weeks after the promotion ends: lower than on the same days
    without it (paired by seed, one-sided, α = 0.01)."""
    first, last = _dip_window(ctx)
    f = ctx.roles.focal
    none, promo = _daily(runs["none"], f), _daily(runs["promo"], f)
    after = slice(last + 1, last + 1 + DIP_AFTER)
    ok, p = _paired(none[:, after].sum(axis=1), promo[:, after].sum(axis=1))
    during = slice(first, last + 1)
    bump = promo[:, during].sum() / none[:, during].sum() - 1
    change = promo[:, after].sum() / none[:, after].sum() - 1
    measured = (f"{f} orders during a {DIP_DAYS}-day {DIP_DEPTH:.0%} promotion {bump:+.0%}; in the {DIP_AFTER} days "
                f"after it {change:+.1%} vs no promotion (below 0 wanted)")
    return ok, measured, p


#: The adaptation check's price rise: permanent, a sixth into the run; first month vs last two months.
RISE_STEP, RISE_FIRST, RISE_LAST = 0.20, 30, 60


def _plan_rise(ctx: _Context) -> dict[str, Changes] | str:
    from ..experiments.elasticity import price_rise

    sim = ctx.scenario.simulation
    rise = sim.days // 6
    if rise + RISE_FIRST + RISE_LAST > sim.days:
        return (f"a {sim.days}-day run is too short: the rise comes a sixth into the run (day {rise}), then "
                f"{RISE_FIRST} days after it and the last {RISE_LAST} days are compared")
    prefix = f"brands.{ctx.roles.focal}."
    prices = {k.removeprefix(prefix): v for k, v in price_rise(ctx.focal, RISE_STEP).items() if "schedule" not in k}
    entry = {"from": (sim.start_date + dt.timedelta(days=rise)).isoformat(),
             "to": (sim.start_date + dt.timedelta(days=sim.days - 1)).isoformat(), "set": prices}
    schedule = [c.model_dump(mode="json", by_alias=True) for c in ctx.focal.strategy.schedule]
    return {"none": (), "rise": ((ctx.brand("strategy.schedule"), [*schedule, entry]),)}


def _judge_rise(ctx: _Context, runs: dict[str, list[RunSummary]]) -> tuple[bool, str, float | None]:
    """The relative order loss in the first month after a permanent rise is larger than in
    the last two months of the run (paired by seed, one-sided, α = 0.01): demand recovers
    part of its loss as shoppers get used to the new price."""
    f, days = ctx.roles.focal, ctx.scenario.simulation.days
    rise = days // 6
    none, raised = _daily(runs["none"], f), _daily(runs["rise"], f)

    def loss(window: slice) -> np.ndarray:
        base = none[:, window].sum(axis=1)
        return 1.0 - raised[:, window].sum(axis=1) / np.where(base > 0, base, np.nan)

    first, last = loss(slice(rise, rise + RISE_FIRST)), loss(slice(days - RISE_LAST, days))
    ok, p = _paired(first, last)
    measured = (f"every {f} price {RISE_STEP:+.0%} from day {rise}: orders {-_mean(first):+.1%} in the first "
                f"{RISE_FIRST} days, {-_mean(last):+.1%} in the last {RISE_LAST} (a smaller loss wanted)")
    return ok, measured, p


CHECKS = (
    _Check("spillover", "≥ half of WeChat-seeded orders close on the marketplace at equal prices", "spill-over",
           _plan_spill_half, _judge_spill_half, reps_factor=3),
    _Check("spillover_price", "spill-over falls when the marketplace is dearer than its trust premium", "spill-over",
           _plan_spill_falls, _judge_spill_falls),
    _Check("channel_conflict", "a marketplace-only discount costs WeChat sales and leaders unless strict parity", "channel-conflict",
           _plan_conflict, _judge_conflict),
    _Check("open_vs_closed", "a rival's search ads cut marketplace sales, not the private domain", "open-vs-closed",
           _plan_open_closed, _judge_open_closed, reps_factor=3),
    _Check("paid_budget", "more paid budget → more orders", "monotone-levers", _plan_budget, _judge_higher("orders", "orders")),
    _Check("content", "better 4i content → more sharing", "monotone-levers", _plan_content, _judge_higher("shares", "shares")),
    _Check("referral", "higher referral commission → more sharing, less margin per order", "monotone-levers",
           _plan_referral, _judge_referral),
    _Check("referral_depth", "a level-2 commission raises sharing deeper in the referral tree (depth-2 shares)",
           "referral-depth", _plan_referral_depth, _judge_referral_depth),
    _Check("rival_response", "a rival with response rules answers a marketplace cut within its lag; without rules "
           "it never moves", "competitor-response", _plan_rival_response, _judge_rival_response),
    _Check("ranking_flywheel", "a sales push raises the brand's later organic search visibility on the marketplace",
           "ranking-flywheel", _plan_flywheel, _judge_flywheel, reps_factor=2),
    _Check("lowest_price_clause", "a head-stream session below the WeChat price widens the parity gap and costs "
           "leaders unless parity covers the stream", "lowest-price-clause", _plan_lowest_price, _judge_lowest_price),
    _Check("lift_vs_last_touch", "with every marketing source off an organic base remains, at or above 0 and below "
           "the total; last-touch credit reported beside it (socsim lift: the lift per source)", "incrementality", _plan_lift, _judge_lift),
    _Check("negative_word_of_mouth", "more detractors → fewer buyers; their warnings alone cost buyers",
           "negative-word-of-mouth", _plan_negative_wom, _judge_negative_wom, reps_factor=3),
    _Check("two_step_flow", "opinion leaders relaying the media they see raise the brand's reach and orders",
           "two-step-flow", _plan_two_step, _judge_two_step),
    # 10 × --reps seeds: on the baseline the two elasticities differ by ≈ 0.09 with a per-seed
    # spread of ≈ 0.2, so a one-sided test at α = 0.01 needs ≈ 60 seeds for 90 % power
    _Check("wom_vs_advertising", "word of mouth's elasticity of orders above paid media's, each in its published range",
           "wom-vs-advertising", _plan_wom_vs_ads, _judge_wom_vs_ads, reps_factor=10, default=False),
    _Check("reproducible", "same scenario and seed → identical outputs, whatever the workers", "reproducibility",
           _plan_as_is, _judge_reproducible),
    _Check("bass", "mean-field adoption follows the Bass curve", "bass-docking", _plan_none, _judge_bass_mean_field),
    _Check("bass_graph", "on the scenario's graph adoption lies between the two-node curve and Bass", "bass-docking",
           _plan_bass_graph, _judge_bass_graph),
    _Check("elasticity", "every brand's own-price elasticity and the category's in their published ranges; rivals win "
           "≥ ⅓ of each brand's lost orders", "price-response", _plan_elasticity, _judge_elasticity, reps_factor=2,
           default=False),
    _Check("post_promotion_dip", "after a deep temporary promotion, orders dip below the no-promotion run",
           "price-response", _plan_dip, _judge_dip, reps_factor=3, default=False),
    _Check("reference_price_adapts", "after a permanent price rise, the order loss shrinks as reference prices adapt",
           "price-response", _plan_rise, _judge_rise, reps_factor=3, default=False),
)


def at_check_size(sc: Scenario, settings: CheckSettings) -> Scenario:
    """The scenario with ``settings.population`` agents (same scale) and ``settings.days`` days."""
    data = sc.model_dump(mode="json", by_alias=True)
    data["world"]["market_size"] = max(10, round(settings.population * sc.world.scale))
    data["world"]["population"] = settings.population
    data["simulation"]["days"] = settings.days
    return _validate(data, "the scenario at check size")


def _validate(data: dict, what: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise SocsimError(f"{what} is not valid: {exc.errors()[0]['msg']}") from exc


def _variant(sc: Scenario, changes: Changes) -> Scenario:
    data = sc.model_dump(mode="json", by_alias=True)
    for path, value in changes:
        set_dotted(data, path, copy.deepcopy(value))
    return _validate(data, f"variant {', '.join(p for p, _ in changes)}")


def run_checks(sc: Scenario, settings: CheckSettings = CheckSettings(),
               progress: Callable[[int, int], None] | None = None,
               only: Sequence[str] | None = None) -> list[CheckResult]:
    """Run the behaviour suite (docs/BEHAVIOURS.md) on scenario ``sc``.

    Parameters
    ----------
    sc : Scenario
        The user's scenario; its first brand plays the focal brand (see :class:`Roles`).
    settings : CheckSettings
        Replications, size and workers.
    progress : callable, optional
        ``progress(done, total)`` after each simulation.
    only : sequence of str, optional
        Keys of the checks to run (default: all of :data:`CHECKS`).

    Returns
    -------
    list of CheckResult
        One per behaviour run, in the order of :data:`CHECKS`.

    Raises
    ------
    SocsimError
        If ``only`` names an unknown check, or a variant of the scenario is invalid.
    """
    checks = _select(only)
    ctx = _Context(at_check_size(sc, settings), Roles.of(sc), settings, (sc.world.population, sc.world.market_size or sc.world.population))
    plans = {c.key: c.plan(ctx) for c in checks}
    wanted: dict[tuple[str, int], Scenario] = {}   # (variant as JSON, seed) → scenario: each runs once
    for c in checks:
        for changes in (plans[c.key].values() if isinstance(plans[c.key], dict) else ()):
            variant = _variant(ctx.scenario, changes)
            wanted.update({(variant.model_dump_json(), s): variant for s in c.seeds(ctx)})
    done = run_jobs([RunJob(v, s) for (_, s), v in wanted.items()], settings.workers, progress,
                    scheduler=settings.scheduler, dask_local=settings.dask_local)
    runs = dict(zip(wanted, done))
    return [_result(c, plans[c.key], ctx, runs) for c in checks]


def _select(only: Sequence[str] | None) -> list[_Check]:
    keys = [c.key for c in CHECKS]
    unknown = [k for k in (only or ()) if k not in keys]
    if unknown:
        raise SocsimError(f"--only: unknown check {unknown[0]!r}{did_you_mean(unknown[0], keys, by_words=True)}; "
                          f"choose from {', '.join(keys)}")
    return [c for c in CHECKS if c.key in only] if only else [c for c in CHECKS if c.default]


def _result(check: _Check, plan: dict[str, Changes] | str, ctx: _Context,
            runs: dict[tuple[str, int], RunSummary]) -> CheckResult:
    if isinstance(plan, str):
        return CheckResult(check.key, check.title, check.behaviour, "skip", "–", None, plan)
    samples = {label: [runs[_variant(ctx.scenario, ch).model_dump_json(), s] for s in check.seeds(ctx)]
               for label, ch in plan.items()}
    ok, measured, p = check.judge(ctx, samples)
    return CheckResult(check.key, check.title, check.behaviour, "pass" if ok else "fail", measured, p)
