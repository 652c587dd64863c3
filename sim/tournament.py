"""A strategy tournament for a workshop (``socsim tournament TEAMS_DIR``).

Each team hands in one small YAML file: its name and one brand (product, channels with
prices, strategy), validated as :class:`TeamEntry`. All teams' brands then compete in
one market — the same consumers on the same social graph, those of a base scenario
(default: the bundled baseline) — over replications with common random numbers:
replication r runs with seed ``seed + r`` (seed r by default), so every team meets the
same luck in each replication and differences between teams are the strategies'.

The base scenario's own brands are **replaced** by the teams' brands (default), or
**kept** as house brands (``house="keep"``): they compete too and are shown on the
leaderboard, unranked. A team file with mistakes is reported by team and field
(``file:line: brand.strategy.parity: ...``) and left out; the other teams still play.

Scores per brand, each with a 95 % t-interval across replications
(:func:`sim.experiments.stats.mean_ci`):

* contribution — gross profit (revenue − cost of goods) less platform fees and all
  marketing: coupons, commissions and spend (¥; docs/KPIS.md);
* share — the brand's revenue / the whole market's revenue in that replication;
* ROI — contribution / marketing spend.

Teams are ranked by mean contribution (ties: share, then name).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Literal, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .config.loader import Document, apply_brand_changes, load_model, read_document, read_text, validation_problems
from .config.overrides import did_you_mean
from .config.schema import BrandSpec, Scenario
from .errors import Problem, ScenarioError, SocsimError
from .files import confined, csv_cell, writing
from .experiments.design import RunKey, Task
from .experiments.executors import ExecutionPlan, open_executor
from .experiments.runner import execute
from .experiments.stats import LEVEL, Interval, mean_ci, paired_difference
from .experiments.verdict import difference_text, mean_ci_text
from .experiments.worker import RunRecord
from .market.channels import channel_name
from .population import Stage

__all__ = ["TeamEntry", "Team", "Rejected", "Roster", "Standing", "RoundResult", "HouseMode", "read_teams",
           "round_scenario", "play", "standings", "describe", "verdict", "write_round", "default_folder", "leaderboard_rows",
           "TournamentError"]

HouseMode = Literal["replace", "keep"]


class TournamentError(SocsimError):
    """A round cannot be played (no valid team, nothing to read)."""


class TeamEntry(BaseModel):
    """One team's strategy file: a team name and one brand (a scenario's ``brands`` item)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    team: str = Field(min_length=1, max_length=60, description="team name shown on the leaderboard")
    brand: BrandSpec = Field(description="the team's brand: name, product, channels with prices, strategy "
                                         "(as in a scenario's brands list; see docs/SCENARIO.md)")
    notes: str = Field("", max_length=500, description="the strategy in a sentence or two, shown on the results page")


@dataclass(frozen=True)
class Team:
    """A valid team file."""

    team: str
    file: Path
    entry: TeamEntry

    @property
    def brand(self) -> str:
        return self.entry.brand.name


@dataclass(frozen=True)
class Rejected:
    """A team file left out of the round, with every problem found in it."""

    team: str
    file: Path
    problems: tuple[Problem, ...]

    def lines(self) -> list[str]:
        """``team X: file:line: path: message``, one per problem."""
        return [f"team {self.team}: {p.render(str(self.file))}" for p in self.problems]


@dataclass(frozen=True)
class Roster:
    """The teams that play and the files that were left out."""

    teams: tuple[Team, ...]
    rejected: tuple[Rejected, ...]


# --------------------------------------------------------------------------- reading team files
def _team_name(path: Path) -> str:
    """The team's name as written, for reporting a file that does not validate (else the file name).

    A file that is not even valid YAML is searched for a ``team:`` line.
    """
    try:
        name = read_document(path).data.get("team")
    except ScenarioError:
        try:
            text = read_text(path)
        except ScenarioError:
            return path.stem
        found = re.search(r"^team:[ \t]*[\"']?([^\"'#\n]+?)[\"']?[ \t]*(?:#.*)?$", text, re.M)
        name = found.group(1) if found else None
    return str(name).strip() if isinstance(name, str | int) and str(name).strip() else path.stem


def _market_check(base: Scenario, taken: dict[str, str], teams: dict[str, str]):
    """A loader check: the brand fits the base market, its schedule is valid, names are free."""

    def check(doc: Document, entry: TeamEntry | None) -> list[Problem]:
        if entry is None:  # not valid on its own: still name the channels the market lacks
            return _unknown_channels(doc, base)
        problems = _fits_market(doc, base, entry.brand)
        for j, change in enumerate(entry.brand.strategy.schedule):
            try:
                apply_brand_changes(entry.brand, change.set)
            except ScenarioError as exc:
                where = ("brand", "strategy", "schedule", j, "set")
                problems += [Problem(f"brand.strategy.schedule.{j}.set.{p.path}", p.message, doc.line_of(where + (p.path,)))
                             for p in exc.problems]
        if entry.brand.name in taken:
            problems.append(Problem("brand.name", f"brand name {entry.brand.name!r} is taken by {taken[entry.brand.name]}; "
                                                  "choose another", doc.line_of(("brand", "name"))))
        if entry.team in teams:
            problems.append(Problem("team", f"team name {entry.team!r} is taken by {teams[entry.team]}; choose another",
                                    doc.line_of(("team",))))
        return problems

    return check


def _unknown_channels(doc: Document, base: Scenario) -> list[Problem]:
    brand = doc.data.get("brand") if isinstance(doc.data, dict) else None
    listed = brand.get("channels") if isinstance(brand, dict) else None
    known = sorted(base.channels)
    return [Problem(f"brand.channels.{key}", f"unknown channel {key!r}; the market's channels: {', '.join(known)}"
                    + did_you_mean(str(key), known), doc.line_of(("brand", "channels", key)))
            for key in (listed if isinstance(listed, dict) else {}) if key not in base.channels]


def _fits_market(doc: Document, base: Scenario, brand: BrandSpec) -> list[Problem]:
    """Problems of ``brand`` in the base market (channels it names must exist and transact)."""
    data = base.model_dump(mode="json", by_alias=True)
    data["brands"] = [brand.model_dump(mode="json", by_alias=True)]
    for rule in data["brands"][0]["strategy"]["responses"]:
        rule["trigger"]["rival"] = None  # rivals are other teams' brands: checked once all files are read
    try:
        Scenario.model_validate(data)
    except ValidationError as exc:
        out = []
        for p in validation_problems(exc, Scenario, data=data):
            parts = p.path.split(".")
            if parts[:1] != ["brands"]:
                out.append(Problem("brand", f"{p.path}: {p.message}", doc.line_of(("brand",))))
                continue
            rest = [q.split(" ")[0] for q in parts[2:]]  # "brands.0 (name).channels.jd" → channels.jd
            loc = ("brand", *(int(q) if q.isdigit() else q for q in rest))
            out.append(Problem(".".join(map(str, loc)), p.message, doc.line_of(loc)))
        return out
    return []


def read_teams(folder: str | Path, base: Scenario, house: HouseMode = "replace") -> Roster:
    """Read every ``*.yaml``/``*.yml`` team file in ``folder`` (sorted by file name).

    Parameters
    ----------
    folder : path-like
        The round's folder of team files.
    base : Scenario
        The market the brands must fit (its channels).
    house : {"replace", "keep"}, default "replace"
        With "keep", the base scenario's brand names are taken.

    Returns
    -------
    Roster
        Valid teams, and the rejected files with every problem (file, line, field); a
        symbolic link is rejected unread. A team
        or brand name already used by an earlier file (or a house brand) is a problem of
        the later file.

    Raises
    ------
    TournamentError
        ``folder`` is not a folder or holds no team files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise TournamentError(f"{folder}: not a folder; give the folder of team files (e.g. experiments/tournament_example)")
    files = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not files:
        raise TournamentError(f"{folder}: no team files (*.yaml) in it")
    taken = {b.name: "a house brand" for b in base.brands} if house == "keep" else {}
    names: dict[str, str] = {}
    teams, rejected = [], []
    for path in files:
        if path.is_symlink():  # a link could publish any file of this machine on the results page
            rejected.append(Rejected(path.stem, path, (Problem("", "is a symbolic link; a team file must be a file of its "
                                                                   "own in the folder (copy it in)"),)))
            continue
        try:
            entry = load_model(path, TeamEntry, checks=[_market_check(base, taken, names)])
        except ScenarioError as exc:
            rejected.append(Rejected(_team_name(path), path, tuple(exc.problems)))
            continue
        taken[entry.brand.name] = f"team {entry.team!r} ({path.name})"
        names[entry.team] = path.name
        teams.append(Team(entry.team, path, entry))
    return _without_unknown_rivals(teams, rejected, base, house)


def _without_unknown_rivals(teams: list[Team], rejected: list[Rejected], base: Scenario, house: HouseMode) -> Roster:
    """Reject the teams whose response rules watch a brand that is not in the market (a
    rejection can strand another team's rule, so until none is left)."""
    while True:
        brands = {t.entry.brand.name for t in teams} | ({b.name for b in base.brands} if house == "keep" else set())
        stranded = {id(t): problems for t in teams if (problems := _unknown_rivals(t, brands))}
        if not stranded:
            return Roster(tuple(teams), tuple(rejected))
        rejected += [Rejected(t.team, t.file, tuple(stranded[id(t)])) for t in teams if id(t) in stranded]
        teams = [t for t in teams if id(t) not in stranded]


def _unknown_rivals(team: Team, brands: set[str]) -> list[Problem]:
    own, problems = team.entry.brand.name, []
    doc = read_document(team.file)
    for j, rule in enumerate(team.entry.brand.strategy.responses):
        rival = rule.trigger.rival
        if rival is not None and (rival == own or rival not in brands):
            where = ("brand", "strategy", "responses", j, "trigger", "rival")
            others = ", ".join(sorted(brands - {own})) or "none"
            problems.append(Problem(".".join(map(str, where)), f"{rival!r} is not another brand in this market; "
                                    f"brands: {others}", doc.line_of(where)))
    return problems


def idle_double11_routing(scenario: Scenario, roster: Roster) -> list[str]:
    """Teams whose Double 11 routing cannot act because the simulated days hold no Double 11
    window (e.g. ``--days 180`` from January 1), so the room is told before it reads the board."""
    from .market.channels import build_calendar

    if build_calendar(scenario).double11_window.any():
        return []
    return [t.team for t in roster.teams if t.entry.brand.strategy.double11_routing.enabled]


def round_scenario(base: Scenario, roster: Roster, house: HouseMode = "replace") -> Scenario:
    """The market of the round: the base scenario with the teams' brands (after house brands if kept).

    Raises
    ------
    TournamentError
        No team can play.
    """
    if not roster.teams:
        raise TournamentError("no team file is valid, so there is no round to play; fix the files reported above")
    data = base.model_dump(mode="json", by_alias=True)
    house_brands = data["brands"] if house == "keep" else []
    data["brands"] = [*house_brands, *(t.entry.brand.model_dump(mode="json", by_alias=True) for t in roster.teams)]
    data["name"] = f"{base.name}-tournament"
    return Scenario.model_validate(data)


# --------------------------------------------------------------------------- playing and scoring
@dataclass(frozen=True)
class Standing:
    """One brand's results over the replications.

    Attributes
    ----------
    rank : int or None
        1 = most contribution; None for a house brand.
    team, brand : str
    house : bool
    contribution, share, roi, revenue, spend : Interval
        Mean with its t-interval across replications (spend: marketing spend, ¥).
    aipl : dict[str, float]
        Mean end-of-run AIPL stocks (people), stage → value.
    channel_revenue : dict[str, float]
        Mean revenue per channel (¥).
    contributions : tuple of float
        Profit in each replication (seed order).
    """

    rank: int | None
    team: str
    brand: str
    house: bool
    contribution: Interval
    share: Interval
    roi: Interval
    revenue: Interval
    spend: Interval
    aipl: dict[str, float]
    channel_revenue: dict[str, float]
    contributions: tuple[float, ...]


@dataclass(frozen=True)
class RoundResult:
    """A played round: the market, its seeds, each brand's standing (ranked teams first)."""

    scenario: Scenario
    roster: Roster
    house: HouseMode
    seeds: tuple[int, ...]
    standings: tuple[Standing, ...]
    records: tuple[RunRecord, ...]


def _digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:12]


def play(base: Scenario, roster: Roster, reps: int = 5, seed: int = 0, house: HouseMode = "replace",
         plan: ExecutionPlan = ExecutionPlan(), progress: Callable[[int, int], None] | None = None) -> RoundResult:
    """Play the round: every replication of the one market, then score.

    Parameters
    ----------
    base : Scenario
    roster : Roster
        From :func:`read_teams`.
    reps : int, default 5
        Replications; replication r uses seed ``seed + r`` for every brand (common random numbers).
    seed : int, default 0
    house : {"replace", "keep"}
    plan : ExecutionPlan
        Where runs execute (default: a local process pool on all cores; workers=0: this process).
    progress : callable, optional
        ``progress(done, total)`` after each replication.

    Raises
    ------
    TournamentError
        ``reps`` < 2 (no interval) or no valid team.
    RunFailedError
        A replication failed.
    """
    if reps < 2:
        raise TournamentError(f"--reps {reps}: at least 2 replications are needed for an interval")
    scenario = round_scenario(base, roster, house)
    payload = scenario.model_dump(mode="json", by_alias=True)
    digest = _digest(payload)
    tasks = [Task(RunKey("round", 0, r), payload, seed + r, digest) for r in range(reps)]
    records: list[RunRecord] = []
    tick = progress or (lambda _done, _total: None)

    def on_record(record: RunRecord) -> None:
        records.append(record)
        tick(len(records), reps)

    with open_executor(plan, reps) as executor:
        execute(tasks, executor, on_record)
    records.sort(key=lambda r: r.key.rep)
    return RoundResult(scenario, roster, house, tuple(r.seed for r in records),
                       tuple(standings(scenario, roster, records)), tuple(records))


def standings(scenario: Scenario, roster: Roster, records: Sequence[RunRecord]) -> list[Standing]:
    """Each brand's standing from the replications' KPIs; ranked teams first, then house brands."""
    teams = {t.brand: t.team for t in roster.teams}
    names = [b.name for b in scenario.brands]
    revenue = [sum(r.kpis[f"{b}.revenue"] for b in names) for r in records]
    rows = []
    for spec in scenario.brands:
        b = spec.name

        def values(key: str) -> list[float]:
            return [r.kpis.get(f"{b}.{key}", float("nan")) for r in records]

        channels = [c for c in spec.channels if scenario.channels[c].transacts]
        rows.append(Standing(
            rank=None, team=teams.get(b, "house"), brand=b, house=b not in teams,
            contribution=mean_ci(values("contribution")), roi=mean_ci(values("roi")), revenue=mean_ci(values("revenue")),
            spend=mean_ci(values("marketing_spend")),
            share=mean_ci([x / total if total else float("nan") for x, total in zip(values("revenue"), revenue)]),
            aipl={s: mean_ci(values(f"aipl.{s}")).mean for s in Stage.NAMES},
            channel_revenue={c: mean_ci(values(f"channels.{c}.revenue")).mean for c in channels},
            contributions=tuple(values("contribution")),
        ))
    ranked = sorted((s for s in rows if not s.house), key=lambda s: (-s.contribution.mean, -s.share.mean, s.team))
    ranked = [Standing(**{**s.__dict__, "rank": i + 1}) for i, s in enumerate(ranked)]
    return ranked + [s for s in rows if s.house]


def describe(result: RoundResult) -> str:
    """One line: market, brands, replications and seeds."""
    sc, seeds = result.scenario, result.seeds
    return (f"{sc.name}: {len(result.roster.teams)} teams" + (" + house brands" if result.house == "keep" else "") +
            f", {sc.world.population:,} consumers, {sc.simulation.days} days from {sc.simulation.start_date:%Y-%m-%d}, "
            f"{len(seeds)} replications (seeds {seeds[0]}–{seeds[-1]}), {LEVEL:.0%} t-intervals")


def verdict(result: RoundResult) -> str:
    """One line first: the winner's contribution and its lead over the runner-up (paired by replication).

    ``Verdict: Team A wins on contribution with ¥12.30M ± ¥1.10M, ahead of Team B by +¥2.10M
    (95 % CI +¥0.90M to +¥3.30M), significant (p = 0.004).``
    """
    ranked = [s for s in result.standings if s.rank is not None]
    if not ranked:
        return "Verdict: no team played."
    win = ranked[0]
    text = f"Verdict: {win.team} wins on contribution with {mean_ci_text('contribution', win.contribution)}"
    if len(ranked) > 1:
        lead = paired_difference(win.contributions, ranked[1].contributions)
        text += f", ahead of {ranked[1].team} by {difference_text('contribution', lead)}"
    return text + "."


# --------------------------------------------------------------------------- results folder
_DPI = 110
_STAGE_COLOURS = ("#9ecae1", "#fdbf6f", "#fb6a4a", "#a50f15")
_CHANNEL_COLOURS = {"tmall": "#e4002b", "wechat": "#07a35a", "jd": "#7b2cbf"}


def default_folder(teams_dir: Path, outputs_dir: str = "results") -> Path:
    """``results/tournament-<folder name>-<time>``: a new folder each round."""
    return confined(outputs_dir, f"tournament-{Path(teams_dir).resolve().name}-{dt.datetime.now():%Y%m%d-%H%M%S}")


def _label(s: Standing) -> str:
    return f"{s.team} ({s.brand})" if not s.house else f"{s.brand} (house)"


def _money(x: float) -> str:
    for size, unit in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"¥{x / size:,.3g}{unit}"
    return f"¥{x:,.0f}"


def _count(x: float) -> str:
    return _money(x)[1:]


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _leaderboard_plot(result: RoundResult, path: Path) -> Path:
    rows = list(result.standings)[::-1]
    fig = _figure(8, 0.5 * len(rows) + 1.4)
    ax = fig.subplots()
    means = [s.contribution.mean for s in rows]
    errors = [[s.contribution.mean - s.contribution.low for s in rows], [s.contribution.high - s.contribution.mean for s in rows]]
    ax.barh(range(len(rows)), means, xerr=errors, capsize=4, color=["#bdbdbd" if s.house else "#3b75af" for s in rows])
    ax.set_yticks(range(len(rows)), [_label(s) for s in rows])
    ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(lambda x, _p: _money(x))
    ax.set_title(f"Profit per brand, mean and {LEVEL:.0%} interval over {len(result.seeds)} replications", loc="left")
    fig.savefig(path)
    return path


def _funnel_plot(result: RoundResult, path: Path) -> Path:
    """One funnel per brand: end-of-run AIPL stocks as centred bars, with stage-to-stage conversion."""
    rows = list(result.standings)
    cols = min(3, len(rows))
    fig = _figure(3.4 * cols, 2.5 * ((len(rows) + cols - 1) // cols) + 0.4)
    axes = fig.subplots((len(rows) + cols - 1) // cols, cols, squeeze=False).ravel()
    top = max(max(s.aipl.values()) for s in rows) or 1.0
    for ax, s in zip(axes, rows):
        values = [s.aipl[k] for k in Stage.NAMES]
        ax.barh(range(4)[::-1], values, left=[-v / 2 for v in values], color=_STAGE_COLOURS)
        for i, (k, v) in enumerate(zip(Stage.NAMES, values)):
            rate = f" ({v / values[i - 1]:.0%})" if i and values[i - 1] else ""
            ax.text(v / 2 + top * 0.03, 3 - i, f"{k} {_count(v)}{rate}", ha="left", va="center", fontsize=7)
        ax.set_xlim(-top / 2, top * 1.05)
        ax.set_axis_off()
        ax.set_title(_label(s), fontsize=9)
    for ax in axes[len(rows):]:
        ax.set_visible(False)
    fig.suptitle("AIPL funnel at the end of the run (people, mean over replications; % = from the stage above)",
                 fontsize=10)
    fig.savefig(path)
    return path


def _channel_mix_plot(result: RoundResult, path: Path) -> Path:
    rows = list(result.standings)[::-1]
    channels = sorted({c for s in rows for c in s.channel_revenue})
    fig = _figure(8, 0.5 * len(rows) + 1.8)
    ax = fig.subplots()
    left = [0.0] * len(rows)
    for c in channels:
        share = [s.channel_revenue.get(c, 0.0) / s.revenue.mean if s.revenue.mean else 0.0 for s in rows]
        ax.barh(range(len(rows)), share, left=left, color=_CHANNEL_COLOURS.get(c), label=channel_name(c))
        left = [a + b for a, b in zip(left, share)]
    for i, s in enumerate(rows):
        ax.text(1.01, i, _money(s.revenue.mean), va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), [_label(s) for s in rows])
    ax.set_xlim(0, 1.15)
    ax.xaxis.set_major_formatter(lambda x, _p: f"{x:.0%}" if x <= 1 else "")
    ax.legend(loc="upper center", bbox_to_anchor=(0.45, -0.1), ncol=len(channels), fontsize=8, frameon=False)
    ax.set_title("Revenue by channel (share of each brand's revenue; total at right)", loc="left")
    fig.savefig(path)
    return path


def _interval(iv: Interval, fmt: Callable[[float], str]) -> str:
    return f"{fmt(iv.mean)} [{fmt(iv.low)}, {fmt(iv.high)}]"


def leaderboard_rows(result: RoundResult) -> list[list[str]]:
    """Rows of the leaderboard: rank, team, brand, contribution, share, ROI (each with its interval)."""
    return [[str(s.rank) if s.rank else "–", s.team, s.brand, _interval(s.contribution, _money),
             _interval(s.share, lambda x: f"{x:.1%}"), _interval(s.roi, lambda x: f"{x:.2f}")]
            for s in result.standings]


def _csv(result: RoundResult, path: Path) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["rank", "team", "brand", "house", *(f"{m}_{p}" for m in ("contribution", "share", "roi", "revenue", "spend")
                                                        for p in ("mean", "low", "high")), "contribution_by_seed"])
        for s in result.standings:
            w.writerow([s.rank or "", csv_cell(s.team), csv_cell(s.brand), s.house,
                        *(f"{getattr(getattr(s, m), p)!r}" for m in ("contribution", "share", "roi", "revenue", "spend")
                          for p in ("mean", "low", "high")), " ".join(f"{x!r}" for x in s.contributions)])
    return path


_CSS = ("body{font-family:-apple-system,'Segoe UI',Roboto,'Noto Sans',Arial,sans-serif;max-width:1100px;margin:2rem auto;"
        "padding:0 1rem;color:#1d2330}table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{padding:.3rem .7rem;"
        "border-bottom:1px solid #e3e6ec;text-align:left}th{background:#f5f7fa}td.num{text-align:right}"
        "img{max-width:100%;margin:.5rem 0}.bad{color:#b42318;font-family:monospace;font-size:.85rem}"
        ".muted{color:#667085}h2{border-bottom:2px solid #e3e6ec;padding-bottom:.2rem;margin-top:2rem}")


def _html(result: RoundResult, images: dict[str, Path]) -> str:
    import base64
    import html

    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in ("#", "team", "brand", "contribution (¥)", "revenue share", "ROI",
                                                   "marketing spend (¥)"))
    rows = [[*row, _money(s.spend.mean)] for row, s in zip(leaderboard_rows(result), result.standings)]
    body = "".join("<tr>" + "".join(f'<td class="{"num" if i > 2 else ""}">{e(c)}</td>' for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    rejected = "".join(f'<li><b>{e(r.team)}</b> ({e(r.file.name)})<div class="bad">' +
                       "<br>".join(e(p.render(r.file.name)) for p in r.problems) + "</div></li>"
                       for r in result.roster.rejected)
    notes = "".join(f"<li><b>{e(t.team)}</b> ({e(t.brand)}): {e(t.entry.notes) or '—'}</li>" for t in result.roster.teams)
    pictures = "".join(f'<h2>{e(title)}</h2><img alt="{e(title)}" src="data:image/png;base64,'
                       f'{base64.b64encode(p.read_bytes()).decode()}">' for title, p in images.items())
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(result.scenario.name)}</title>"
            f"<style>{_CSS}</style></head><body><h1>Tournament results</h1><p class='muted'>{e(describe(result))}</p>"
            f"<p><b>{e(verdict(result))}</b></p>"
            f"<h2>Leaderboard</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            "<p class='muted'>Contribution: gross profit (revenue − cost of goods) after platform fees and all marketing "
            "(coupons, commissions, spend). Share: the brand's part of the whole market's revenue. ROI: contribution / "
            "marketing spend (its mean "
            f"in the last column). Brackets: {LEVEL:.0%} t-interval across replications; every brand met the same consumers, graph and random "
            "numbers in each replication (common random numbers).</p>"
            + (f"<h2>Not playing this round</h2><ul>{rejected}</ul>" if rejected else "")
            + f"<h2>Strategies</h2><ul>{notes}</ul>{pictures}"
            f"<p class='muted'>socsim tournament, {dt.datetime.now():%Y-%m-%d %H:%M}</p></body></html>")


def write_round(result: RoundResult, folder: Path) -> list[Path]:
    """Write the results folder: leaderboard.csv, three PNG plots, round.yaml and index.html.

    Raises
    ------
    OutputExistsError
        ``folder`` exists (results are never overwritten).
    """
    from .errors import OutputExistsError

    folder = Path(folder)
    if folder.exists():
        raise OutputExistsError(f"{folder}: already exists; choose another --out or remove it (results are never overwritten)")
    with writing(folder):
        return _write_round(result, folder)


def _write_round(result: RoundResult, folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    images = {"Profit, with intervals": _leaderboard_plot(result, folder / "leaderboard.png"),
              "Funnels": _funnel_plot(result, folder / "funnels.png"),
              "Channel mix": _channel_mix_plot(result, folder / "channel_mix.png")}
    market = {"seeds": list(result.seeds), "house": result.house, **result.scenario.model_dump(mode="json", by_alias=True)}
    (folder / "round.yaml").write_text(yaml.safe_dump(market, sort_keys=False, allow_unicode=True), encoding="utf-8")
    page = folder / "index.html"
    page.write_text(_html(result, images), encoding="utf-8")
    return [_csv(result, folder / "leaderboard.csv"), *images.values(), folder / "round.yaml", page]
