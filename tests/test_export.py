"""``socsim export FOLDER --xlsx``: a results folder as one Excel workbook (sim/export.py)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.export import XLSX_INSTALL, export_xlsx

openpyxl = pytest.importorskip("openpyxl")  # the test extra installs it; the package does not need it
runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
TINY = ["--set", "world.population=500", "--set", "world.market_size=50000", "--set", "world.graph.degree=10"]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("export") / "run"
    result = runner.invoke(app, ["run", "--days", "30", "--out", str(out), "--no-plots", *TINY])
    assert result.exit_code == 0, result.output
    return out


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(encoding="utf-8-sig", newline="")))


def _cells(ws) -> list[list[object]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_a_run_folder_becomes_a_kpi_sheet_and_one_sheet_per_csv(run_folder, tmp_path):
    result = runner.invoke(app, ["export", str(run_folder), "--xlsx", "--out", str(tmp_path / "r.xlsx")])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(tmp_path / "r.xlsx")
    files = sorted(p.name for p in run_folder.glob("*.csv"))
    assert book.sheetnames == ["KPIs", *files]
    for name in files:  # every cell: a number where the CSV has one, at every digit; text stays text
        rows, sheet = _csv(run_folder / name), _cells(book[name])
        assert len(sheet) == len(rows)
        for text_row, cell_row in zip(rows, sheet):
            for text, cell in zip(text_row, cell_row):
                _same(text, cell)
    kpis = _cells(book["KPIs"])
    assert kpis[0][0].startswith("run: the headline table (kpis.csv)")
    table = {row[0]: row[1:3] for row in kpis[3:]}
    data = json.loads((run_folder / "kpis.json").read_text(encoding="utf-8"))["brands"]
    assert table["contribution"] == [data["focal"]["contribution"], data["rival"]["contribution"]]
    assert kpis[2][:3] == ["kpi", "focal", "rival"]
    assert book["KPIs"]["A3"].font.bold and book["KPIs"].freeze_panes == "A4"


def _same(text: str, cell: object) -> None:
    """A CSV cell and its workbook cell hold the same value, with the right type."""
    if text in ("", "nan"):
        assert cell is None
    elif isinstance(cell, dt.datetime):
        assert cell.date().isoformat() == text
    elif isinstance(cell, bool):
        assert str(cell) == text
    elif isinstance(cell, int | float):
        assert float(cell) == float(text), (text, cell)  # full precision: the same double
    else:
        assert cell == text
        with pytest.raises(ValueError):
            float(text)


def test_columns_are_as_wide_as_their_text(run_folder, tmp_path):
    book = openpyxl.load_workbook(export_xlsx(run_folder, tmp_path / "w.xlsx"))
    ws = book["daily_state.csv"]
    for cell in ws[1]:  # the header names are the longest text of this sheet
        width = ws.column_dimensions[cell.column_letter].width
        assert min(len(cell.value) + 2, 60) <= width <= 62


def test_a_compare_folder_gets_its_means_by_variant(tmp_path):
    experiment = tmp_path / "e.yaml"
    experiment.write_text(f"""name: e
base: {ROOT / 'scenarios' / 'baseline.yaml'}
set: {{world.population: 500, world.market_size: 50000, world.graph.degree: 10, simulation.days: 20}}
variants:
  - name: base
  - name: rich
    set: {{brands.focal.strategy.paid_media.0.budget_per_day: 50000}}
replications: 2
seed: 3
metrics: [focal.contribution, focal.revenue]
""", encoding="utf-8")
    done = runner.invoke(app, ["compare", str(experiment), "--out", str(tmp_path / "c"), "--workers", "0", "--no-report"])
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(export_xlsx(tmp_path / "c"))
    assert book.sheetnames[:1] == ["KPIs"] and {"summary.csv", "runs.csv"} <= set(book.sheetnames)
    table = _cells(book["KPIs"])
    assert list(table[2][:4]) == ["metric", "label", "mean: base", "mean: rich"]
    means = {(r[0], r[2]): float(r[6]) for r in _csv(tmp_path / "c" / "summary.csv")[1:]}
    row = next(r for r in table[3:] if r[0] == "focal.contribution")
    assert [row[2], row[3]] == [means[("focal.contribution", "base")], means[("focal.contribution", "rich")]]


def _folder(tmp_path: Path, rows: list[list[str]], marker: str = "kpis.json") -> Path:
    folder = tmp_path / "made"
    folder.mkdir()
    (folder / marker).write_text(json.dumps({"verdict": "Verdict: a beats b."}), encoding="utf-8")
    with (folder / "kpis.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return folder


def test_text_stays_text_and_a_verdict_heads_the_kpi_sheet(tmp_path):
    folder = _folder(tmp_path, [["team", "profit", "share"], ["=HYPERLINK(\"x\")", "1e-07", "nan"],
                                ["1_000", "-12.5", "inf"], ["False", "True", "true"]], marker="lift.json")
    book = openpyxl.load_workbook(export_xlsx(folder))
    ws = book["kpis.csv"]
    assert ws["A2"].data_type == "s" and ws["A2"].value == "=HYPERLINK(\"x\")"  # never a formula
    assert [ws["B2"].value, ws["C2"].value] == [1e-07, None]
    assert [ws["A3"].value, ws["B3"].value, ws["C3"].value] == ["1_000", -12.5, "inf"]
    assert [ws["A4"].value, ws["B4"].value, ws["C4"].value] == [False, True, "true"]
    assert book["KPIs"]["A2"].value == "Verdict: a beats b."


def test_an_existing_workbook_is_kept_unless_forced(run_folder, tmp_path):
    path = tmp_path / "kept.xlsx"
    path.write_bytes(b"mine")
    refused = runner.invoke(app, ["export", str(run_folder), "--xlsx", "--out", str(path)])
    assert refused.exit_code == 1 and "already exists" in refused.output and "--force" in refused.output
    assert path.read_bytes() == b"mine"
    forced = runner.invoke(app, ["export", str(run_folder), "--xlsx", "--out", str(path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert openpyxl.load_workbook(path).sheetnames[0] == "KPIs"


@pytest.mark.parametrize("case, expected", [
    ("missing", "no such folder"),
    ("file", "is a file, not a results folder"),
    ("plain", "not a socsim results folder"),
    ("no_csv", "holds no CSV file"),
    ("not_xlsx", "must end in .xlsx"),
    ("no_format", "choose a format: --xlsx"),
])
def test_bad_input_is_one_clear_line(tmp_path, case, expected):
    folder = tmp_path / "f"
    if case == "file":
        folder.write_text("x", encoding="utf-8")
    elif case == "plain":
        folder.mkdir()
        (folder / "data.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    elif case in ("no_csv", "not_xlsx"):
        folder.mkdir()
        (folder / "kpis.json").write_text("{}", encoding="utf-8")
        if case == "not_xlsx":
            (folder / "kpis.csv").write_text("kpi,focal\norders,1\n", encoding="utf-8")
    args = ["export", str(folder), *([] if case == "no_format" else ["--xlsx"]),
            *(["--out", str(tmp_path / "k.csv")] if case == "not_xlsx" else [])]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert expected in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 3  # one problem (wrapped at most twice)


def test_without_openpyxl_the_error_names_the_pip_command(run_folder, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # import openpyxl now raises ImportError
    result = runner.invoke(app, ["export", str(run_folder), "--xlsx", "--out", str(tmp_path / "x.xlsx")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "openpyxl" in result.output and XLSX_INSTALL in " ".join(result.output.split())
    assert not (tmp_path / "x.xlsx").exists()


def test_a_lesson_folder_exports_the_runs_one_folder_down(tmp_path):
    runs = tmp_path / "lesson" / "runs-ab12"
    runs.mkdir(parents=True)
    (runs / "experiment.json").write_text("{}", encoding="utf-8")
    (runs / "summary.csv").write_text("metric,label,variant,point,point_label,mean\n"
                                      "focal.orders,Orders · focal,keep,0,,10.5\nfocal.orders,Orders · focal,route,0,,12\n",
                                      encoding="utf-8")
    book = openpyxl.load_workbook(export_xlsx(tmp_path / "lesson"))
    assert book.sheetnames == ["KPIs", "runs-ab12-summary.csv"]
    assert _cells(book["KPIs"])[3][:4] == ["focal.orders", "Orders · focal", 10.5, 12]
