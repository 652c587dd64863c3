"""A results folder as one Excel workbook (``socsim export RESULTS_DIR --xlsx``).

Any folder a socsim command wrote (run, compare, sweep, lesson, lift, elasticity,
tournament, …) becomes one ``.xlsx`` file: a **KPIs** sheet first (the folder's verdict,
when it has one, above its headline table), then one sheet per CSV file. Cells hold
numbers as numbers at full precision (a float is written as the shortest text that reads
back to the same double), ISO dates as dates, empty or NaN cells as empty; columns are
as wide as their text (up to :data:`MAX_WIDTH` characters), the header row bold and frozen.

openpyxl is an optional dependency (``pip install 'socsim[xlsx]'``); it is imported only
when a workbook is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import OutputExistsError, SocsimError
from .files import MAX_TABLE_BYTES, UnreadableFile, read_input, writing

__all__ = ["XLSX_INSTALL", "MARKERS", "Sheet", "export_xlsx", "workbook_sheets", "typed_cell", "default_path"]

#: The command that installs the optional dependency, named by the error when it is missing.
XLSX_INSTALL = "pip install 'socsim[xlsx]'"
#: Files that mark a folder as written by socsim, with the command that writes each.
MARKERS = {"kpis.json": "run", "summary.csv": "compare, sweep or lesson", "lift.json": "lift",
           "elasticity.json": "elasticity", "targets_report.json": "calibrate --report", "leaderboard.csv": "tournament",
           "experiment.json": "an experiment store"}
#: The headline table of each kind of folder, in order of preference (summary.csv is pivoted: KPI × variant).
HEADLINES = ("kpis.csv", "summary.csv", "lift.csv", "targets_report.csv", "elasticity.csv", "leaderboard.csv")
#: Widest column, in characters: longer text wraps in Excel's cell rather than pushing the next column off screen.
MAX_WIDTH = 60
#: Rows an Excel sheet holds (Excel 2007 and later).
MAX_ROWS = 1_048_576
#: Excel's limit on a sheet name and the characters it refuses in one.
_NAME_LENGTH = 31
_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name, its rows (typed cells) and how many leading rows are a title above the header."""

    name: str
    rows: list[list[Any]]
    title_rows: int = 0


def default_path(folder: Path) -> Path:
    """``RESULTS_DIR/RESULTS_DIR-name.xlsx``: the workbook beside the files it holds, named after the folder."""
    return folder / f"{folder.resolve().name}.xlsx"


def export_xlsx(folder: str | Path, out: str | Path | None = None, *, force: bool = False) -> Path:
    """Write the results folder ``folder`` as one ``.xlsx`` workbook and return its path.

    Parameters
    ----------
    folder : path
        A folder written by a socsim command (it holds one of :data:`MARKERS` and a CSV file).
    out : path, optional
        The workbook to write (default: :func:`default_path`). Must end in ``.xlsx``.
    force : bool, default False
        Replace an existing workbook; without it an existing file is never overwritten.

    Raises
    ------
    SocsimError
        openpyxl is not installed (the message names :data:`XLSX_INSTALL`), ``folder`` is
        not a results folder, a CSV cannot be read or has more rows than a sheet holds,
        ``out`` exists (without ``force``) or does not end in ``.xlsx``.
    """
    folder = Path(folder)
    openpyxl = _openpyxl()
    path = Path(out) if out is not None else default_path(folder)
    if path.suffix.lower() != ".xlsx":
        raise SocsimError(f"{path}: the workbook's name must end in .xlsx")
    if path.exists() and not force:
        raise OutputExistsError(f"{path}: already exists; add --force to replace it or choose another --out")
    sheets = workbook_sheets(folder)
    book = openpyxl.Workbook()
    book.remove(book.active)
    for sheet in sheets:
        _fill(book.create_sheet(sheet.name), sheet)
    with writing(path.parent):
        path.parent.mkdir(parents=True, exist_ok=True)
        book.save(path)
    return path


def _openpyxl():
    try:
        import openpyxl
    except ImportError:
        raise SocsimError(f"the .xlsx export needs openpyxl, which is not installed: {XLSX_INSTALL}") from None
    return openpyxl


def workbook_sheets(folder: Path) -> list[Sheet]:
    """The sheets of ``folder``'s workbook: KPIs first, then one per CSV file (top level, then one folder down).

    Raises
    ------
    SocsimError
        ``folder`` is missing, not a folder, or holds no socsim marker file or no CSV file.
    """
    tables = _csv_files(_results_folder(folder))
    read = {p: _read_table(p, folder) for p in tables}
    names = _sheet_names([p.relative_to(folder) for p in tables])
    return [_kpi_sheet(folder, read), *(Sheet(n, read[p]) for n, p in zip(names, tables))]


def _results_folder(folder: Path) -> Path:
    if not folder.exists():
        raise SocsimError(f"{folder}: no such folder; give a results folder a socsim command wrote (run, compare, …)")
    if not folder.is_dir():
        raise SocsimError(f"{folder}: is a file, not a results folder; give the folder a socsim command wrote")
    if not any((folder / m).is_file() or any(folder.glob(f"*/{m}")) for m in MARKERS):  # a lesson's runs are one down
        raise SocsimError(f"{folder}: not a socsim results folder (it holds none of {', '.join(MARKERS)}); give the "
                          "folder a socsim command wrote (socsim run, compare, sweep, lift, elasticity, tournament, lesson)")
    return folder


def _csv_files(folder: Path) -> list[Path]:
    found = sorted(folder.glob("*.csv")) + sorted(folder.glob("*/*.csv"))
    if not found:
        raise SocsimError(f"{folder}: holds no CSV file to export (its tables were not written, or were removed)")
    return found


def _read_table(path: Path, folder: Path) -> list[list[Any]]:
    """The rows of one CSV file with typed cells (see :func:`typed_cell`)."""
    try:
        text = read_input(path, MAX_TABLE_BYTES).decode("utf-8-sig")
    except (UnreadableFile, UnicodeDecodeError) as exc:
        raise SocsimError(f"{path}: {exc if isinstance(exc, UnreadableFile) else 'is not UTF-8 text'}") from None
    rows = [[typed_cell(c) for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    if len(rows) > MAX_ROWS:
        raise SocsimError(f"{path.relative_to(folder)}: {len(rows):,} rows; an Excel sheet holds at most {MAX_ROWS:,}")
    return rows


def typed_cell(text: str) -> Any:
    """A CSV cell as Excel should hold it: a number, a date, a boolean, text, or None (empty or NaN).

    >>> [typed_cell(x) for x in ("42", "1980400.0", "0.30000000000000004", "", "nan", "2026-03-01", "focal")]
    [42, 1980400.0, 0.30000000000000004, None, None, datetime.date(2026, 3, 1), 'focal']
    >>> typed_cell("inf"), typed_cell("1_000"), typed_cell("False")
    ('inf', '1_000', False)
    """
    if text == "" or text.lower() == "nan":
        return None
    if text in ("True", "False"):  # Python's booleans, as a tournament's house column writes them
        return text == "True"
    if _ISO_DATE.fullmatch(text):
        return dt.date.fromisoformat(text)
    if "_" in text:  # Python reads "1_000" as a number; a spreadsheet user would not
        return text
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        return value if value == value and abs(value) != float("inf") else text
    return text


def _sheet_names(paths: Sequence[Path]) -> list[str]:
    """Excel-safe, unique sheet names from relative CSV paths: ``kpis.csv`` → ``kpis.csv``, ``runs/runs.csv`` → ``runs-runs.csv``."""
    names: list[str] = []
    for p in paths:
        base = _NAME_FORBIDDEN.sub("_", "-".join(p.parts))[-_NAME_LENGTH:]
        name, n = base, 2
        while name.lower() in {"kpis", *(x.lower() for x in names)}:
            name = f"{base[:_NAME_LENGTH - len(str(n)) - 1]}~{n}"
            n += 1
        names.append(name)
    return names


def _kpi_sheet(folder: Path, read: dict[Path, list[list[Any]]]) -> Sheet:
    """The verdict (when the folder's JSON has one) above the headline table: KPIs of a run, means of a compare, …"""
    source = next((p for h in HEADLINES for p in read if p.name == h), next(iter(read)))  # top level first
    table = _pivot_summary(read[source]) if source.name == "summary.csv" else read[source]
    verdict = _verdict(folder)
    title = [[f"{folder.resolve().name}: the headline table ({source.relative_to(folder)})"],
             *([[verdict]] if verdict else []), []]
    return Sheet("KPIs", [*title, *table], title_rows=len(title))


def _verdict(folder: Path) -> str | None:
    for name in ("lift.json", "targets_report.json", "elasticity.json"):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("verdict"), str):
            return data["verdict"]
    return None


def _pivot_summary(rows: list[list[Any]]) -> list[list[Any]]:
    """summary.csv (one row per KPI × variant × point) as KPI rows × variant (and point) columns of means."""
    head, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(head)}
    cells = list(dict.fromkeys(_column_name(r, col) for r in body))
    means: dict[tuple[Any, Any], dict[str, Any]] = {}
    for r in body:
        means.setdefault((r[col["metric"]], r[col["label"]]), {})[_column_name(r, col)] = r[col["mean"]]
    return [["metric", "label", *(f"mean: {c}" for c in cells)],
            *([m, label, *(by.get(c) for c in cells)] for (m, label), by in means.items())]


def _column_name(row: list[Any], col: dict[str, int]) -> str:
    point = row[col["point_label"]] if "point_label" in col else None
    return str(row[col["variant"]]) + (f" @ {point}" if point not in (None, "") else "")


def _fill(ws, sheet: Sheet) -> None:
    """Write the rows, bold and freeze the header, set date formats and column widths."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for r, row in enumerate(sheet.rows, start=1):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters (from a team's name) Excel refuses
            cell = ws.cell(row=r, column=c, value=repr(value) if isinstance(value, float) else value)
            if isinstance(value, float):
                cell.data_type = "n"  # openpyxl writes floats as "%.16g", one digit short of a double: repr is exact
            elif isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"  # text, never a formula
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
            if r > sheet.title_rows or len(row) > 1:  # a title line may run across empty columns
                widths[c] = max(widths.get(c, 0), len(value.isoformat() if isinstance(value, dt.date) else str(value)))
    header = sheet.title_rows + 1
    for cell in ws[header] if ws.max_row >= header else ():
        cell.font = Font(bold=True)
    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    for c, w in widths.items():
        ws.column_dimensions[get_column_letter(c)].width = min(MAX_WIDTH, max(8, w + 2))
