"""Tests of sim.plots.run on a synthetic RunResult (the simulator is not run)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import matplotlib.image as mpimg
import matplotlib.pyplot as plt
import numpy as np
import pytest
import yaml

from sim.plots import run as plotting
from sim.config.schema import Scenario
from sim.ledger import COST_FIELDS, FIELDS, MARKETING_FIELDS, N_SOURCES
from sim.market.signals import WECHAT_SEEDED, Source
from sim.plots.run import PLOT_FILES, PlotInputError, event_days, rolling_sum, run_plots, spillover_series, weekly
from sim.population import Stage
from sim.simulation import RunResult

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SEEDED = [int(s) for s in WECHAT_SEEDED]


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return Scenario.model_validate(yaml.safe_load(BASELINE.read_text(encoding="utf-8")))


def _books(rng: np.random.Generator, scenario: Scenario, days: int) -> np.ndarray:
    """Plausible ledger: Poisson orders where a brand is listed, ad spend on Douyin."""
    keys = list(scenario.channels)
    listed = np.array([[k in b.channels for k in keys] for b in scenario.brands], dtype=float)
    price = np.array([b.product.price for b in scenario.brands])[None, :, None]
    books = np.zeros((days, len(scenario.brands), len(keys), len(FIELDS)))
    col = {f: i for i, f in enumerate(FIELDS)}
    orders = rng.poisson(150, books.shape[:3]) * listed
    books[..., col["orders"]] = books[..., col["units"]] = orders
    books[..., col["traffic"]] = orders * 25
    books[..., col["revenue"]] = orders * price
    books[..., col["cogs"]] = orders * 35
    books[..., col["coupons"]] = orders * 5
    books[..., col["platform_fees"]] = orders * price * 0.056
    budgets = [sum(m.budget_per_day for m in b.strategy.paid_media) for b in scenario.brands]
    books[:, :, keys.index("douyin"), col["ad_spend"]] = budgets
    books[..., col["gross_profit"]] = books[..., col["revenue"]] - books[..., col["cogs"]]
    books[..., col["contribution"]] = books[..., col["revenue"]] - sum(books[..., col[f]] for f in COST_FIELDS)
    return books


def _by_source(rng: np.random.Generator, books: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Split each cell's orders over the 8 sources; brands not on WeChat have no WeChat-seeded ones."""
    shares = rng.dirichlet(np.ones(N_SOURCES), size=books.shape[:3])
    by_source = books[..., FIELDS.index("orders"), None] * shares
    for b, brand in enumerate(scenario.brands):
        if "wechat" not in brand.channels:
            by_source[:, b, :, SEEDED] = 0.0
    return by_source


def _daily(rng: np.random.Generator, brands: tuple[str, ...], days: int) -> dict[str, np.ndarray]:
    t = np.arange(days, dtype=float)
    daily: dict[str, np.ndarray] = {}
    for b, brand in enumerate(brands):
        aware = 1.2e6 / (b + 1) / (1 + np.exp(-(t - 120) / 30))
        for stage, frac in zip(Stage.NAMES, (1.0, 0.45, 0.15, 0.04)):
            daily[f"{brand}.{stage}"] = aware * frac
        focal = brand == "focal"
        daily[f"{brand}.private_domain"] = np.cumsum(rng.poisson(300, days)) * focal
        daily[f"{brand}.active_leaders"] = (50 + 5 * (t // 30) - rng.integers(0, 3, days)) * focal
        daily[f"{brand}.parity_gap"] = rng.normal(0, 3, days) * focal
        daily[f"{brand}.price.tmall"] = np.full(days, 129.0)
    return daily


def _kpis(books: np.ndarray, brands: tuple[str, ...]) -> dict[str, dict]:
    def total(field: str, b: int) -> float:
        return float(books[:, b, :, FIELDS.index(field)].sum())

    return {brand: {"revenue": total("revenue", b), "gross_profit": total("gross_profit", b),
                    "contribution": total("contribution", b),
                    "marketing_spend": sum(total(f, b) for f in MARKETING_FIELDS)}
            for b, brand in enumerate(brands)}


def make_result(scenario: Scenario, days: int = 365, zero: bool = False, seed: int = 7) -> RunResult:
    """A RunResult with random but plausible arrays (all zeros if ``zero``)."""
    rng = np.random.default_rng(seed)
    brands = tuple(b.name for b in scenario.brands)
    books = _books(rng, scenario, days)
    by_source = _by_source(rng, books, scenario)
    daily = _daily(rng, brands, days)
    if zero:
        books, by_source = np.zeros_like(books), np.zeros_like(by_source)
        daily = {k: np.zeros_like(v) for k, v in daily.items()}
    start = scenario.simulation.start_date
    return RunResult(
        scenario=scenario, seed=seed, dates=[start + dt.timedelta(days=t) for t in range(days)],
        brands=brands, channels=tuple(scenario.channels), books=books, orders_by_source=by_source,
        daily=daily, kpis=_kpis(books, brands),
    )


def assert_pngs(paths: list[Path], folder: Path) -> None:
    assert paths == [folder / name for name in PLOT_FILES]
    for path in paths:
        assert path.is_file(), path
        assert path.read_bytes()[:8] == PNG_MAGIC, path
        assert path.stat().st_size > 5_000, (path, path.stat().st_size)
        assert mpimg.imread(path).ndim == 3, path


def test_run_plots_writes_only_the_plots_asked_for(scenario, tmp_path):
    from sim.plots.run import MAIN_PLOTS

    result = make_result(scenario)
    assert run_plots(result, tmp_path, MAIN_PLOTS) == [tmp_path / name for name in PLOT_FILES if name in MAIN_PLOTS]
    with pytest.raises(PlotInputError, match="no plot funnel.jpg; plots: funnel.png"):
        run_plots(result, tmp_path, ["funnel.jpg"])


def test_run_plots_writes_every_png_in_order_and_closes_its_figures(scenario, tmp_path):
    before = set(plt.get_fignums())
    assert_pngs(run_plots(make_result(scenario), tmp_path), tmp_path)
    assert set(plt.get_fignums()) == before


def test_all_zero_run_does_not_crash(scenario, tmp_path):
    assert_pngs(run_plots(make_result(scenario, zero=True), tmp_path), tmp_path)


def test_short_single_brand_run_in_a_new_folder(scenario, tmp_path):
    one = scenario.model_copy(update={"brands": scenario.brands[:1]})
    folder = tmp_path / "nested" / "plots"
    assert_pngs(run_plots(make_result(one, days=10), folder), folder)


def test_mismatched_arrays_are_rejected(scenario, tmp_path):
    good = make_result(scenario, days=20)
    bad = RunResult(**{**good.__dict__, "books": good.books[:10]})
    with pytest.raises(PlotInputError, match=r"result\.books: shape \(10, 2, 3, 16\); expected \(20, 2, 3, 16\)"):
        run_plots(bad, tmp_path)
    with pytest.raises(PlotInputError, match="result.dates: empty"):
        run_plots(RunResult(**{**good.__dict__, "dates": []}), tmp_path)


def test_event_days_of_the_baseline_year(scenario):
    assert event_days(make_result(scenario, days=365)) == [(dt.date(2026, 6, 18), "618"), (dt.date(2026, 11, 11), "Double 11")]


def test_event_days_span_years_and_stay_inside_the_run(scenario):
    later = scenario.model_copy(update={"simulation": scenario.simulation.model_copy(update={"start_date": dt.date(2026, 7, 1)})})
    days = [d for d, _ in event_days(make_result(later, days=365))]
    assert days == [dt.date(2026, 11, 11), dt.date(2027, 6, 18)]


def test_rolling_sum_is_a_trailing_window():
    x = np.arange(1.0, 6.0)
    np.testing.assert_allclose(rolling_sum(x, 2), [1, 3, 5, 7, 9])
    np.testing.assert_allclose(rolling_sum(x, 10), np.cumsum(x))
    with pytest.raises(ValueError, match="window=0"):
        rolling_sum(x, 0)


def test_weekly_waits_for_a_full_week_unless_the_run_is_shorter():
    np.testing.assert_allclose(weekly(np.ones(9)), [np.nan] * 6 + [7, 7, 7])
    np.testing.assert_allclose(weekly(np.ones(3)), [1, 2, 3])


def test_spillover_share_counts_marketplace_closes(scenario):
    result = make_result(scenario, days=40, zero=True)
    tmall, wechat = result.channels.index("tmall"), result.channels.index("wechat")
    result.orders_by_source[:, 0, tmall, int(Source.GROUP)] = 3.0
    result.orders_by_source[:, 0, wechat, int(Source.PUSH)] = 1.0
    result.orders_by_source[:, 0, tmall, int(Source.PAID)] = 50.0  # not WeChat-seeded: ignored
    share = spillover_series(result)
    np.testing.assert_allclose(share[:, 0], 0.75)
    assert np.isnan(share[:, 1]).all()  # rival: no WeChat-seeded orders


def test_all_zero_channel_lines_are_skipped(scenario):
    result = make_result(scenario, days=20)
    fig, ax = plt.subplots()
    try:
        plotting._channel_lines(ax, result, result.series("orders"))
        labels = sorted(line.get_label() for line in ax.get_lines())
    finally:
        plt.close(fig)
    assert labels == ["focal · Tmall", "focal · WeChat", "rival · Tmall"]


def test_save_png_writes_the_pixels_savefig_writes(scenario, tmp_path):
    """The run's plots are written by sim.plots.style.save_png: decoded, each is the PNG
    savefig writes of the same figure, pixel for pixel, at the same recorded resolution."""
    from PIL import Image

    from sim.plots.style import DPI, figure, save, save_png

    result = make_result(scenario)
    for name, draw in plotting._PLOTS:
        fig = figure((10.0, 5.5))
        draw(result, fig)
        mine, theirs = save_png(fig, tmp_path / "mine" / name), save(fig, tmp_path / "theirs" / name)
        with Image.open(mine) as a, Image.open(theirs) as b:
            assert a.mode == b.mode == "RGBA" and a.info["dpi"] == b.info["dpi"] == pytest.approx((DPI, DPI), abs=0.05)
            assert np.array_equal(np.asarray(a), np.asarray(b)), name


def test_no_line_hides_another():
    """Variants drawn with the same values stay visible: each line thinner and dashed differently than the last."""
    from sim.plots.style import line_look

    looks = [line_look(i, 5) for i in range(5)]
    assert len({str(look["linestyle"]) for look in looks}) == 5
    widths = [look["linewidth"] for look in looks]
    assert widths == sorted(widths, reverse=True) and widths[-1] >= 1.0 and len(set(widths)) == 5
    assert [look["zorder"] for look in looks] == sorted(look["zorder"] for look in looks)  # thin ones on top


def test_daily_bands_of_identical_variants_draw_distinct_lines(monkeypatch, tmp_path):
    from sim.experiments import load_experiment
    from sim.plots import experiments as plots

    design = load_experiment(Path(__file__).resolve().parents[1] / "experiments" / "channel_protection.yaml",
                             overrides=["simulation.days=30"], replications=2)
    same = np.full((2, 30), 100.0)
    runs = {s: {v.name: same for v in design.variants} for s in design.series}
    drawn = {}
    monkeypatch.setattr(plots, "save_with_footer", lambda fig, path, footer: drawn.setdefault("fig", fig) and path)
    plots.daily_bands(design, runs, tmp_path / "daily.png")
    lines = drawn["fig"].axes[0].get_lines()
    data = [tuple(np.nan_to_num(line.get_ydata())) for line in lines if line.get_label() in {v.name for v in design.variants}]
    assert len(data) == len(design.variants) and len(set(data)) == 1  # the same values …
    styles = [(str(line.get_linestyle()), line.get_linewidth()) for line in lines[:len(design.variants)]]
    assert len(set(styles)) == len(styles)  # … each drawn its own way
