"""Run a scenario: ``run(scenario, seed) -> RunResult``, and write its results folder.

The model is a plain function of (scenario, seed): experiments call :func:`run` with
scenarios and seeds, and decide elsewhere where runs execute.
"""

from __future__ import annotations

import csv
import datetime as dt
import errno
import json
import os
import shutil
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import yaml

from . import __version__
from .config.schema import Scenario
from .errors import OutputExistsError
from .files import confined, csv_cell, number_cell, strict_json, writing
from .ledger import FIELDS
from .market.responses import ResponseEvent
from .metrics import brand_kpis, flatten_kpis
from .engines import make_model

if TYPE_CHECKING:  # pragma: no cover
    from .plots.worker import PlotProcess

__all__ = ["RunResult", "run", "write_results", "default_run_dir"]


@dataclass(frozen=True)
class RunResult:
    """Everything a run produced.

    Attributes
    ----------
    scenario : Scenario
        The fully resolved scenario (defaults filled in), with the seed used.
    seed : int
    dates : list of datetime.date
    brands, channels : tuple of str
    books : ndarray (days, B, C, F)
        The ledger; F follows :data:`sim.ledger.FIELDS`.
    orders_by_source : ndarray (days, B, C, 9)
    daily : dict[str, ndarray]
        Per-brand state each day (AIPL, private domain, leaders, parity gap, prices).
    kpis : dict[str, dict]
        KPI summary per brand (see :func:`sim.metrics.brand_kpis`).
    responses : tuple of ResponseEvent
        The competitor responses brands made, by day (empty when no brand has rules).
    """

    scenario: Scenario
    seed: int
    dates: list[dt.date]
    brands: tuple[str, ...]
    channels: tuple[str, ...]
    books: np.ndarray
    orders_by_source: np.ndarray
    daily: dict[str, np.ndarray]
    kpis: dict[str, dict]
    responses: tuple[ResponseEvent, ...] = ()

    def series(self, field: str) -> np.ndarray:
        """(days, B, C) ledger series of ``field``."""
        return self.books[..., FIELDS.index(field)]


def run(scenario: Scenario, seed: int | None = None, progress: Callable[[int], None] | None = None) -> RunResult:
    """Simulate ``scenario`` with ``seed`` (default: the scenario's) and return the results."""
    model = make_model(scenario, seed=seed)
    model.run(progress)
    daily = {k: np.asarray(v, dtype=float) for k, v in model.datacollector.model_vars.items()}
    resolved = scenario.model_copy(update={"simulation": scenario.simulation.model_copy(update={"seed": model.seed_used})})
    return RunResult(
        scenario=resolved, seed=model.seed_used, dates=model.calendar.dates,
        brands=tuple(b.name for b in model.brands), channels=model.channels.keys,
        books=model.ledger.books, orders_by_source=model.ledger.by_source,
        daily=daily, kpis={b.name: brand_kpis(model, b.code) for b in model.brands},
        responses=tuple(model.response_log()),
    )


def default_run_dir(result: RunResult) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return confined(result.scenario.outputs.dir, f"{result.scenario.name}-seed{result.seed}-{stamp}")


def write_results(result: RunResult, out: Path, plots: bool | None = None, every_plot: bool = False,
                  plotter: "PlotProcess | None" = None) -> Path:
    """Write the run folder atomically: built in a temporary folder, then renamed.

    Parameters
    ----------
    result : RunResult
    out : Path
        The folder to create.
    plots : bool, optional
        Write PNG plots (default: the scenario's ``outputs.plots``).
    every_plot : bool, default False
        Every plot (:data:`sim.plots.PLOT_FILES`) rather than the main three
        (:data:`sim.plots.MAIN_PLOTS`), which cost a third of the time.
    plotter : PlotProcess, optional
        Processes started before the run that draw its plots (those they were started
        for) while this one writes the other files; by default the plots are drawn here.

    Raises
    ------
    OutputExistsError
        If ``out`` exists, or another run created it meanwhile: results are never overwritten.
    OutputFolderError
        The disk is full, read-only or forbidden (naming the folder).
    PlotError
        A plot could not be drawn (naming it); no folder is left behind.
    """
    out = Path(out)
    exists = OutputExistsError(f"{out}: already exists; choose another --out or remove it (results are never overwritten)")
    if out.exists():
        raise exists
    with writing(out.parent):
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            wanted = result.scenario.outputs.plots if plots is None else plots
            _write_files(result, tmp, ("all" if every_plot else "main") if wanted else None, plotter)
            if out.exists():  # another run finished first: an empty folder would be replaced silently
                raise exists
            os.replace(tmp, out)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise exists from None
            raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return out


def _write_files(result: RunResult, folder: Path, plots: str | None, plotter: "PlotProcess | None" = None) -> None:
    """Write the run's files into ``folder``; ``plots``: "main", "all" or None (no plots), drawn
    by ``plotter`` (while the other files are written) or here."""
    with plotter.drawing(result, folder) if plots and plotter is not None else nullcontext():
        _write_tables(result, folder)
    if plots and plotter is None:
        from .plots import MAIN_PLOTS, PLOT_FILES
        from .plots.run import run_plots

        run_plots(result, folder, PLOT_FILES if plots == "all" else MAIN_PLOTS)


def _write_tables(result: RunResult, folder: Path) -> None:
    """The resolved scenario, kpis.json and the CSV files."""
    meta = {"socsim_version": __version__, "seed": result.seed}
    resolved = {"_run": meta, **result.scenario.model_dump(mode="json", by_alias=True)}
    (folder / "scenario.resolved.yaml").write_text(yaml.safe_dump(resolved, sort_keys=False, allow_unicode=True), encoding="utf-8")
    (folder / "kpis.json").write_text(strict_json({"_run": meta, "brands": result.kpis}, indent=2), encoding="utf-8")
    _write_kpis_csv(result, folder / "kpis.csv")
    if result.scenario.outputs.daily_csv:
        _write_ledger_csv(result, folder / "daily_ledger.csv")
        _write_state_csv(result, folder / "daily_state.csv")
    if result.responses:
        _write_responses_csv(result, folder / "responses.csv")
    _write_referral_csv(result, folder / "referral_tree.csv")


def _write_kpis_csv(result: RunResult, path: Path) -> None:
    """kpis.json as a table for a spreadsheet: one row per KPI (``channels.tmall.orders``), one column per brand."""
    flat = {brand: flatten_kpis(kpis) for brand, kpis in result.kpis.items()}
    names = list(dict.fromkeys(name for kpis in flat.values() for name in kpis))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["kpi", *map(csv_cell, flat)])
        for name in names:
            w.writerow([name, *(number_cell(kpis[name]) if name in kpis else "" for kpis in flat.values())])


def _write_ledger_csv(result: RunResult, path: Path) -> None:
    """Long-ish table: one row per day × brand × channel with every ledger field."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "brand", "channel", *FIELDS])
        for t, date in enumerate(result.dates):
            for b, brand in enumerate(result.brands):
                for c, channel in enumerate(result.channels):
                    row = result.books[t, b, c]
                    if row.any():
                        w.writerow([date.isoformat(), csv_cell(brand), csv_cell(channel), *(f"{v:.2f}" for v in row)])


def _write_responses_csv(result: RunResult, path: Path) -> None:
    """The competitor response log: one row per action started, moved, capped or ended."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "day", "brand", "rule", "what", "detail"])
        for e in result.responses:
            w.writerow([e.date.isoformat(), e.day, csv_cell(e.brand), csv_cell(e.rule), e.what, csv_cell(e.detail)])


def _write_referral_csv(result: RunResult, path: Path) -> None:
    """The referral trees per brand, one row per KPI of ``kpis[brand]["referral"]``:
    orders and commission by level, shares and referred buyers by depth, trees by size
    (:func:`sim.market.referral.referral_kpis` gives the units)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["brand", "measure", "value"])
        for brand, kpis in result.kpis.items():
            for measure, value in kpis.get("referral", {}).items():
                w.writerow([csv_cell(brand), measure, f"{value:.10g}"])


def _write_state_csv(result: RunResult, path: Path) -> None:
    keys = list(result.daily)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["date", *keys])
        for t, date in enumerate(result.dates):
            w.writerow([date.isoformat(), *(number_cell(result.daily[k][t]) for k in keys)])
