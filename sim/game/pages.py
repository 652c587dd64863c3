"""Words (zh/en) and HTML pieces shared by the game's pages and its debrief."""

from __future__ import annotations

import html
from typing import Any, Literal, Sequence

from ..dashboard.levers import Lever
from ..fonts import WEB_FAMILY

__all__ = ["Lang", "LANGS", "WORDS", "esc", "table", "money", "lever_label", "CSS", "document", "percent", "value_text", "FONT_LINK"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

WORDS: dict[str, dict[str, str]] = {
    "zh": {
        "game": "课堂对抗", "round": "第 {n} 轮", "rounds": "轮次", "team": "团队", "profit": "贡献利润 (¥)", "gross_profit": "毛利 (¥)",
        "revenue": "营收 (¥)", "share": "营收份额", "spend": "营销花费 (¥)", "orders": "订单",
        "cumulative": "累计贡献利润 (¥)", "leaderboard": "排行榜", "decisions": "本轮决策", "submit": "提交决策",
        "budget": "每轮预算", "planned": "计划花费", "state_open": "开放提交", "state_closed": "已截止",
        "state_running": "模拟中", "state_played": "已完成", "state_none": "尚未开放", "paused": "已暂停",
        "your_results": "你的结果", "rivals": "竞争对手公开信息 (价格与促销)", "price_paid": "成交均价",
        "promotion": "促销", "funnel": "AIPL 漏斗 (轮末, 人)", "private_domain": "私域粉丝", "leaders": "活跃团长",
        "parity_gap": "平均价差 (微信 − 天猫, ¥)", "channel": "渠道", "channel_share": "渠道内份额",
        "open": "开放本轮", "close": "截止提交", "run": "运行本轮", "undo": "撤销上一轮", "pause": "暂停",
        "resume": "继续", "debrief": "复盘报告", "submitted": "已提交", "carried": "沿用上轮",
        "saved": "已保存", "error": "错误", "over": "游戏结束", "join": "输入团队代码加入", "code": "代码",
        "lever": "杠杆", "value": "取值", "what_if": "假如…… (同一随机数重放)", "as_played": "实际",
        "changed": "改动后", "difference": "差值", "key_decisions": "关键决策", "charts": "逐轮图表",
        "links": "团队链接 (只发给对应团队)", "log": "记录", "days": "天", "none": "无",
        "debrief_title": "复盘: {name}", "facts": "{teams} 支团队, {rounds} 轮 × {days} 天, {population} 名消费者, 种子 {seed}。"
                                               "每轮所有品牌在同一市场、同一随机数上竞争。",
        "what_if_text": "第 {n} 轮, {team} 改为: {change}。其他团队的决策和所有随机数不变, 差别只来自这一改动。",
        "profit_per_round": "每轮贡献利润", "share_per_round": "每轮营收份额", "price_per_round": "天猫成交均价",
        "buyers_per_round": "已购人数 (轮末)", "by_channel": "{team}: 各渠道营收", "waiting": "等待讲师开放下一轮",
        "refresh": "刷新", "research": "市场调研 (已购买)", "research_cost": "调研费用 (¥)", "buyers": "已购人数",
    },
    "en": {
        "game": "Classroom game", "round": "Round {n}", "rounds": "round", "team": "Team", "profit": "Contribution (¥)", "gross_profit": "Gross profit (¥)",
        "revenue": "Revenue (¥)", "share": "Revenue share", "spend": "Marketing spend (¥)", "orders": "Orders",
        "cumulative": "Cumulative contribution (¥)", "leaderboard": "Leaderboard", "decisions": "This round's decisions",
        "submit": "Submit decisions", "budget": "Budget per round", "planned": "Planned spend",
        "state_open": "open for decisions", "state_closed": "closed", "state_running": "simulating",
        "state_played": "played", "state_none": "not open yet", "paused": "paused", "your_results": "Your results",
        "rivals": "Rivals, public information (prices and promotions)", "price_paid": "mean price paid",
        "promotion": "Promotion", "funnel": "AIPL funnel (end of round, people)", "private_domain": "Private-domain followers",
        "leaders": "Active group leaders", "parity_gap": "Mean price gap (WeChat − Tmall, ¥)", "channel": "Channel",
        "channel_share": "share of the channel", "open": "Open round", "close": "Close submissions", "run": "Run round",
        "undo": "Undo last round", "pause": "Pause", "resume": "Resume", "debrief": "Debrief", "submitted": "submitted",
        "carried": "carried over", "saved": "Saved", "error": "Error", "over": "Game over", "join": "Join with your team code",
        "code": "code", "lever": "Lever", "value": "Value", "what_if": "What if… (replayed on the same random numbers)",
        "as_played": "as played", "changed": "changed", "difference": "difference", "key_decisions": "Key decisions",
        "charts": "Round by round", "links": "Team links (give each only to its team)", "log": "Log", "days": "days",
        "none": "none", "debrief_title": "Debrief: {name}",
        "facts": "{teams} teams, {rounds} rounds × {days} days, {population} consumers, seed {seed}. Every round, all "
                 "brands compete in one market on the same random numbers.",
        "what_if_text": "Round {n}, {team} changed to: {change}. Every other decision and every random number are "
                        "the same, so the difference is this change's alone.",
        "profit_per_round": "Contribution per round", "share_per_round": "Revenue share per round",
        "price_per_round": "Mean price paid on Tmall", "buyers_per_round": "Purchased (end of round)",
        "by_channel": "{team}: revenue by channel", "waiting": "Waiting for the instructor to open the next round",
        "refresh": "Refresh", "research": "Market research (bought)", "research_cost": "Research (¥)",
        "buyers": "Purchased (people)",
    },
}


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def lever_label(lever: Lever, lang: Lang) -> str:
    return (lever.label_zh or lever.label) if lang == "zh" else lever.label


def money(x: float) -> str:
    """¥ with thousands separators (whole yuan)."""
    if x != x:
        return "–"
    return f"-¥{-x:,.0f}" if x < 0 else f"¥{x:,.0f}"


def percent(x: float) -> str:
    return f"{x:.1%}" if x == x else "–"


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric_from: int = 1) -> str:
    """An escaped HTML table; columns from ``numeric_from`` on are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td{' class=num' if i >= numeric_from else ''}>{esc(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = (f"body{{font-family:'{WEB_FAMILY}',-apple-system,"
       "'Segoe UI',Roboto,'Noto Sans','Noto Sans CJK SC','PingFang SC','Microsoft YaHei',"
       "sans-serif;max-width:1100px;margin:1.5rem auto;padding:0 1rem;color:#1d2330}table{border-collapse:collapse;"
       "margin:.5rem 0 1.2rem}th,td{padding:.3rem .6rem;border-bottom:1px solid #e3e6ec;text-align:left}"
       "th{background:#f5f7fa}td.num{text-align:right}img{max-width:100%}.muted{color:#667085}.ok{color:#067647}"
       ".bad{color:#b42318}h2{border-bottom:2px solid #e3e6ec;padding-bottom:.2rem;margin-top:1.6rem}"
       "form.inline{display:inline}button,input,select{font-family:inherit}button{margin:.2rem;padding:.35rem .8rem}label{display:block;margin:.4rem 0}"
       "input[type=number]{width:8rem}.bar{display:flex;gap:1rem;align-items:center;flex-wrap:wrap}")


def document(title: str, body: str, lang: Lang, head: str = "", fonts: str = "") -> str:
    """A whole page: ``body`` is HTML already escaped where needed."""
    return (f"<!DOCTYPE html><html lang='{'zh-CN' if lang == 'zh' else 'en'}'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'><meta name='referrer' content='no-referrer'>"
            f"<title>{esc(title)}</title>{head}<style>{fonts}{CSS}</style></head><body>{body}</body></html>")


#: Link to the server's font subset (pages served live; the debrief embeds its own).
FONT_LINK = "<link rel='stylesheet' href='/fonts.css'>"
