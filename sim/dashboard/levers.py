"""The main strategy levers of one brand, and how lever values become scenario changes.

A lever is what a trainer moves in front of the room: a price, the parity policy, a
budget, a commission. Each maps to fields of the brand in the scenario (docs/SCENARIO.md):

============================  ==============================================================
lever                         brand fields it sets
============================  ==============================================================
marketplace / social price    ``channels.<tmall>.price``, ``channels.<wechat>.price``
parity policy                 ``strategy.parity``
paid media budget (¥/day)     every ``strategy.paid_media.<i>.budget_per_day``, scaled together
influencer budget (¥/month)   head/waist ``posts_per_month`` and KOC ``count``, scaled together
KOC share of it (%)           the split of that budget between KOLs and KOCs
referral commission (%)       ``strategy.referral.level1``
content quality (4i, 0–1)     the four ``strategy.content.quality`` sub-scores, all set equal
private-domain pushes         ``strategy.private_domain.pushes_per_month``
Double 11 routing, bundle     ``strategy.double11_routing.enabled``, ``strategy.wechat_bundle``
============================  ==============================================================

A lever at the scenario's value maps to the fields exactly as written (a lever shows a
rounded value, e.g. a 4i score averaged over its four sub-scores). A lever exists only where the brand has what it moves (no WeChat price for a brand that
is not on WeChat; no KOC split without both KOLs and KOCs). Lever values become either
brand-relative changes (``{"channels.tmall.price": 149}``, for a schedule entry that
starts today) or ``--set`` overrides (``brands.focal.channels.tmall.price=149``), so a
dashboard run can be repeated with ``socsim run``.

Notes
-----
Influencer budget B and KOC share s (in %) set the monthly spend on each side:
KOL side (1 − s/100)·B, KOC side (s/100)·B. Each side's programs are scaled by the same
factor f = target / current spend, where a program's spend is count × posts a month ×
fee per post: KOL programs post f times as often (at most 100 posts a month), KOC
programs sign round(f × count) KOCs, scaled down together if that would sign more
KOCs than the population (less the brand's other influencers) holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Mapping, get_args

from ..config.overrides import get_dotted
from ..config.schema import BrandSpec, ParityPolicy, Scenario, default_role
from ..errors import SocsimError
from ..market.channels import channel_name

__all__ = ["Lever", "LeverSet", "lever_set", "yaml_scalar"]

LeverKind = Literal["slider", "choice", "switch"]
Value = float | int | str | bool

_MAX_POSTS = 100.0     # KolProgram.posts_per_month upper bound
_MAX_COUNT = 100_000   # KolProgram.count upper bound
_QUALITY = ("interesting", "interests", "interaction", "individuality")


@dataclass(frozen=True)
class Lever:
    """One control: what it is called (English and Chinese), its range, and the scenario's own value.

    Attributes
    ----------
    key : str
        Identifier, e.g. ``tmall_price``.
    label : str
        What the control says, with the unit.
    kind : {"slider", "choice", "switch"}
    value : float, int, str or bool
        The value in the scenario (the lever's default).
    low, high, step : float
        Slider range and increment (sliders only).
    integer : bool
        The slider moves in whole numbers.
    choices : tuple of str
        Allowed values (choices only).
    help : str
        One line on what the lever does.
    label_zh : str
        The label in Chinese (empty: use ``label``).
    """

    key: str
    label: str
    kind: LeverKind
    value: Value
    low: float = 0.0
    high: float = 1.0
    step: float = 1.0
    integer: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""
    label_zh: str = ""

    def name(self, lang: str = "en") -> str:
        """The label in ``lang`` ("en" or "zh"; English where no Chinese label is given)."""
        return self.label_zh if lang == "zh" and self.label_zh else self.label

    def check(self, value: Any) -> Value:
        """``value`` as this lever's type, or SocsimError naming what is allowed."""
        if self.kind == "switch":
            if isinstance(value, bool):
                return value
            raise SocsimError(f"lever {self.key}: got {value!r}; must be true or false")
        if self.kind == "choice":
            if value in self.choices:
                return value
            raise SocsimError(f"lever {self.key}: got {value!r}; allowed: {' | '.join(self.choices)}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise SocsimError(f"lever {self.key}: got {value!r}; must be a number")
        if not self.low <= value <= self.high:
            raise SocsimError(f"lever {self.key}: got {value:g}; must be between {self.low:g} and {self.high:g}")
        return int(round(value)) if self.integer else float(value)


@dataclass(frozen=True)
class _Context:
    """What the mappings need to know about the brand as written in the scenario."""

    brand: BrandSpec
    marketplace: str | None
    social: str | None
    paid: tuple[float, ...]
    kol_side: tuple[int, ...]     # indices of head/waist programs with spend > 0
    koc_side: tuple[int, ...]     # indices of KOC programs with spend > 0
    kol_spend: float              # ¥ a month
    koc_spend: float
    koc_room: int                 # KOCs the population can still hold (world.population − other programs' counts)


Mapper = Callable[[_Context, Value, Mapping[str, Value]], dict[str, Any]]


@dataclass(frozen=True)
class LeverSet:
    """The levers of one brand in one scenario.

    Attributes
    ----------
    brand : str
        Brand name (as in the scenario).
    levers : tuple of Lever
        In display order.

    Examples
    --------
    >>> ls = lever_set(scenario, "focal")                   # doctest: +SKIP
    >>> ls.overrides({"tmall_price": 149})                  # doctest: +SKIP
    ['brands.focal.channels.tmall.price=149']
    """

    brand: str
    levers: tuple[Lever, ...]
    _context: _Context = field(repr=False)

    def __getitem__(self, key: str) -> Lever:
        for lever in self.levers:
            if lever.key == key:
                return lever
        raise SocsimError(f"no lever {key!r} for brand {self.brand!r}; levers: {', '.join(self.keys())}")

    def keys(self) -> tuple[str, ...]:
        return tuple(lever.key for lever in self.levers)

    def defaults(self) -> dict[str, Value]:
        """Lever key → the scenario's value."""
        return {lever.key: lever.value for lever in self.levers}

    def checked(self, values: Mapping[str, Any]) -> dict[str, Value]:
        """``values`` checked against each lever's type and range.

        Raises
        ------
        SocsimError
            An unknown lever, or a value of the wrong type or out of range.
        """
        return {key: self[key].check(value) for key, value in values.items()}

    def changes(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Brand-relative field changes for the levers in ``values`` (others stay as written).

        Returns
        -------
        dict
            Dotted path inside the brand → value, e.g. ``{"channels.tmall.price": 149.0}``.
        """
        given = self.checked(values)
        defaults = self.defaults()
        full = {**defaults, **given}
        written = self._context.brand.model_dump(mode="json", by_alias=True)
        out: dict[str, Any] = {}
        for key in given:
            paths = _MAPPERS[key](self._context, full[key], full)
            if all(full[k] == defaults[k] for k in _JOINT.get(key, (key,)) if k in defaults):
                paths = {path: get_dotted(written, path) for path in paths}  # exactly as written
            out.update(paths)
        return out

    def overrides(self, values: Mapping[str, Any]) -> list[str]:
        """``--set`` overrides (``brands.<brand>.<path>=<value>``) for the levers in ``values``."""
        return [f"brands.{self.brand}.{path}={yaml_scalar(v)}" for path, v in self.changes(values).items()]


def yaml_scalar(value: Any) -> str:
    """A value as YAML text that reads back as the same value (``--set`` syntax)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer():
            return f"{value:.1f}"
        text = repr(value)
        return text if "e" not in text else f"{value:.12f}".rstrip("0")
    return str(value)


# --------------------------------------------------------------------------- building
def lever_set(scenario: Scenario, brand: str | None = None) -> LeverSet:
    """The levers of ``brand`` (default: the first brand) in ``scenario``.

    Raises
    ------
    SocsimError
        If the scenario has no brand of that name.
    """
    names = [b.name for b in scenario.brands]
    name = brand if brand is not None else names[0]
    if name not in names:
        raise SocsimError(f"brand {name!r} is not in scenario {scenario.name!r}; brands: {', '.join(names)}")
    spec = scenario.brands[names.index(name)]
    ctx = _context(scenario, spec)
    levers = [lever for make in _BUILDERS for lever in make(ctx, scenario)]
    return LeverSet(name, tuple(levers), ctx)


def _role_channel(scenario: Scenario, spec: BrandSpec, role: str) -> str | None:
    for key in spec.channels:
        channel = scenario.channels[key]
        if channel.transacts and default_role(key, channel) == role:
            return key
    return None


def _spend(spec: BrandSpec, i: int) -> float:
    program = spec.strategy.kols[i]
    return program.count * program.posts_per_month * program.fee_per_post_yuan


def _context(scenario: Scenario, spec: BrandSpec) -> _Context:
    kols = spec.strategy.kols
    kol_side = tuple(i for i, p in enumerate(kols) if p.tier != "koc" and _spend(spec, i) > 0)
    koc_side = tuple(i for i, p in enumerate(kols) if p.tier == "koc" and _spend(spec, i) > 0)
    return _Context(
        brand=spec, marketplace=_role_channel(scenario, spec, "marketplace"), social=_role_channel(scenario, spec, "social"),
        paid=tuple(m.budget_per_day for m in spec.strategy.paid_media),
        kol_side=kol_side, koc_side=koc_side,
        kol_spend=sum(_spend(spec, i) for i in kol_side), koc_spend=sum(_spend(spec, i) for i in koc_side),
        koc_room=scenario.world.population - sum(p.count for i, p in enumerate(kols) if i not in koc_side),
    )


def _round_up(x: float, step: float) -> float:
    return max(step, math.ceil(x / step) * step)


def _price_levers(ctx: _Context, scenario: Scenario) -> list[Lever]:
    out = []
    for key, channel in (("marketplace_price", ctx.marketplace), ("social_price", ctx.social)):
        if channel is None:
            continue
        price = ctx.brand.price_on(channel)
        whole = float(price).is_integer()
        out.append(Lever(
            key, f"{channel_name(channel)} price (¥)", "slider", int(price) if whole else price,
            low=max(1.0, math.floor(price * 0.5)), high=math.ceil(price * 1.5), step=1.0, integer=whole,
            help=f"list price on {channel}; with strict parity the WeChat price follows the marketplace",
            label_zh=f"{channel_name(channel, 'zh')}价格 (¥)"))
    return out


def _strategy_levers(ctx: _Context, scenario: Scenario) -> list[Lever]:
    s = ctx.brand.strategy
    out = [Lever("parity", "Price parity policy", "choice", s.parity, choices=get_args(ParityPolicy),
                 help="none; strict: WeChat matches the marketplace; floor: marketplace never below WeChat",
                 label_zh="价格体系 (渠道保护)")]
    if ctx.paid:
        total = sum(ctx.paid)
        out.append(Lever("paid_budget", "Paid media budget (¥/day)", "slider", int(round(total)), low=0,
                         high=_round_up(max(3 * total, 1000.0), 100.0), step=100.0, integer=True,
                         help="all paid-media lines scaled together (more impressions → more awareness)",
                         label_zh="付费媒体预算 (¥/天)"))
    return out


def _influencer_levers(ctx: _Context, scenario: Scenario) -> list[Lever]:
    total = ctx.kol_spend + ctx.koc_spend
    if total <= 0:
        return []
    out = [Lever("influencer_budget", "Influencer budget (¥/month)", "slider", int(round(total)), low=0,
                 high=_round_up(3 * total, 10_000.0), step=10_000.0, integer=True,
                 help="KOL slot fees and KOC fees together (posts × fee)", label_zh="达人预算 (¥/月)")]
    if ctx.kol_side and ctx.koc_side:
        share = int(round(100 * ctx.koc_spend / total))
        out.append(Lever("koc_share", "…of it on KOCs rather than KOLs (%)", "slider", share, low=0, high=100,
                         step=1.0, integer=True, help="many small trusted voices vs one big reach",
                         label_zh="其中 KOC 占比 (%)"))
    return out


def _relationship_levers(ctx: _Context, scenario: Scenario) -> list[Lever]:
    s = ctx.brand.strategy
    out = [
        Lever("referral", "Referral commission, level 1 (%)", "slider", _percent(s.referral.level1), low=0, high=50,
              step=1.0, integer=float(_percent(s.referral.level1)).is_integer(),
              help="share of order value paid to the sharer: more sharing, less margin", label_zh="一级分佣 (%)"),
        Lever("content_quality", "Content quality (4i score, 0–1)", "slider", round(s.content.quality.score, 2),
              low=0.0, high=1.0, step=0.05, help="interesting, interests, interaction, individuality, all set to this",
              label_zh="内容质量 (4i, 0–1)"),
    ]
    if ctx.social is not None:
        account = scenario.channels[ctx.social].official_account
        cap = account.pushes_per_month if account is not None else 31
        pushes = min(s.private_domain.pushes_per_month, cap)
        out.append(Lever("pushes", "Private-domain pushes a month", "slider", pushes, low=0, high=max(cap, 1),
                         step=1.0, integer=True, help=f"official-account pushes to followers (free up to {cap})",
                         label_zh="私域推送 (次/月)"))
    if ctx.social is not None and ctx.marketplace is not None:
        out.append(Lever("double11_routing", "Double 11: route WeChat traffic to Tmall with a gift", "switch",
                         s.double11_routing.enabled, help="the HFP play", label_zh="双11 微信引流天猫 (送赠品)"))
    if ctx.social is not None:
        out.append(Lever("wechat_bundle", "WeChat-only bundle (prices not comparable)", "switch", s.wechat_bundle,
                         help="group leaders and shoppers cannot compare prices", label_zh="微信专供组合装 (价格不可比)"))
    return out


def _percent(share: float) -> float | int:
    value = round(100 * share, 2)
    return int(value) if float(value).is_integer() else value


_BUILDERS = (_price_levers, _strategy_levers, _influencer_levers, _relationship_levers)


# --------------------------------------------------------------------------- mapping values to fields
def _scaled_paid(ctx: _Context, value: Value, _: Mapping[str, Value]) -> dict[str, Any]:
    total = sum(ctx.paid)
    if total > 0:
        return {f"strategy.paid_media.{i}.budget_per_day": b * float(value) / total for i, b in enumerate(ctx.paid)}
    return {"strategy.paid_media.0.budget_per_day": float(value)}


def _influencers(ctx: _Context, _: Value, full: Mapping[str, Value]) -> dict[str, Any]:
    budget = float(full["influencer_budget"])
    share = float(full.get("koc_share", 100.0 if ctx.koc_side and not ctx.kol_side else 0.0)) / 100.0
    out: dict[str, Any] = {}
    programs = ctx.brand.strategy.kols
    if ctx.kol_spend > 0:
        factor = (1.0 - share) * budget / ctx.kol_spend
        for i in ctx.kol_side:
            out[f"strategy.kols.{i}.posts_per_month"] = round(min(_MAX_POSTS, programs[i].posts_per_month * factor), 4)
    if ctx.koc_spend > 0:
        factor = share * budget / ctx.koc_spend
        room = min(_MAX_COUNT, ctx.koc_room)
        signed = sum(programs[i].count for i in ctx.koc_side) * factor
        whole = round if signed <= room else math.floor  # floor keeps a capped total within room
        factor *= min(1.0, room / signed) if signed > 0 else 1.0
        for i in ctx.koc_side:
            out[f"strategy.kols.{i}.count"] = int(whole(programs[i].count * factor))
    return out


def _field(path: str, convert: Callable[[Value], Any] = lambda v: v) -> Mapper:
    return lambda ctx, value, full: {path: convert(value)}


def _price(role: str) -> Mapper:
    return lambda ctx, value, full: {f"channels.{getattr(ctx, role)}.price": float(value)}


#: Levers that map together: at their defaults, the fields stay exactly as written.
_JOINT = {"influencer_budget": ("influencer_budget", "koc_share"), "koc_share": ("influencer_budget", "koc_share")}

_MAPPERS: dict[str, Mapper] = {
    "marketplace_price": _price("marketplace"),
    "social_price": _price("social"),
    "parity": _field("strategy.parity"),
    "paid_budget": _scaled_paid,
    "influencer_budget": _influencers,
    "koc_share": _influencers,
    "referral": _field("strategy.referral.level1", lambda v: float(v) / 100.0),
    "content_quality": lambda ctx, value, full: {f"strategy.content.quality.{k}": float(value) for k in _QUALITY},
    "pushes": _field("strategy.private_domain.pushes_per_month", int),
    "double11_routing": _field("strategy.double11_routing.enabled", bool),
    "wechat_bundle": _field("strategy.wechat_bundle", bool),
}
