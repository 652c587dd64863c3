"""What the dashboard says, in English and Chinese (workshops run in either).

One table, :data:`TEXT`, of every phrase the page and its charts show, each as an
``(English, 中文)`` pair; :func:`say` picks one and fills in its ``{fields}``. Lever
labels come from the lever catalogue (:class:`~sim.dashboard.levers.Lever` ``label`` /
``label_zh``), channel names from :func:`sim.market.channels.channel_name`.

Examples
--------
>>> say("day_of", "zh", day=7, days=365)
'第 7 天 / 共 365 天'
>>> say("step", "en")
'Step'
"""

from __future__ import annotations

from typing import Literal, get_args

from ..errors import SocsimError

__all__ = ["Lang", "LANGS", "TEXT", "say", "check_lang"]

Lang = Literal["en", "zh"]
#: Languages of the page, in the order of the switch.
LANGS: tuple[str, ...] = get_args(Lang)

TEXT: dict[str, tuple[str, str]] = {
    # top bar and controls
    "title": ("socsim workshop — {scenario}", "socsim 工作坊 — {scenario}"),
    "day_of": ("day {day} of {days}", "第 {day} 天 / 共 {days} 天"),
    "step": ("Step", "前进"),
    "run": ("▶ Run", "▶ 连续运行"),
    "pause": ("❚❚ Pause", "❚❚ 暂停"),
    "reset": ("Reset", "重置"),
    "days_per_step": ("Days per Step", "每步天数"),
    "seed": ("Seed (at Reset)", "随机种子 (重置时生效)"),
    "side_by_side": ("A vs B (at Reset)", "A/B 对比 (重置时生效)"),
    "language": ("中文", "English"),
    # levers
    "levers_of": ("Levers of {brand}", "{brand} 的策略杠杆"),
    "editing": ("Editing strategy {arm}; both share seed {seed}.", "正在编辑策略 {arm}；两者使用同一种子 {seed}。"),
    "back_to_scenario": ("Back to the scenario's values", "恢复情景原值"),
    "levers_act": ("Levers act at once: on day 0 from the start, later from that day on.",
                   "杠杆立即生效：第 0 天起从头生效，之后从当天起生效。"),
    "lever_note": ("{arm}: {lever} = {value} from day {day}", "{arm}：{lever} = {value}，自第 {day} 天起"),
    "levers_back": ("{arm}: levers back to the scenario's values from day {day}",
                    "{arm}：杠杆自第 {day} 天起恢复情景原值"),
    "repeat": ("Repeat from day 0 on the command line", "在命令行从第 0 天重跑"),
    "changes": ("Lever changes during the run", "运行中的杠杆调整"),
    "change_line": ("{arm}, day {day} ({date}): {lever} → {value}", "{arm}，第 {day} 天 ({date})：{lever} → {value}"),
    "strategy": ("Strategy {arm}", "策略 {arm}"),
    "on": ("on", "开"),
    "off": ("off", "关"),
    # parity choices
    "parity.none": ("none: each channel its own price", "不控价：各渠道自定价"),
    "parity.strict": ("strict: WeChat matches Tmall", "严格同价：微信跟随天猫"),
    "parity.floor": ("floor: Tmall never below WeChat", "底价：天猫不低于微信"),
    # chart titles (HTML, above each chart)
    "chart.funnel": ("AIPL funnel of {brand} (people)", "{brand} 的 AIPL 漏斗 (人)"),
    "chart.orders": ("Orders a day by channel (7-day mean)", "各渠道日订单 (7 日均值)"),
    "chart.profit": ("Contribution by channel, cumulative (¥, after fees and marketing)", "各渠道累计贡献利润 (¥，扣除平台费用和营销费用)"),
    "chart.spillover": ("Spill-over: WeChat-seeded orders closed on Tmall", "溢出：微信种草、天猫成交的订单占比"),
    "chart.leaders": ("Active group leaders; WeChat − Tmall price gap", "活跃团长；微信 − 天猫价差"),
    "chart.ego": ("Consumer {ego}: {shown} of {degree} contacts by Dunbar ring", "消费者 {ego}：{degree} 位联系人中的 {shown} 位 (邓巴圈层)"),
    # inside the charts
    "press_step": ("day 0 — press Step or ▶", "第 0 天 — 请按“前进”或 ▶"),
    "stage.aware": ("Aware", "认知"),
    "stage.interested": ("Interested", "兴趣"),
    "stage.purchased": ("Purchased", "购买"),
    "stage.loyal": ("Loyal", "忠诚"),
    "stage.none": ("not aware", "未认知"),
    "follower": ("follower", "私域粉丝"),
    "spill_share": ("share ({orders} orders)", "占比 ({orders} 单)"),
    "practitioners": ("practitioners: at least half", "业内经验：至少一半"),
    "active_leaders": ("active leaders", "活跃团长"),
    "price_gap": ("price gap (¥, right)", "价差 (¥，右轴)"),
    "livestream": ("livestream day", "直播日"),
    "ring.intimate": ("intimate", "亲密"),
    "ring.close": ("close", "密友"),
    "ring.friends": ("friends", "朋友"),
    "ring.acquaintances": ("acquaintances", "熟人"),
    # KPI table
    "kpis": ("KPIs so far", "至今 KPI"),
    "kpi.revenue": ("Revenue", "营收"),
    "kpi.gross_profit": ("Gross profit (revenue − COGS)", "毛利 (营收 − 商品成本)"),
    "kpi.marketing_spend": ("Marketing spend", "营销费用"),
    "kpi.contribution": ("Contribution (after fees and marketing)", "贡献利润 (扣除平台费用和营销费用)"),
    "kpi.roi": ("ROI (contribution / spend)", "ROI (贡献利润/营销费用)"),
    "kpi.order_share": ("Order share", "订单份额"),
    "kpi.orders": ("Orders", "订单"),
    "kpi.orders_on": ("Orders on {channel}", "{channel} 订单"),
    "kpi.spillover_share": ("Spill-over share", "溢出占比"),
    "kpi.private_domain": ("Private domain", "私域人数"),
    "kpi.active_leaders": ("Active group leaders", "活跃团长"),
    "kpi.rival_price": ("{rival} price on {channel} today", "{rival} 今日 {channel} 价格"),
    "kpi.rival_moves": ("{rival}: competitor responses so far", "{rival}：至今竞争应对次数"),
}


def say(key: str, lang: str = "en", **fields: object) -> str:
    """The phrase ``key`` in ``lang`` ("en" or "zh"), its ``{fields}`` filled in."""
    english, chinese = TEXT[key]
    return (chinese if lang == "zh" else english).format(**fields)


def check_lang(lang: str) -> str:
    """``lang`` if the dashboard speaks it, else SocsimError naming the choices."""
    if lang not in LANGS:
        raise SocsimError(f"--lang {lang}: allowed: {' | '.join(LANGS)}")
    return lang
