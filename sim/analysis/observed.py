"""Observed daily series for calibration: read the CSV columns a targets file names, and check them.

A targets file's ``observed`` entries (:class:`~sim.analysis.spec.ObservedSeries`) each
name a CSV file (relative to the targets file), a column and one of the model's daily
series (``focal.tmall.orders``, ``focal.aware`` … as in experiment files). The CSV has a
header row, then one row per simulated day in order; an empty cell is a day not
observed. Every mistake is reported against the targets file's line, with the CSV's
own line for a bad cell, and says what is allowed.
"""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np

from sim.config.loader import Document
from sim.config.messages import problem_at
from sim.config.overrides import did_you_mean
from sim.config.schema import Scenario
from sim.errors import Problem, ScenarioError
from sim.experiments.spec import series_names
from sim.files import MAX_TABLE_BYTES, UnreadableFile, read_input

from .spec import CalibrationSpec

__all__ = ["read_observed", "check_observed", "daily_series_of"]

#: A table read from a CSV file: header, then (line number, cells) per data row.
_Table = tuple[list[str], list[tuple[int, list[str]]]]


def read_observed(doc: Document, spec: CalibrationSpec) -> tuple[np.ndarray, ...]:
    """The observed values of each ``observed`` entry (NaN where a cell is empty).

    Raises
    ------
    ScenarioError
        Against the targets file, every problem found: a CSV that is missing or
        unreadable, a column it lacks, a cell that is not a number (with the CSV's line).
    """
    problems: list[Problem] = []
    tables: dict[Path, _Table | None] = {}
    out = []
    for i, obs in enumerate(spec.observed):
        path = (doc.base_dir / obs.csv).resolve()
        if path not in tables:
            tables[path] = _read_table(path, obs.csv, doc, ("observed", str(i), "csv"), problems)
        table = tables[path]
        out.append(np.zeros(0) if table is None else _column(table, obs.csv, obs.column, doc, i, problems))
    if problems:
        raise ScenarioError(doc.file, _once(problems))
    return tuple(out)


def _read_table(path: Path, name: str, doc: Document, loc: Sequence[str], problems: list[Problem]) -> _Table | None:
    """Header and data rows of a CSV file (UTF-8, an Excel byte-order mark allowed); None if it cannot be read."""
    try:
        text = read_input(path, MAX_TABLE_BYTES).decode("utf-8-sig")
        reader = csv.reader(io.StringIO(text, newline=""))
        rows = [(reader.line_num, row) for row in reader]
    except FileNotFoundError:
        problems.append(problem_at(doc, loc, f"CSV file {name!r} not found (looked for {path}); the path is relative "
                                             "to the targets file"))
        return None
    except UnreadableFile as exc:
        problems.append(problem_at(doc, loc, f"CSV file {path} {exc}"))
        return None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(problem_at(doc, loc, f"cannot read CSV file {path}: {exc}; save it as UTF-8 CSV with a header row"))
        return None
    while rows and not any(c.strip() for c in rows[-1][1]):  # trailing blank lines are not days
        rows.pop()
    if not rows:
        problems.append(problem_at(doc, loc, f"CSV file {path} is empty; it needs a header row, then one row per day"))
        return None
    return [c.strip() for c in rows[0][1]], rows[1:]


def _column(table: _Table, name: str, column: str, doc: Document, i: int, problems: list[Problem]) -> np.ndarray:
    """One column as floats; problems for an unknown column or cells that are not numbers."""
    header, rows = table
    if column not in header:
        problems.append(problem_at(doc, ("observed", str(i), "column"), _hinted(
            f"{name!r} has no column {column!r}", did_you_mean(column, header), f"its columns: {', '.join(header)}")))
        return np.zeros(0)
    j = header.index(column)
    values = np.full(len(rows), np.nan)
    bad = []
    ragged = [line for line, cells in rows if len(cells) != len(header)]
    if ragged:
        problems.append(problem_at(doc, ("observed", str(i), "csv"), f"{name}: line{'s' if len(ragged) > 1 else ''} "
                                   f"{', '.join(map(str, ragged[:5]))}{' …' if len(ragged) > 5 else ''} "
                                   f"{'do' if len(ragged) > 1 else 'does'} not have the header's {len(header)} cells; "
                                   "give every row every column (an empty cell for a day not observed)"))
    for r, (line, cells) in enumerate(rows):
        text = cells[j].strip() if j < len(cells) else ""
        value = _number(text)
        if value is None:
            bad.append(f"line {line}: {text!r}")
        else:
            values[r] = value
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        problems.append(problem_at(doc, ("observed", str(i), "column"), f"{name} column {column!r}: not a number at "
                                   f"{'; '.join(bad[:3])}{more}; write plain numbers such as 1234.5 (no units or "
                                   "thousands separators), or leave the cell empty for a day not observed"))
    return values


def _number(text: str) -> float | None:
    """The cell as a finite float, NaN for an empty cell, None if it is not a number."""
    if not text:
        return math.nan
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def daily_series_of(scenario: Scenario) -> list[str]:
    """Every daily series name of ``scenario`` (``focal.tmall.orders``, ``focal.aware`` …), as runs store them."""
    names = []
    for brand in scenario.brands:
        selling = [k for k in brand.channels if scenario.channels[k].transacts]
        names += [f"{brand.name}.{s}" for s in series_names(selling, list(brand.channels))]
    return names


#: Daily series that may be negative: profits, and a price gap; every other one counts.
SIGNED_SERIES = ("gross_profit", "contribution", "parity_gap")


def check_observed(doc: Document, spec: CalibrationSpec, observed: Sequence[np.ndarray], scenario: Scenario) -> None:
    """Every ``observed`` entry names a daily series of ``scenario`` and has one value per simulated day.

    Raises
    ------
    ScenarioError
        Against the targets file: unknown series (with the allowed names), a row count
        other than ``simulation.days``, a column with no observed day, negative values
        of a series that counts (all but :data:`SIGNED_SERIES`).
    """
    allowed = daily_series_of(scenario)
    days = scenario.simulation.days
    problems = []
    for i, (obs, values) in enumerate(zip(spec.observed, observed)):
        if obs.series not in allowed:
            brands = ", ".join(b.name for b in scenario.brands)
            mine = [n for n in allowed if n.split(".")[0] == obs.series.split(".")[0]] or allowed
            problems.append(problem_at(doc, ("observed", str(i), "series"), _hinted(
                f"unknown daily series {obs.series!r}", did_you_mean(obs.series, allowed),
                f"write brand.series (brands: {brands}), e.g. {', '.join(mine[:12])} … (docs/EXPERIMENTS.md lists them all)")))
        if len(values) != days:
            problems.append(problem_at(doc, ("observed", str(i), "csv"), f"{obs.csv} has {len(values)} rows of data; the "
                                       f"simulation runs {days} days (simulation.days): give one row per day, in order "
                                       "(an empty cell for a day not observed)"))
        elif not np.isfinite(values).any():
            problems.append(problem_at(doc, ("observed", str(i), "column"), f"{obs.csv} column {obs.column!r} has no "
                                       "observed day (every cell is empty)"))
        elif obs.series.rsplit(".", 1)[-1] not in SIGNED_SERIES and (values < 0).any():
            negative = np.flatnonzero(values < 0)
            more = f" and {len(negative) - 1} more" if len(negative) > 1 else ""
            problems.append(problem_at(doc, ("observed", str(i), "column"), f"{obs.csv} column {obs.column!r}: negative "
                                       f"on data row {negative[0] + 1} ({values[negative[0]]:g}){more}; {obs.series} "
                                       "counts people, orders or yuan and cannot be negative"))
    if problems:
        raise ScenarioError(doc.file, problems)


def _hinted(head: str, hint: str, rest: str) -> str:
    """``head; did you mean 'x'? Rest`` with a hint, ``head; rest`` without one."""
    return f"{head}{hint} {rest[0].upper()}{rest[1:]}" if hint else f"{head}; {rest}"


def _once(problems: Sequence[Problem]) -> list[Problem]:
    """Each problem once (two entries may name the same missing CSV file)."""
    return list(dict.fromkeys(problems))
