"""The command line at 80 columns (COLUMNS=80): help and tables fit, nothing cut; --version; did-you-mean."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from rich.cells import cell_len

from sim import __version__
from sim.cli.help import reflow


def _socsim(*args: str, columns: int = 80) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": str(columns), "TERMINAL_WIDTH": str(columns)}
    return subprocess.run([sys.executable, "-c", "from sim.cli import app; app(prog_name='socsim')", *args], capture_output=True, text=True, env=env, timeout=300)


def _fits(text: str, width: int = 80) -> None:
    wide = [line for line in text.splitlines() if cell_len(line) > width]
    assert not wide, wide[:3]
    cut = [line for line in text.splitlines() if re.search(r"\S…", line)]  # a word or path cut short (not "1, …")
    assert not cut, cut[:3]


HELP = ["", "run", "compare", "sweep", "lift", "check", "lesson", "tournament", "dashboard", "sensitivity", "calibrate",
        "optimise", "elasticity", "validate", "detractors", "game debrief"]


@pytest.mark.parametrize("command", HELP)
def test_help_fits_80_columns_and_keeps_every_word(command):
    result = _socsim(*command.split(), "--help")
    assert result.returncode == 0, result.stderr
    _fits(result.stdout)


def test_help_prose_is_reflowed_not_broken_at_the_source_lines():
    text = _socsim("compare", "--help").stdout
    line = next(line for line in text.splitlines() if "numbers)," in line)
    assert "so differences" in line, line  # not broken where the docstring's source line ended


def test_markup_in_help_is_text():
    assert "pip install 'socsim[dashboard]'" in " ".join(_socsim("dashboard", "--help").stdout.split())


def test_reflow_joins_a_paragraph_and_keeps_examples():
    text = "Every variant runs\n    the same seeds.\n\n    Examples:  socsim a\n               socsim b [x]"
    assert reflow(text) == "Every variant runs the same seeds.\n\nExamples:  socsim a\n           socsim b \\[x]"


def test_tables_fit_80_columns(tmp_path):
    lessons = _socsim("lessons", "--lang", "en")
    assert lessons.returncode == 0 and " price_parity " in lessons.stdout
    _fits(lessons.stdout)
    run = _socsim("run", "--days", "10", "--no-plots", "--out", str(tmp_path / "r"), "--set", "world.population=800",
                  "--set", "world.market_size=80000", "--set", "world.graph.degree=10")
    assert run.returncode == 0, run.stderr
    _fits(run.stdout.split("results:")[0])


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_flag(flag):
    result = _socsim(flag)
    assert result.returncode == 0 and result.stdout.strip() == f"socsim {__version__}"


@pytest.mark.parametrize("args, hint", [
    (["lesson", "pricing", "--lang", "en"], "no lesson 'pricing'; did you mean 'price_parity'?"),
    (["lesson", "routing", "--lang", "en"], "did you mean 'double11_routing'?"),
    (["check", "--only", "spilover"], "--only: unknown check 'spilover'; did you mean 'spillover'?"),
    (["check", "--only", "zzzz"], "--only: unknown check 'zzzz'; choose from spillover"),
])
def test_unknown_lesson_or_check_names_the_closest(args, hint):
    result = _socsim(*args)
    assert result.returncode == 1 and hint in " ".join((result.stdout + result.stderr).split())
    assert "Traceback" not in result.stderr
