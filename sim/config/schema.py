"""The scenario file, declared once.

Every field carries its unit and the reason for its default in ``description``;
``socsim schema`` renders this module as the field reference (docs/SCENARIO.md).
Sources are the figures of docs/SOURCES.md; "assumption" marks a number we chose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..graph.blocks import max_communities
from ..graph.complete_graph import COMPLETE_MAX_NODES
from ..graph.ring import SMALL_WORLD_MAX_NODES
from .base import Strict
from .responses import Response, expand_archetypes
from .segments import SEGMENT_DEFAULTS, SEGMENT_KEYS, SegmentKey

__all__ = [
    "Scenario", "Simulation", "World", "SegmentSpec", "GraphSpec", "Behaviour",
    "ChannelSpec", "SearchRankingSpec", "PlatformEvent", "OfficialAccount", "BrandSpec", "Product",
    "BrandChannel", "Strategy", "PaidMedia", "SearchAds", "Content", "ContentQuality",
    "KolProgram", "PrivateDomain", "NonBuyerCapture", "Referral", "GroupLeaderPolicy", "Promotion",
    "ScheduledChange", "Double11Routing", "Response", "Outputs", "GraphKind", "ChannelRole",
    "ParityPolicy", "KolTier", "TwoStep", "StreamerTier", "LivestreamSession", "STREAMER_DEFAULTS", "Engine",
    "partner_count_problems", "MAX_SEED",
]

GraphKind = Literal["small_world", "powerlaw_cluster", "communities", "edge_list", "complete"]
ChannelRole = Literal["marketplace", "social", "media", "livestream"]
ParityPolicy = Literal["none", "strict", "floor"]
KolTier = Literal["head", "waist", "koc"]
StreamerTier = Literal["head", "mid", "self"]
Engine = Literal["fast", "reference"]

Share = Field(ge=0.0, le=1.0)


#: Largest root seed: numpy seeds are unsigned, and stores and tables keep seeds as int64.
MAX_SEED = 2**63 - 1
#: Most consumer agents: 10⁸ (at k = 150 a graph of 75 GB; whether a run fits this machine is
#: checked before it starts, sim.resources).
MAX_POPULATION = 100_000_000


# --------------------------------------------------------------------------- simulation
class Simulation(Strict):
    days: int = Field(365, ge=1, le=3650, description="length of the run, days (default: one year)")
    start_date: dt.date = Field(dt.date(2026, 1, 1), description="calendar date of day 0 (YYYY-MM-DD)")
    seed: int = Field(42, ge=0, le=MAX_SEED, description="root seed; every random stream is spawned from it")
    engine: Engine = Field("fast", description="fast: vectorised consumers; reference: one Mesa agent per consumer (small N only)")


# --------------------------------------------------------------------------- world
class SegmentSpec(Strict):
    """One consumer segment; any field left out takes the segment's documented default."""

    share: float | None = Field(None, ge=0.0, le=1.0, description="share of the population (shares sum to 1)")
    price_sensitivity: float | None = Field(None, ge=0.0, le=50.0, description="β_price: utility lost per one reference price of extra cost (dimensionless)")
    ad_trust: float | None = Field(None, ge=0.0, le=1.0, description="multiplier on paid-media exposure weight")
    kol_affinity: float | None = Field(None, ge=0.0, le=1.0, description="multiplier on KOL/KOC post weight")
    wom_weight: float | None = Field(None, ge=0.0, le=1.0, description="multiplier on word-of-mouth weight received")
    content_taste: float | None = Field(None, ge=0.0, le=1.0, description="how much 4i content quality matters (0: not at all, 1: only quality)")
    tmall_habit: float | None = Field(None, ge=-5.0, le=5.0, description="utility of shopping on Tmall rather than WeChat (utility points)")
    compare_prob: float | None = Field(None, ge=0.0, le=1.0, description="probability of comparing a brand's price across channels before buying")
    need_rate: float | None = Field(None, ge=0.0, le=1.0, description="category need arrivals per consumer per day, without stock at home")
    stockpile: float | None = Field(None, ge=0.0, le=10.0, description="mean extra units bought when a promotion runs")
    advocacy: float | None = Field(None, ge=0.0, le=1.0, description="daily probability that a satisfied recent buyer shares")

    def resolved(self, key: str) -> dict[str, float]:
        """Defaults of segment ``key`` overlaid with the fields given here."""
        values = dict(SEGMENT_DEFAULTS[key])
        values.update({k: v for k, v in self.model_dump().items() if v is not None})
        return values


def _default_segments() -> dict[str, SegmentSpec]:
    return {key: SegmentSpec() for key in SEGMENT_KEYS}


class GraphSpec(Strict):
    kind: GraphKind = Field("small_world", description="small_world (Watts–Strogatz), powerlaw_cluster (Holme–Kim), communities (stochastic block), edge_list (file), complete (at most 20 000 consumers)")
    degree: int = Field(150, ge=2, le=1000, description="mean number of contacts; Dunbar's number 150 (Dunbar; Arnaboldi et al. 2015); capped below the population")
    rewire: float = Field(0.1, ge=0.0, le=1.0, description="Watts–Strogatz rewiring probability; rewired ties are weak (acquaintances, Granovetter 1973). assumption")
    triangle_prob: float = Field(0.5, ge=0.0, le=1.0, description="Holme–Kim probability of closing a triangle after each preferential attachment. assumption")
    communities: int = Field(20, ge=1, le=100000, description="number of communities (stochastic block model); at most half of world.population (two members each)")
    mixing: float = Field(0.1, ge=0.0, le=1.0, description="share of a node's ties that leave its community (stochastic block model). assumption")
    path: str | None = Field(None, description="edge-list file (two integer columns, 0-based), relative to the scenario file; kind=edge_list only")

    @model_validator(mode="after")
    def _path_for_edge_list(self) -> "GraphSpec":
        if self.kind == "edge_list" and not self.path:
            raise ValueError("kind 'edge_list' needs 'path' (a file of 'u v' lines)")
        return self


class TwoStep(Strict):
    """The two-step flow of communication: opinion leaders relay the media they see to their contacts."""

    enabled: bool = Field(False, description="whether opinion leaders relay paid impressions and KOL posts to their contacts. Off by default so that calibrated runs stay as they were: the relay's figures below are assumptions, not yet fitted with `socsim calibrate`")
    leader_share: float = Field(0.05, gt=0.0, le=1.0, description="opinion leaders: this share of consumers with the most ties (top share by degree, ties broken by consumer number), dimensionless. assumption for the share; that the best-connected are the ones to pick follows Goldenberg et al. 2009 (hubs, people with exceptionally many ties, are exposed earlier and speed adoption)")
    relay_prob: float = Field(0.2, ge=0.0, le=1.0, description="probability that an opinion leader who saw a brand's paid impression or KOL post today passes it on to her contacts that day, per leader, brand and day. assumption")
    relay_strength: float = Field(2.0, ge=0.0, le=10.0, description="exposure weight of a relayed message before the receiver's wom_weight: 2 × a friend's share (wom_strength 1.0), since opinion leaders' influence on their contacts' adoption exceeds ordinary ties' (Iyengar, Van den Bulte & Valente 2011). assumption for the value, published direction")


class Behaviour(Strict):
    """Consumer rules shared by all segments; docs/MODEL.md §3 gives the formulas."""

    attitude_decay: float = Field(0.03, ge=0.0, le=1.0, description="λ: daily decay of brand attitude (ad-stock), per day; ~23-day half-life. assumption (Goldenberg et al. 2001: advertising matters early)")
    interest_threshold: float = Field(0.3, ge=0.0, le=1.0, description="attitude above which a consumer is Interested (种草)")
    beta_attitude: float = Field(4.0, ge=0.0, le=20.0, description="β_att: utility of full attitude (a=1)")
    beta_quality: float = Field(1.0, ge=0.0, le=20.0, description="utility of product quality 1 vs 0")
    entry_bonus: float = Field(0.10, ge=0.0, le=5.0, description="utility of buying where the latest link or post points (entry channel). assumption, set so that ≥50 % of WeChat-push purchases close on Tmall at equal prices (Xia 2019, docs/SOURCES.md [A4]); 0.15 before the segments' price sensitivities took their present level (docs/MODEL.md §3.5)")
    outside_utility: float = Field(3.9, ge=-10.0, le=10.0, description="utility of 'not now' at a shop visit. Fitted so that the focal brand's Tmall detail-page conversion is ≈ 15 % (Xia 2019, docs/SOURCES.md [A4]; scenarios/targets/seed_facts.yaml); 3.5 before word of mouth's reach and weights were fitted")
    category_search_prob: float = Field(0.5, ge=0.0, le=1.0, description="probability that a consumer with a need but no known brand searches an open marketplace. assumption")
    satisfaction_noise: float = Field(0.2, ge=0.0, le=2.0, description="s.d. of experienced quality around product quality")
    satisfaction_threshold: float = Field(0.5, ge=0.0, le=1.0, description="experienced quality above which a buyer is satisfied")
    share_window_days: int = Field(14, ge=1, le=365, description="days after a satisfying purchase during which the buyer may share")
    negative_wom_prob: float = Field(0.3, ge=0.0, le=1.0, description="probability that a detractor (a buyer let down by quality, a late delivery or a friend's lower price) warns her contacts, once. assumption")
    negative_wom_ratio: float = Field(4.0, ge=0.0, le=20.0, description="weight of one warning relative to one share (|negative| / positive word-of-mouth weight, dimensionless); above 1 a bad word weighs more than a good one. assumption for the value; the direction is a published finding (Chevalier & Mayzlin 2006: one-star reviews move sales more than five-star ones)")
    detractor_attitude_factor: float = Field(0.5, ge=0.0, le=1.0, description="a detractor's own attitude to the brand is multiplied by this (0: she forgets it, 1: no change), which lowers her chance of buying it again. assumption")
    late_delivery_prob: float = Field(0.03, ge=0.0, le=1.0, description="probability that an order arrives late enough to make its buyer a detractor, per order. assumption")
    price_regret_share: float = Field(0.10, ge=0.0, le=1.0, description="a buyer who hears that the contact she asks paid at least this share less for the same brand (unit price net of coupons) within price_regret_days becomes a detractor. assumption")
    price_regret_days: int = Field(30, ge=0, le=365, description="days back a contact's purchase counts for price regret (0 switches it off). assumption")
    tie_reach: tuple[float, float, float, float] = Field((0.8, 0.6, 0.4, 0.3), description="probability that a share reaches a contact, by Dunbar layer (intimate, close, friends, acquaintances). On the baseline graph (≈ 4.5 / 9 / 31.5 / 105 ties a layer) a share reaches ≈ 53 of 150 contacts, 35 %: a post on a social network is seen by about 35 % of the poster's friends (Bernstein, Bakshy, Burke & Karrer 2013, 222,000 Facebook users' logs; 61 % over a month). published figure for the mean; its fall from close to distant layers is an assumption (feeds rank close friends first)")
    wom_strength: float = Field(1.0, ge=0.0, le=10.0, description="exposure weight of one word-of-mouth share before the receiver's wom_weight; the other sources' weights follow it in proportion to their published trust (paid, owned, KOL strengths). Fitted with outside_utility so that word of mouth's long-run elasticity of orders lies in its published range and above paid media's (Trusov, Bucklin & Pauwels 2009; Sethuraman, Tellis & Briesch 2011; scenarios/targets/wom_response.yaml, docs/MODEL.md §3.2)")
    paid_strength: float = Field(0.55, ge=0.0, le=10.0, description="exposure weight of one paid impression before ad trust and content: wom_strength × 46/83, weights in proportion to the share of consumers who trust each source (Nielsen Global Trust in Advertising 2015, 30,000 respondents in 60 countries: friends' recommendations 83 %, consumer opinions posted online 66 %, e-mails one signed up for 56 %, ads on social networks 46 %); published ratio. Paid media's long-run elasticity of orders is then ≈ 0.2, near the published mean 0.24 (Sethuraman, Tellis & Briesch 2011; docs/MODEL.md §3.2)")
    kol_strength: float = Field(0.8, ge=0.0, le=10.0, description="exposure weight of one KOL post view before credibility and affinity: wom_strength × 66/83 (trust in consumer opinions posted online against friends' recommendations, Nielsen 2015); published ratio")
    owned_strength: float = Field(0.67, ge=0.0, le=10.0, description="exposure weight of one opened push or 1:1 touch: wom_strength × 56/83 (trust in e-mails one signed up for against friends' recommendations, Nielsen 2015); published ratio")
    group_strength: float = Field(0.67, ge=0.0, le=10.0, description="exposure weight of one group-deal message read: as a push (owned_strength), a seller's message in a group one joined (Nielsen 2015's e-mails one signed up for, 56 %, against friends' 83 %); assumption that a leader's broadcast is trusted as owned media")
    search_strength: float = Field(0.2, ge=0.0, le=10.0, description="exposure weight of appearing on a search page")
    search_click_strength: float = Field(1.0, ge=0.0, le=10.0, description="exposure weight of a search-ad click: the shopper opens the advertised brand's page. assumption")
    promo_need_boost: float = Field(1.5, ge=1.0, le=20.0, description="multiplier on category need for consumers who know a brand on promotion today. assumption")
    impulse_threshold: float = Field(0.8, ge=0.0, le=1.0, description="attitude above which an exposure can trigger an impulse need")
    impulse_prob: float = Field(0.05, ge=0.0, le=1.0, description="probability that such an exposure triggers a need today. assumption")
    impulse_window_days: int = Field(14, ge=0, le=3650, description="W, days an impulse can pull a consumer's next need forward: a strong exposure makes her shop with impulse_prob × the chance that her next need falls within W days (certain if her stock runs out by then, none if it lasts longer; out of stock, 1 − (1 − her need rate)^W), so at most one impulse falls in a purchase cycle; 0: no impulses. assumption for the value; that promotions and advertising move purchases in time within the consumer's stock and consumption rather than add needs without bound is published (purchase acceleration: Gupta 1988; Bell, Chiang & Padmanabhan 1999; flexible consumption: Ailawadi & Neslin 1998)")
    referral_uplift: float = Field(5.0, ge=0.0, le=100.0, description="relative rise in sharing per unit of the commission rate a sharer expects on an order her share brings (level 1 alone: 0.10 → +50 %). assumption")
    downline_expectation: float = Field(1.0, ge=0.0, le=10.0, description="m̂: orders a sharer expects each buyer she refers to bring in turn by sharing, so a level-ℓ commission counts m̂^(ℓ−1) in her expected rate ℓ1 + ℓ2·m̂ + ℓ3·m̂² (dimensionless). assumption: the recruiting pitch of multi-level distribution, a downline order as likely as a direct one; what trees really yield is the KPI referral.downline_per_member (≈ 0.05 on the baseline)")
    content_share_uplift: float = Field(1.0, ge=0.0, le=10.0, description="relative rise in sharing from 4i content quality 0 → 1. assumption")
    reference_smoothing: float = Field(0.3, ge=0.0, le=1.0, description="w: weight of the newest price seen in a consumer's reference price for a brand, per shopping trip, R ← R + w·(p − R); 0 never adapts. assumption, within the carry-over 0.7–0.9 of exponentially smoothed reference prices (Kalyanaram & Winer 1995)")
    reference_weight: float = Field(1.0, ge=0.0, le=10.0, description="η: weight of a price's gain or loss against the brand's reference price, relative to the price-level term (dimensionless); 0 switches reference effects off. assumption")
    loss_aversion: float = Field(2.0, ge=1.0, le=10.0, description="λ: a price above the reference (a loss) weighs λ times an equal gain; ≈ 2 (Kalwani et al. 1990; Putler 1992; Tversky & Kahneman 1991 2.25). published figure")
    event_anticipation_days: int = Field(14, ge=0, le=60, description="days before a platform event's coupon starts (its presale, or the main day) in which shoppers who know it is coming put off needs. assumption")
    event_wait_share: float = Field(0.3, ge=0.0, le=1.0, description="share of category needs that wait, in those days, for the event's coupon (a pre-event dip); replenishment of an empty stock does not wait. assumption")
    deal_memory_days: float = Field(90.0, gt=0.0, le=3650.0, description="half-life (days) of a brand's deal history: how long shoppers remember its discounts; the price image recovers at this pace. assumption")
    deal_sensitivity: float = Field(2.0, ge=0.0, le=20.0, description="κ: rise of shoppers' price sensitivity to a brand per unit of its deal history (the smoothed depth of its own discounts): β·(1 + κ·D). assumption; direction from Mela, Gupta & Lehmann 1997 (promotions make consumers more price-sensitive)")
    deal_wait_share: float = Field(0.0, ge=0.0, le=1.0, description="ω: a need arising while her preferred brand (the known brand she likes best) is not on deal waits for its next deal with probability ω·D, D the brand's deal history (a brand often on deal teaches its buyers to wait: Mela, Gupta & Lehmann 1997; Kalwani & Yim 1992); replenishment of an empty stock does not wait. assumption: 0, off, as no published share fits this market; 1 lets a brand always 30 % off hold back 30 % of its buyers' needs")
    deal_wait_max_days: int = Field(30, ge=1, le=365, description="longest wait (days) for a brand's next deal: the wait is the expected gap to it, the mean spell between the brand's deals (1 − F)/S (F its smoothed share of days on deal, S of days a deal starts), capped here; she buys when the deal comes or the wait ends. assumption: a month, the cadence of platform sales")
    category_price_weight: float = Field(0.15, ge=0.0, le=1.0, description="γ: share of the price response that reaches whether to buy in the category now (incidence); brand and venue choice feel it fully; 1 = one logit over brands and 'not now'. assumption, set so the baseline's category price elasticity is |e| ≤ 1 (brand-switching dominates a brand's price response: Bijmolt et al. 2005; van Heerde et al. 2003)")
    two_step: TwoStep = Field(default_factory=TwoStep, description="opinion leaders relay media (two-step flow, Katz & Lazarsfeld 1955)")


class World(Strict):
    population: int = Field(20000, ge=10, le=MAX_POPULATION, description="number of consumer agents (a run that would not fit in this machine's memory is refused before it starts, naming the limit)")
    market_size: int | None = Field(None, ge=10, le=2_000_000_000, description="real consumers the agents stand for (at most 2 billion: more than China's 1.41 billion people, NBS 2023); money, impressions and followers are scaled by market_size/population; `population` (or no value): one agent per consumer, the population's value after any --set")
    reference_price_yuan: float = Field(129.0, gt=0, description="starting reference price (¥) every consumer holds for every brand before she has seen its price; it then moves with the prices she sees (behaviour.reference_smoothing)")
    segments: dict[SegmentKey, SegmentSpec] = Field(default_factory=_default_segments, description="segment mix; keys are the seven segments of docs/MODEL.md §4")
    graph: GraphSpec = Field(default_factory=GraphSpec)
    behaviour: Behaviour = Field(default_factory=Behaviour)

    @field_validator("segments")
    @classmethod
    def _shares_sum_to_one(cls, segments: dict[str, SegmentSpec]) -> dict[str, SegmentSpec]:
        total = sum(spec.resolved(key)["share"] for key, spec in segments.items())
        if segments and abs(total - 1.0) > 1e-6:
            raise ValueError(f"segment shares sum to {total:.4f}; they must sum to 1")
        if not segments:
            raise ValueError("at least one segment is needed")
        return segments

    @field_validator("market_size", mode="before")
    @classmethod
    def _one_agent_per_consumer(cls, value: Any, info: ValidationInfo) -> Any:
        """``population``: as many consumers as agents (None when the population itself is invalid: it is reported)."""
        if isinstance(value, str) and value != "population":
            raise ValueError(f"got {value!r}; must be a whole number, or population (one agent per consumer)")
        return info.data.get("population") if value == "population" else value

    @model_validator(mode="after")
    def _graph_fits_population(self) -> "World":
        # Caught here, at load time with the field's line, rather than when the graph is built.
        problems = _graph_size_problems(self.graph, self.population)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _an_agent_is_at_least_a_consumer(self) -> "World":
        # Below one consumer per agent, every scaled quantity (followers, groups, reach) would
        # be inflated beyond the market itself.
        if self.market_size is not None and self.market_size < self.population:
            raise ValueError(f"market_size: got {self.market_size}, fewer real consumers than agents "
                             f"(world.population {self.population}): an agent stands for at least one consumer; "
                             "raise it, or write market_size: population (one agent per consumer)")
        return self

    @property
    def consumers(self) -> int:
        """Real consumers in the market: ``market_size``, or the population when it is unset."""
        return self.market_size or self.population

    @property
    def scale(self) -> float:
        """Real consumers per agent."""
        return self.consumers / self.population


def _graph_size_problems(graph: GraphSpec, population: int) -> list[str]:
    """``path: message`` lines (relative to ``world``) for graph settings the population cannot hold."""
    most = max_communities(population)
    if graph.kind == "communities" and graph.communities > most:
        return [f"graph.communities: got {graph.communities}; must be ≤ {most} (half of world.population "
                f"{population}): each community needs at least two members"]
    if graph.kind == "small_world" and population > SMALL_WORLD_MAX_NODES:
        return [f"population: got {population}; a small world (world.graph.kind: small_world) allows at most "
                f"{SMALL_WORLD_MAX_NODES} consumers (two ids and a tie's ring data fit in 63 bits): lower "
                "world.population, or choose kind communities"]
    if graph.kind == "complete" and population > COMPLETE_MAX_NODES:
        return [f"population: got {population}; a complete graph (world.graph.kind: complete) allows at most "
                f"{COMPLETE_MAX_NODES} consumers (n² ties): lower world.population, or choose kind "
                "small_world with a large rewire for a well-mixed population"]
    return []


# --------------------------------------------------------------------------- channels
class PlatformEvent(Strict):
    name: str = Field(description="event name, e.g. 618 or double11")
    date: str = Field(pattern=r"^\d{2}-\d{2}$", description="MM-DD of the event's main day")
    presale_from: str | None = Field(None, pattern=r"^\d{2}-\d{2}$", description="MM-DD presale start; the coupon applies from then (Double 11 presale ~10-20, Xinhua 2019)")
    coupon_yuan: float = Field(0.0, ge=0, description="platform coupon per order (¥) on the channel during the event")
    need_boost: float = Field(1.0, ge=0, le=50, description="multiplier on category need on the main day")
    brand_funded_share: float = Field(1.0, ge=0, le=1, description="share of the coupon the brand pays (cross-store discounts are merchant-funded). assumption")


class OfficialAccount(Strict):
    pushes_per_month: int = Field(4, ge=0, le=31, description="pushes that reach followers for free, per month (4: Xia 2019, docs/SOURCES.md [A4])")
    open_rate: float = Field(0.005, ge=0, le=1, description="share of followers who open a push; a few per mille in 2020 (docs/SOURCES.md [A0]; KAWO/Newrank)")
    wecom_open_rate: float = Field(0.15, ge=0, le=1, description="share of 1:1 enterprise-WeChat touches that are read. assumption")


class SearchRankingSpec(Strict):
    """How an open marketplace ranks brands on its search page (搜索权重): visibility follows
    recent sales, conversion and reviews. All weights 0: visibility stays ``search_visibility``."""

    sales_weight: float = Field(0.0, ge=0, le=3, description="elasticity of visibility to recent orders relative to the other brands listed. assumption")
    conversion_weight: float = Field(0.0, ge=0, le=3, description="elasticity of visibility to recent conversion (orders / visits), relative. assumption")
    review_weight: float = Field(0.0, ge=0, le=3, description="elasticity of visibility to log(1 + reviews), one review per order, relative. assumption")
    half_life_days: float = Field(14.0, gt=0, le=365, description="half-life of 'recent' orders and visits (days). assumption")
    max_boost: float = Field(3.0, ge=1, le=100, description="most that ranking multiplies or divides a brand's base visibility by. assumption")


class ChannelSpec(Strict):
    role: ChannelRole | None = Field(None, description="marketplace (open shelf, e.g. Tmall), social (closed private domain, e.g. WeChat), livestream (直播带货, e.g. Taobao Live, Douyin live: sells only during a brand's sessions, no open search) or media (seeding only); default from the name. Any channel becomes a shop by YAML alone: role marketplace or livestream, transacts: true, its own take_rate and payment_fee")
    transacts: bool = Field(True, description="whether orders close on this channel")
    take_rate: float = Field(0.0, ge=0, le=1, description="platform commission, share of revenue (Tmall 2–5 %)")
    payment_fee: float = Field(0.006, ge=0, le=1, description="payment fee, share of revenue (WeChat Pay / Alipay 0.6 %)")
    trust_premium_yuan: float = Field(0.0, ge=-1000, le=1000, description="what shoppers would pay to buy here (¥): buyer protection, returns (Tmall ≈ ¥10: Xia 2019, docs/SOURCES.md [A4])")
    open_search: bool = Field(False, description="search pages show rival brands (open shelf 开架)")
    events: list[PlatformEvent] = Field(default_factory=list, description="platform events (618, Double 11)")
    official_account: OfficialAccount | None = Field(None, description="official account (公众号) push rules; social channels")
    group_cap: int = Field(500, ge=1, le=100000, description="members per group (WeChat group cap 500)")
    ranking: SearchRankingSpec = Field(default_factory=SearchRankingSpec, description="search ranking that feeds on sales (open search channels)")

    @model_validator(mode="after")
    def _media_does_not_transact(self) -> "ChannelSpec":
        if self.role == "media" and self.transacts:
            raise ValueError("a channel with role 'media' cannot transact; set transacts: false")
        if self.role == "livestream" and (not self.transacts or self.open_search):
            raise ValueError("a channel with role 'livestream' sells in its sessions: set transacts: true and open_search: false")
        r = self.ranking
        if not self.open_search and (r.sales_weight or r.conversion_weight or r.review_weight):
            raise ValueError("ranking: only a channel with an open search page ranks brands; set open_search: true "
                             "or the ranking weights to 0")
        return self


_SOCIAL_NAMES = ("wechat", "weixin", "miniprogram")


def default_role(key: str, channel: ChannelSpec) -> ChannelRole:
    """The channel's role, inferred from its name when not given."""
    if channel.role is not None:
        return channel.role
    if not channel.transacts:
        return "media"
    return "social" if key.lower() in _SOCIAL_NAMES else "marketplace"


# --------------------------------------------------------------------------- brands
class Product(Strict):
    price: float = Field(gt=0, le=1_000_000, description="list price (¥)")
    unit_cost: float = Field(ge=0, le=1_000_000, description="cost of goods per unit (¥)")
    quality: float = Field(0.7, ge=0, le=1, description="product quality 0–1; drives satisfaction")
    repurchase_days: int = Field(60, ge=1, le=3650, description="days one unit lasts before the next need (skin care ~60, assumption)")


class BrandChannel(Strict):
    price: float | None = Field(None, gt=0, description="price on this channel (¥); default: the product price")
    search_visibility: float = Field(0.3, ge=0, le=1, description="probability of showing on an open channel's organic search page. assumption")


class PaidMedia(Strict):
    channel: str = Field(description="where ads run (a channel key, e.g. douyin)")
    budget_per_day: float = Field(ge=0, description="¥ per day")
    cpm_yuan: float = Field(40.0, gt=0, description="cost per thousand impressions (¥). assumption")
    target: list[SegmentKey] = Field(default_factory=list, description="segments shown the ads (empty: everyone)")


class SearchAds(Strict):
    channel: str = Field("tmall", description="open channel whose search pages carry the ads")
    budget_per_day: float = Field(ge=0, description="¥ per day; buying rivals' searchers is 'traffic cutting' (截流)")
    cpc_yuan: float = Field(1.5, gt=0, description="cost per click (¥). assumption")


class ContentQuality(Strict):
    """The 4i principles (interesting, interests, interaction, individuality), each 0–1."""

    interesting: float = Field(0.5, ge=0, le=1)
    interests: float = Field(0.5, ge=0, le=1)
    interaction: float = Field(0.5, ge=0, le=1)
    individuality: float = Field(0.5, ge=0, le=1)

    @property
    def score(self) -> float:
        return (self.interesting + self.interests + self.interaction + self.individuality) / 4


class Content(Strict):
    posts_per_week: float = Field(3.0, ge=0, le=100, description="owned content cadence")
    cost_per_post_yuan: float = Field(2000.0, ge=0, description="production cost per post (¥). assumption")
    quality: ContentQuality = Field(default_factory=ContentQuality)


class KolProgram(Strict):
    tier: KolTier = Field(description="head (头部), waist (腰部) or koc (key opinion consumer)")
    count: int = Field(1, ge=0, le=100000, description="KOLs/KOCs signed on these terms; each sits at a consumer, so a brand's programs together have at most world.population")
    platform: str = Field("douyin", description="where the posts appear (a channel key)")
    posts_per_month: float = Field(2.0, ge=0, le=100)
    fee_per_post_yuan: float = Field(0.0, ge=0, description="slot fee per post (¥); head streamers ¥300k (SCMP 2020)")
    cps_rate: float = Field(0.0, ge=0, le=1, description="commission per sale attributed to the post (head 20 %+, The Information)")
    followers: int | None = Field(None, ge=0, description="real followers; default by tier (head 10M, waist 500k, KOC: their own contacts)")
    credibility: float | None = Field(None, ge=0, le=1, description="default by tier (head 0.5, waist 0.6, KOC 0.8). assumption")
    reach_rate: float = Field(0.1, ge=0, le=1, description="share of followers who see a post. assumption")


class NonBuyerCapture(Strict):
    """Capture of consumers who do not follow yet (QR codes in content and live sessions,
    enterprise-WeChat adds by sales staff, an add offered on the marketplace detail page):
    each captured consumer becomes a follower."""

    content_rate: float = Field(0.0, ge=0, le=1, description="probability that a non-follower who sees the brand's paid ad or KOL/KOC post scans its QR code and follows, per exposure; 0: no QR code in content (the pre-capture model). assumption")
    live_rate: float = Field(0.0, ge=0, le=1, description="probability that a non-follower watching the brand's livestream session follows through its QR code, per session exposure; 0: no QR code on air. assumption")
    wecom_add_rate: float = Field(0.0, ge=0, le=1, description="probability per day that sales staff add an interested non-follower on enterprise WeChat (企业微信); 0: no add campaign. assumption")
    detail_rate: float = Field(0.0, ge=0, le=1, description="probability that a non-follower who visits the brand's marketplace shop (its detail page on Tmall) and does not buy it follows through the WeCom/QR add offered there, per visit without a purchase; 0: nothing offered on the detail page. assumption (most visits end without a purchase: 15 % detail-page conversion is 'very good'); Tmall restricts WeChat codes on its pages, so the add usually goes through the shop's customer-service chat")
    cost_per_contact_yuan: float = Field(10.0, ge=0, le=10_000, description="cost per captured follower (¥: QR placement, staff time, the small gift for scanning), booked as content cost on the social channel. assumption: a small gift for scanning plus staff time")

    @property
    def active(self) -> bool:
        """Any touchpoint captures."""
        return self.content_rate > 0 or self.live_rate > 0 or self.wecom_add_rate > 0 or self.detail_rate > 0


class PrivateDomain(Strict):
    package_card_capture: float = Field(0.10, ge=0, le=1, description="share of Tmall buyers who follow via the package card (小卡片). assumption")
    pushes_per_month: int = Field(4, ge=0, le=31, description="official-account pushes per month (capped by the channel's limit)")
    wecom_touches_per_month: int = Field(0, ge=0, le=31, description="1:1 enterprise-WeChat touches per follower per month")
    coupon_yuan: float = Field(0.0, ge=0, description="private-domain coupon on WeChat orders by followers (¥)")
    capture: NonBuyerCapture = Field(default_factory=NonBuyerCapture, description="capture of non-followers (non-buyers included) by QR codes, enterprise-WeChat adds and the marketplace detail page")


class Referral(Strict):
    """Referral commissions (分佣) on a WeChat order through a shared link, by level of the
    referral tree. Three levels at most: paying more levels is pyramid selling under
    China's rules (State Council Decree 444, 2005), so there is no fourth."""

    level1: float = Field(0.0, ge=0, le=0.5, description="commission to the sharer, share of order value (分佣)")
    level2: float = Field(0.0, ge=0, le=0.5, description="commission to the sharer's own referrer, share of order value")
    level3: float = Field(0.0, ge=0, le=0.5, description="commission to her referrer's referrer, share of order value; the last level allowed (Decree 444)")

    @model_validator(mode="before")
    @classmethod
    def _three_levels_at_most(cls, data: Any) -> Any:
        deeper = [k for k in data if isinstance(k, str) and k.startswith("level") and k[5:].isdigit()
                  and int(k[5:]) > 3] if isinstance(data, dict) else []
        if deeper:
            raise ValueError(f"got {deeper[0]}; at most three commission levels are allowed (level1, level2, level3): "
                             "paying more is pyramid selling under China's rules (State Council Decree 444)")
        return data


class GroupLeaderPolicy(Strict):
    initial: int = Field(0, ge=0, le=100000, description="group leaders (团长) at day 0 besides those sized from the market (market_coverage); each is a consumer, so at most world.population in all")
    market_coverage: float = Field(0.0, ge=0, le=1, description="share of the market's consumers (world.market_size, one a household) in the brand's leader groups at day 0: adds round(coverage × market_size / group_size) leaders, ≈ 200 households a leader (Rest of World 2021); when an agent stands for more than a group, coverage × population one-agent groups. The share is an assumption; 0: initial only")
    commission: float = Field(0.15, ge=0, le=1, description="share of order value (5–20 %, Rest of World 2021)")
    recruit_per_month: int = Field(0, ge=0, le=10000)
    max_leaders: int = Field(10000, ge=0, description="recruitment stops at this many active leaders")
    price_gap_tolerance_yuan: float = Field(5.0, ge=0, description="mean WeChat–Tmall price gap (¥) a leader tolerates")
    income_reference_yuan: float = Field(2000.0, gt=0, description="monthly commission (¥) at which a leader tolerates twice her price gap: income buys patience. assumption")
    quit_prob_per_day: float = Field(0.05, ge=0, le=1, description="daily probability of quitting while the gap exceeds tolerance. assumption")
    group_size: int = Field(200, ge=1, le=500, description="households per group (~200, Rest of World 2021)")
    broadcasts_per_week: float = Field(2.0, ge=0, le=50)
    read_rate: float = Field(0.3, ge=0, le=1, description="share of members who read a group deal. assumption")

    def leaders_at_start(self, market_size: int, population: int) -> int:
        """Leaders at day 0: ``initial`` plus those whose groups of ``group_size`` households
        hold ``market_coverage`` of a market of ``market_size`` consumers.

        A group is at least one agent: when an agent stands for more people than a group
        holds (market_size / population > group_size) the count is coverage × population
        one-agent groups, so the coverage, not the real count, is kept.
        """
        per_group = max(self.group_size, market_size / population)
        return self.initial + round(self.market_coverage * market_size / per_group)


class DateWindow(Strict):
    """A span of calendar days, both ends included (YAML keys ``from`` and ``to``)."""

    start: dt.date = Field(alias="from", description="first day (YYYY-MM-DD)")
    end: dt.date = Field(alias="to", description="last day (YYYY-MM-DD)")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False, validate_assignment=True)

    @model_validator(mode="after")
    def _ordered(self) -> "DateWindow":
        if self.end < self.start:
            raise ValueError(f"to: {self.end} is before from: {self.start}; 'to' must not be before 'from'")
        return self


class Promotion(DateWindow):
    name: str = "promotion"
    depth: float = Field(ge=0, lt=1, description="discount, share of price")
    channels: list[str] = Field(description="channel keys the discount applies on")


class ScheduledChange(DateWindow):
    set: dict[str, Any] = Field(description="dotted paths inside the brand, e.g. channels.tmall.price: 99")


class Double11Routing(Strict):
    enabled: bool = False
    gift_yuan: float = Field(20.0, ge=0, description="gift value (¥) for shoppers brought by WeChat pushes, touches or groups who buy on Tmall during Double 11 (the HFP play)")


#: Streamer tier → (real followers, KOL tier whose credibility it takes, slotting fee ¥,
#: commission, depth): what a session leaves out. Head: ¥300,000 slotting fees and 20 %+
#: commissions (The Information 2020; SCMP 2020); followers, depths and the mid-tier and
#: self-broadcast figures are assumptions.
STREAMER_DEFAULTS: dict[str, tuple[int, str, float, float, float]] = {
    "head": (10_000_000, "head", 300_000.0, 0.20, 0.30),
    "mid": (500_000, "waist", 20_000.0, 0.15, 0.20),
    "self": (50_000, "waist", 0.0, 0.0, 0.10),
}


class LivestreamSession(Strict):
    """One livestream session (直播带货) selling the brand on a livestream channel for a day."""

    date: dt.date = Field(description="the session's day (YYYY-MM-DD), within the run")
    channel: str = Field("live", description="the livestream channel it sells on (a channel with role livestream)")
    streamer: StreamerTier = Field(description="head (头部主播, e.g. Li Jiaqi), mid (腰部) or self (品牌自播, the brand's own stream)")
    followers: int | None = Field(None, ge=0, description="real followers; default by tier (head 10M as a head KOL, mid 500k, self 50k: assumptions)")
    reach_rate: float = Field(0.1, ge=0, le=1, description="share of followers who watch the session. assumption")
    price_yuan: float | None = Field(None, gt=0, description="session price (¥); default: list price × (1 − depth)")
    depth: float | None = Field(None, ge=0, lt=1, description="session discount, share of list price, when price_yuan is not given; default by tier (head 0.30, below the 40 % head streamers demanded, The Information 2020; mid 0.20, self 0.10). assumption")
    slotting_fee_yuan: float | None = Field(None, ge=0, description="坑位费 paid for the slot (¥); default by tier (head ¥300k, The Information 2020; SCMP 2020; mid ¥20k, self 0: assumptions)")
    commission: float | None = Field(None, ge=0, le=1, description="share of session order value paid to the streamer (CPS on the orders her stream brought); default by tier (head 0.20: 20 %+, The Information 2020; SCMP 2020; mid 0.15, self 0: assumptions)")
    need_share: float = Field(0.3, ge=0, le=1, description="share of watchers who shop during the session (in-session conversion: they choose brand and venue as on any trip). assumption")
    covered_by_parity: bool = Field(False, description="strict parity also matches the session price on WeChat (the brand's price system covers the stream); false: the stream is exempt and opens a gap")

    def as_kol(self) -> KolProgram:
        """The streamer as a KOL program: one streamer posting (streaming) only on the
        session's day, her slotting fee as the fee per post, her commission as CPS."""
        followers, tier, fee, commission, _ = self.terms()
        return KolProgram(tier=tier, count=1, platform=self.channel, posts_per_month=0.0, fee_per_post_yuan=fee,
                          cps_rate=commission, followers=followers, reach_rate=self.reach_rate)

    def terms(self) -> tuple[int, str, float, float, float]:
        """(followers, KOL tier, slotting fee ¥, commission, depth) with the tier's defaults filled in."""
        real, tier, fee, commission, depth = STREAMER_DEFAULTS[self.streamer]
        return (real if self.followers is None else self.followers, tier,
                fee if self.slotting_fee_yuan is None else self.slotting_fee_yuan,
                commission if self.commission is None else self.commission,
                depth if self.depth is None else self.depth)


class Strategy(Strict):
    parity: ParityPolicy = Field("none", description="none; strict: WeChat matches Tmall's effective price; floor: Tmall never below WeChat")
    wechat_bundle: bool = Field(False, description="WeChat-only bundle: prices cannot be compared")
    double11_routing: Double11Routing = Field(default_factory=Double11Routing)
    min_advertised_price_yuan: float | None = Field(None, gt=0, description="no channel price below this (MAP, Israeli et al. 2016)")
    promotions: list[Promotion] = Field(default_factory=list)
    paid_media: list[PaidMedia] = Field(default_factory=list)
    search_ads: list[SearchAds] = Field(default_factory=list)
    content: Content = Field(default_factory=Content)
    kols: list[KolProgram] = Field(default_factory=list)
    private_domain: PrivateDomain = Field(default_factory=PrivateDomain)
    referral: Referral = Field(default_factory=Referral)
    group_leaders: GroupLeaderPolicy = Field(default_factory=GroupLeaderPolicy)
    schedule: list[ScheduledChange] = Field(default_factory=list)
    livestreams: list[LivestreamSession] = Field(default_factory=list, description="livestream sessions (直播带货): on each date the brand sells on the session's livestream channel at the session price, the lowest anywhere that day (a higher one is clipped to the lowest: the lowest-price clause); none by default")
    responses: list[Response] = Field(default_factory=list, description="competitor response rules, or archetype names "
                                      "(follower, aggressor, premium_holder); none by default: the most common reaction "
                                      "to a rival's promotion is none (Steenkamp et al. 2005)")

    @field_validator("responses", mode="before")
    @classmethod
    def _archetypes(cls, rules: Any) -> Any:
        return expand_archetypes(rules)


class BrandSpec(Strict):
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$")
    product: Product
    channels: dict[str, BrandChannel] = Field(min_length=1, description="where the brand is listed, with prices (at least one transacting channel)")
    strategy: Strategy = Field(default_factory=Strategy)

    def listings(self) -> list[str]:
        """Channels the brand is listed on: every day (``channels``), then in its livestream sessions."""
        live = [s.channel for s in self.strategy.livestreams if s.channel not in self.channels]
        return [*self.channels, *dict.fromkeys(live)]

    def price_on(self, channel: str) -> float:
        spec = self.channels[channel]
        return spec.price if spec.price is not None else self.product.price


# --------------------------------------------------------------------------- outputs
class Outputs(Strict):
    plots: bool = Field(True, description="write PNG plots")
    daily_csv: bool = Field(True, description="write the daily series as CSV")
    dir: str = Field("results", description="parent folder for run folders")


def _default_channels() -> dict[str, ChannelSpec]:
    return {
        "tmall": ChannelSpec(role="marketplace", take_rate=0.05, trust_premium_yuan=10, open_search=True),
        "wechat": ChannelSpec(role="social", official_account=OfficialAccount()),
    }


class Scenario(Strict):
    name: str = Field("scenario", min_length=1, max_length=100)
    description: str = ""
    simulation: Simulation = Field(default_factory=Simulation)
    world: World = Field(default_factory=World)
    channels: dict[str, ChannelSpec] = Field(default_factory=_default_channels, min_length=1, max_length=32, description="channel key → channel (at most 32)")
    brands: list[BrandSpec] = Field(min_length=1)
    outputs: Outputs = Field(default_factory=Outputs)

    @model_validator(mode="after")
    def _cross_references(self) -> "Scenario":
        for key, channel in self.channels.items():
            if channel.role is None:
                object.__setattr__(channel, "role", default_role(key, channel))
        _check_brand_names(self.brands)
        for i, brand in enumerate(self.brands):
            _check_brand_channels(i, brand, self.channels)
            _check_responses(i, brand, self.brands, self.channels)
            _check_livestreams(i, brand, self.channels, self.simulation)
        market = self.world.market_size or self.world.population
        too_many = [f"brands.{i}.{line}" for i, brand in enumerate(self.brands)
                    for line in partner_count_problems(brand, self.world.population, market)]
        if too_many:
            raise ValueError("\n".join(too_many))
        return self


def _check_brand_names(brands: list[BrandSpec]) -> None:
    seen: set[str] = set()
    for i, brand in enumerate(brands):
        if brand.name in seen:
            raise ValueError(f"brands.{i}.name: brand name {brand.name!r} is used twice; names must be unique")
        seen.add(brand.name)


def _check_brand_channels(i: int, brand: BrandSpec, channels: dict[str, ChannelSpec]) -> None:
    known = sorted(channels)
    s = brand.strategy
    refs = [(f"brands.{i}.channels.{c}", c) for c in brand.channels]
    refs += [(f"brands.{i}.strategy.paid_media.{j}.channel", m.channel) for j, m in enumerate(s.paid_media)]
    refs += [(f"brands.{i}.strategy.search_ads.{j}.channel", m.channel) for j, m in enumerate(s.search_ads)]
    refs += [(f"brands.{i}.strategy.kols.{j}.platform", k.platform) for j, k in enumerate(s.kols)]
    refs += [(f"brands.{i}.strategy.promotions.{j}.channels", c) for j, p in enumerate(s.promotions) for c in p.channels]
    for where, key in refs:
        if key not in channels:
            raise ValueError(f"{where}: unknown channel {key!r}; defined channels: {', '.join(known)}")
    for c in brand.channels:
        if channels[c].role == "livestream":
            raise ValueError(f"brands.{i}.channels.{c}: {c!r} is a livestream channel; a brand sells there only in its "
                             "sessions (strategy.livestreams), not every day: remove it from the brand's channels")
        if not channels[c].transacts:
            raise ValueError(f"brands.{i}.channels.{c}: channel {c!r} does not transact (seeding only); list the brand on a transacting channel")


def _check_responses(i: int, brand: BrandSpec, brands: list[BrandSpec], channels: dict[str, ChannelSpec]) -> None:
    others = [b.name for b in brands if b.name != brand.name]
    for j, rule in enumerate(brand.strategy.responses):
        where = f"brands.{i}.strategy.responses.{j}"
        for part in ("trigger", "action"):
            key = getattr(rule, part).channel
            if key not in channels:
                raise ValueError(f"{where}.{part}.channel: unknown channel {key!r}; defined channels: {', '.join(sorted(channels))}")
        rival = rule.trigger.rival
        if rival is not None and rival not in others:
            raise ValueError(f"{where}.trigger.rival: {rival!r} is not another brand of this scenario; "
                             f"other brands: {', '.join(others) or 'none'}")
        act = rule.action
        if act.kind != "bid_search_ads" and act.channel not in brand.channels:
            raise ValueError(f"{where}.action.channel: brand {brand.name!r} does not sell on {act.channel!r}; "
                             f"it sells on: {', '.join(brand.channels)}")
        if act.kind == "bid_search_ads" and not channels[act.channel].open_search:
            raise ValueError(f"{where}.action.channel: {act.channel!r} has no open search page to bid on "
                             f"(channels.{act.channel}.open_search is false)")


def _check_livestreams(i: int, brand: BrandSpec, channels: dict[str, ChannelSpec], sim: Simulation) -> None:
    first = sim.start_date
    last = first + dt.timedelta(days=sim.days - 1)
    for j, session in enumerate(brand.strategy.livestreams):
        where = f"brands.{i}.strategy.livestreams.{j}"
        key = session.channel
        if key not in channels:
            raise ValueError(f"{where}.channel: unknown channel {key!r}; defined channels: {', '.join(sorted(channels))}")
        if channels[key].role != "livestream":
            live = [k for k, c in channels.items() if c.role == "livestream"]
            raise ValueError(f"{where}.channel: {key!r} is not a livestream channel (its role is {channels[key].role}); "
                             f"livestream channels: {', '.join(live) or 'none (add one with role: livestream)'}")
        if not first <= session.date <= last:
            raise ValueError(f"{where}.date: {session.date} is outside the run ({first} to {last})")


def partner_count_problems(brand: BrandSpec, population: int, market_size: int | None = None) -> list[str]:
    """``path: message`` lines (relative to the brand) for partners the population cannot hold.

    Every KOL / KOC is placed at a consumer of the social graph (a KOC's audience starts
    with her own contacts) and every group leader is a consumer, so a brand can have at
    most ``population`` of each. Also used for scheduled changes, which can raise counts.
    """
    problems, before = [], 0
    for j, program in enumerate(brand.strategy.kols):
        if before + program.count > population:  # report the program that overflows, not every later one
            earlier = f" and its earlier programs already have {before}" if before else ""
            problems.append(f"strategy.kols.{j}.count: got {program.count}; must be ≤ {population - before}: "
                            f"each KOL/KOC is placed at one consumer, so a brand has at most world.population = "
                            f"{population} in all{earlier}; lower the count or raise world.population")
            break
        before += program.count
    policy = brand.strategy.group_leaders
    leaders = policy.leaders_at_start(market_size or population, population)
    if leaders > population and not policy.market_coverage:
        problems.append(f"strategy.group_leaders.initial: got {leaders}; must be ≤ {population}: every group "
                        f"leader is a consumer (world.population = {population}); lower it or raise world.population")
    elif leaders > population:
        problems.append(f"strategy.group_leaders.market_coverage: got {policy.market_coverage:g}, which gives {leaders} "
                        f"leaders in all; they must be ≤ {population}: every group leader is a consumer "
                        f"(world.population = {population}); lower it or raise world.population")
    return problems
