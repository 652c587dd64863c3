"""``socsim export``: a results folder as one Excel workbook, a thin command over :mod:`sim.export`.

Registered on the ``socsim`` app by :mod:`sim.cli`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..errors import SocsimError
from ..terminal import say
from .common import reported_errors

__all__ = ["export", "COMMANDS"]


def export(
    folder: Path = typer.Argument(..., help="A results folder a socsim command wrote (run, compare, sweep, lift, elasticity, tournament, lesson)."),
    xlsx: bool = typer.Option(False, "--xlsx", help="Write an Excel workbook (needs openpyxl: pip install 'socsim[xlsx]')."),
    out: Optional[Path] = typer.Option(None, "--out", help="The workbook to write (default: FOLDER/FOLDER-name.xlsx)."),
    force: bool = typer.Option(False, "--force", help="Replace the workbook if it exists (never replaced otherwise)."),
) -> None:
    """Export a results folder for a spreadsheet: one .xlsx with a KPIs sheet and one sheet per CSV.

    The KPIs sheet comes first: the folder's verdict (lift, elasticity) above its headline
    table (a run's KPIs by brand; a compare's or sweep's means by variant; the lift,
    elasticity or tournament table). Numbers stay numbers at full precision, dates are
    dates. openpyxl is optional: pip install 'socsim[xlsx]'.

    Example:  socsim export results/baseline-seed42-20260301-0900 --xlsx
    """
    with reported_errors():
        if not xlsx:
            raise SocsimError("choose a format: --xlsx (an Excel workbook; the only one so far)")
        from ..export import export_xlsx

        path = export_xlsx(folder, out, force=force)
    say("written: ", (str(path), "bold"))


COMMANDS = (export,)
