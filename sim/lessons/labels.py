"""The words of a handout in Chinese and English: section titles, KPI and series names.

English KPI and series names come from :mod:`sim.experiments.tables` (one place decides
how a KPI is called in every report); this module adds their Chinese names and the
handout's own words, and builds the :class:`~sim.plots.experiments.Wording` of the plots.
"""

from __future__ import annotations

from sim.experiments import tables
from sim.experiments.design import Design
from sim.plots.experiments import ENGLISH, Wording
from sim.experiments.stats import LEVEL

from .spec import Lang, Lesson

__all__ = ["WORDS", "metric_label", "series_label", "plot_wording"]

#: The handout's own words, per language.
WORDS: dict[Lang, dict[str, str]] = {
    "zh": {
        "question": "问题", "mechanism": "模型里的机制", "compared": "比较了什么", "numbers": "结果与置信区间",
        "claim": "本课的结论", "plots": "图表", "kpis": "各方案的关键指标", "differences": "与参照方案的配对差异",
        "daily": "逐日走势", "teaches": "这说明什么", "discussion": "讨论题", "try_next": "下一步可以试的参数",
        "variant": "方案", "what": "做法", "changes": "对场景的改动", "reference": "参照",
        "mean": "均值", "ci": f"{LEVEL:.0%} 置信区间", "diff": "与参照之差", "diff_ci": f"差的 {LEVEL:.0%} 置信区间",
        "rel": "相对差", "p": "p 值", "n": "重复次数", "holds": "成立", "fails": "在本规模下未显示",
        "higher": "高于", "lower": "低于", "expect": "预期",
        "verdict": "结论：{held} / {total} 条论断在本规模下成立", "handout": "讲义：",
        "how_to_read": ("每个方案用同一组随机种子各跑 {reps} 次（公共随机数），因此每个方案都与参照方案 “{first}” "
                        "逐次配对比较：差值是配对差的均值，区间是学生 t 分布的 {level} 置信区间。区间不含 0（✔）"
                        "说明差异不太可能来自模拟的随机波动。"),
        "facts": "{population} 个消费者代理（代表 {market} 名真实消费者）· {days} 天 · 每个方案 {reps} 次重复 · "
                 "种子 {seed0}–{seed1} · 模拟共计 {seconds:.0f} 秒（各次运行之和）",
        "sources": "出处", "reproduce": "重现",
        "reproduce_text": "同样的结果可以用 {cmd} 重现；完整实验（更多方案、更多重复）：{cmd2}。",
        "footer": "课程 {name} · 每个方案 {reps} 次重复（公共随机数）· 误差线：{level} 置信区间",
        "bars_title": f"各方案的关键指标：重复均值与 {LEVEL:.0%} 置信区间",
        "diff_title": f"差异是真的吗？各方案减去“{{first}}”，按重复配对，{LEVEL:.0%} 置信区间（不碰虚线即为显著）",
        "diff_axis": "与“{first}”之差", "daily_title": f"逐日走势：重复均值，阴影为 {LEVEL:.0%} 置信区间",
        "per_week": "（每周）", "last_days": "近 7 天", "no_values": "无数据",
    },
    "en": {
        "question": "The question", "mechanism": "How the model produces it", "compared": "What was compared",
        "numbers": "The numbers, with intervals", "claim": "What the lesson claims", "plots": "Plots",
        "kpis": "KPIs per variant", "differences": "Paired differences to the reference", "daily": "Day by day",
        "teaches": "What it teaches", "discussion": "Discussion questions", "try_next": "Parameters to try next",
        "variant": "variant", "what": "what it is", "changes": "changes to the scenario", "reference": "reference",
        "mean": "mean", "ci": f"{LEVEL:.0%} CI", "diff": "Δ vs reference", "diff_ci": f"Δ {LEVEL:.0%} CI",
        "rel": "Δ %", "p": "p", "n": "n", "holds": "holds", "fails": "not shown at this size",
        "higher": "higher than", "lower": "lower than", "expect": "expect",
        "verdict": "Verdict: {held} of {total} claims hold at this size", "handout": "handout: ",
        "how_to_read": ("Every variant ran the same {reps} replications with the same seeds (common random numbers), "
                        "so each is compared with the reference “{first}” replication by replication: Δ is the mean "
                        "paired difference, with its {level} confidence interval (Student's t). An interval that "
                        "excludes zero (✔) is unlikely to be noise of the simulation."),
        "facts": "{population} consumer agents (standing for {market} real consumers) · {days} days · {reps} "
                 "replications per variant · seeds {seed0}–{seed1} · {seconds:.0f} s of simulation (all runs together)",
        "sources": "Sources", "reproduce": "Reproduce",
        "reproduce_text": "Reproduce these numbers with {cmd}; the full experiment (all variants, more replications): {cmd2}.",
        "footer": "lesson {name} · {reps} replications per variant (common random numbers) · error bars: {level} CI",
        "bars_title": ENGLISH.bars_title, "diff_title": ENGLISH.diff_title, "diff_axis": ENGLISH.diff_axis,
        "daily_title": ENGLISH.daily_title, "per_week": ENGLISH.per_week, "last_days": ENGLISH.last_days,
        "no_values": ENGLISH.no_values,
    },
}

#: Chinese names of the KPIs (keys of :func:`sim.metrics.brand_kpis`, stages and spend fields).
_ZH_KPI = {
    "traffic": "流量（访问）", "orders": "订单数", "units": "件数", "revenue": "营收（¥）", "cogs": "商品成本（¥）",
    "platform_fees": "平台费用（¥）", "gross_profit": "毛利（营收 − 商品成本，¥）", "buyers": "购买人数",
    "marketing_spend": "营销费用（¥）", "contribution": "贡献利润（扣除平台费用和营销费用，¥）",
    "margin_per_order": "单均边际利润（¥）", "order_share": "订单份额", "revenue_share": "营收份额",
    "roi": "ROI（贡献利润 ÷ 营销费用）", "cac": "获客成本（¥）",
    "repurchase_rate": "复购率", "conversion": "转化率", "aov": "客单价（¥）", "repurchase_multiplier": "复购倍数",
    "spillover_share": "微信种草在天猫成交的比例", "private_domain": "私域人数", "active_leaders": "活跃团长（期末）",
    "leaders_recruited": "累计招募团长", "shares": "分享次数（人·天）", "detractors": "贬损者（失望的买家）", "aware": "认知人数（A）", "interested": "种草人数（I）",
    "purchased": "购买人数（P）", "loyal": "忠诚人数（L）", "parity_gap": "微信 − 天猫价差（¥）",
    "coupons": "优惠券（¥）", "gifts": "赠品成本（¥）", "referral_commission": "分佣支出（¥）",
    "leader_commission": "团长佣金（¥）", "kol_commission": "KOL 佣金（¥）", "ad_spend": "广告费（¥）",
    "kol_fees": "KOL 坑位费（¥）", "content_cost": "内容制作费（¥）",
}
_EN_GROUPS = {"aipl": "{} (people, AIPL)", "spend": "{} (¥)"}
_ZH_CHANNEL = {"tmall": "天猫", "wechat": "微信", "douyin": "抖音", "jd": "京东"}
_ZH_BRAND = {"focal": "本品牌", "rival": "竞品"}


def _zh(parts: list[str]) -> str:
    """Chinese name of a KPI or series path without the brand."""
    if parts[0] == "channels" and len(parts) == 3:
        parts = parts[1:]
    if parts[0] in ("aipl", "spend") and len(parts) == 2:
        parts = parts[1:]
    if len(parts) == 2 and parts[0] == "price":
        return f"{_ZH_CHANNEL.get(parts[1], parts[1])}价格（¥）"
    if len(parts) == 2:
        return f"{_ZH_CHANNEL.get(parts[0], parts[0])}{_ZH_KPI.get(parts[1], parts[1])}"
    return _ZH_KPI.get(parts[0], parts[0].replace("_", " "))


def metric_label(metric: str, lang: Lang) -> str:
    """``focal.channels.wechat.orders`` → ``微信订单数 · 本品牌`` (zh) or ``WeChat orders · focal`` (en)."""
    brand, *rest = metric.split(".")
    if lang == "en" and len(rest) == 2 and rest[0] in _EN_GROUPS:
        return _EN_GROUPS[rest[0]].format(rest[1].replace("_", " ").capitalize()) + f" · {brand}"
    if lang == "en":
        return tables.metric_label(metric)
    return f"{_zh(rest)} · {_ZH_BRAND.get(brand, brand)}"


def series_label(series: str, lang: Lang) -> str:
    """``focal.wechat.orders`` → ``微信订单数 · 本品牌`` (zh) or ``WeChat orders · focal`` (en)."""
    if lang == "en":
        return tables.series_label(series)
    brand, *rest = series.split(".")
    return f"{_zh(rest)} · {_ZH_BRAND.get(brand, brand)}"


def plot_wording(lesson: Lesson, lang: Lang) -> Wording:
    """The words of the lesson's plots in ``lang``: KPI, series and variant names, titles, footer."""
    w = WORDS[lang]

    def footer(design: Design) -> str:
        return w["footer"].format(name=lesson.name, reps=design.replications, level=f"{LEVEL:.0%}")

    return Wording(
        metric=lambda m: metric_label(m, lang), series=lambda s: series_label(s, lang),
        variant=lambda v: lesson.label(v, lang), footer=footer, bars_title=w["bars_title"], diff_title=w["diff_title"],
        diff_axis=w["diff_axis"], daily_title=w["daily_title"], per_week=w["per_week"], last_days=w["last_days"],
        no_values=w["no_values"],
    )

