"""Fuzz every kind of file socsim reads, and ``--set``: whatever the bytes, the answer is
a verdict (``ok``) or one-line errors with a non-zero exit — never a traceback, never a
hang (each case has 5 s), never a path outside the output folder.

Each kind starts from a real file and mutates it (slices replaced by YAML punctuation,
Rich markup, emoji codes, huge or non-finite numbers, aliases, deep brackets, control
characters). Hypothesis runs derandomised, so a failure repeats.
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.config.loader import load_scenario
from sim.errors import SocsimError
from sim.files import confined

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.yaml"
runner = CliRunner()
FUZZ = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

#: Pieces a hostile or careless file is made of.
PIECES = ["[/b]", "[bold]", ":x:", "{", "}", "[", "]", ": ", "- ", "#", "&a", "*a", "&a [*a]", "!!python/object:os.system",
          "!!binary", "~", "null", "1e308", "-1e308", ".nan", ".inf", "-0", "1" + "0" * 400, "9" * 5000, "'", '"', "\\",
          "\t", "\r", "\x00", "\x1b[31m", "%", "@", "=HYPERLINK(\"x\")", "../../x", "/etc/passwd", "[" * 200 + "]" * 200,
          "<<: *a", "\n", "\n  ", "é中文", "\ufeff", "2026-02-30", "06-18", "yes", "0x1F", "1_000", "\u202e"]
piece = st.one_of(st.sampled_from(PIECES), st.text(max_size=12))
edits = st.lists(st.tuples(st.floats(0, 1), st.integers(0, 40), piece), min_size=1, max_size=6)


def mutate(text: str, changes: list[tuple[float, int, str]]) -> str:
    """``text`` with each change applied: at a fraction of the text, cut some characters and put a piece."""
    for where, cut, put in changes:
        at = int(where * len(text))
        text = text[:at] + put + text[at + cut:]
    return text


@contextmanager
def within(seconds: int):
    """Fail a case that takes longer than ``seconds`` (a hang), instead of hanging the suite."""
    def expire(signum, frame):
        raise TimeoutError(f"a fuzz case took over {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def verdict(*args: str) -> str:
    """Run socsim; it must end with status 0 or 1, never with an exception of its own."""
    with within(5):
        result = runner.invoke(app, list(args))
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.output


def _absolute(text: str) -> str:
    """Relative references of the sample files made absolute, so a fuzzed copy elsewhere still reaches them."""
    return (text.replace("../scenarios/", f"{ROOT}/scenarios/").replace("experiments/lessons/", f"{ROOT}/experiments/lessons/")
            .replace("csv: observed_orders.csv", f"csv: {ROOT}/scenarios/targets/observed_orders.csv"))


def test_edge_list_any_mutation(tmp_path_factory):
    from sim.graph.edgelist import edge_list

    sample = "# u v layer\n" + "".join(f"{i} {(i + 1) % 50} {i % 4}\n" for i in range(50))

    @FUZZ
    @given(changes=edits)
    def case(changes):
        path = tmp_path_factory.mktemp("edges") / "edges.txt"
        path.write_text(mutate(sample, changes), encoding="utf-8", errors="surrogatepass")
        with within(5):
            try:
                graph = edge_list(path, 50)
            except SocsimError:
                return
        assert graph.n == 50

    case()


SAMPLES = {
    "scenario": BASELINE,
    "experiment": ROOT / "experiments" / "channel_protection.yaml",
    "sweep": ROOT / "experiments" / "budget_mix.yaml",
    "sensitivity": ROOT / "experiments" / "sensitivity_levers.yaml",
    "optimise": ROOT / "experiments" / "optimise_levers.yaml",
    "targets": ROOT / "scenarios" / "targets" / "observed_orders.yaml",
    "team": ROOT / "experiments" / "tournament_example" / "01_tmall_blitz.yaml",
    "lesson": ROOT / "sim" / "lessons" / "catalog" / "referral.yaml",
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
def test_validate_any_mutation_of_a_file(tmp_path_factory, kind):
    sample = _absolute(SAMPLES[kind].read_text(encoding="utf-8"))

    @FUZZ
    @given(changes=edits)
    def case(changes):
        folder = tmp_path_factory.mktemp(kind)
        path = folder / f"{kind}.yaml"
        path.write_text(mutate(sample, changes), encoding="utf-8", errors="surrogatepass")
        verdict("validate", str(path))

    case()


def test_calibration_csv_any_mutation(tmp_path_factory):
    data = (ROOT / "scenarios" / "targets" / "observed_orders.csv").read_text(encoding="utf-8")
    targets = (ROOT / "scenarios" / "targets" / "observed_orders.yaml").read_text(encoding="utf-8")

    @FUZZ
    @given(changes=edits)
    def case(changes):
        folder = tmp_path_factory.mktemp("csv")
        (folder / "observed_orders.csv").write_text(mutate(data, changes), encoding="utf-8", errors="surrogatepass")
        (folder / "observed_orders.yaml").write_text(targets, encoding="utf-8")
        verdict("validate", str(folder / "observed_orders.yaml"))

    case()


@FUZZ
@given(path=st.one_of(st.sampled_from(["name", "world.population", "brands.focal.channels.tmall.price",
                                       "brands.0.strategy.parity", "brands.focal.strategy.paid_media.0.budget_per_day",
                                       "simulation.seed", "world.graph", "brands.-1", "brands.9.name", "outputs.dir"]),
                      st.text(max_size=30)),
       value=st.one_of(piece, st.text(max_size=40)))
def test_set_any_path_and_value(path, value):
    with within(5):
        try:
            load_scenario(BASELINE, [f"{path}={value}"])
        except SocsimError:
            pass


@FUZZ
@given(name=st.one_of(piece, st.text(max_size=60)))
def test_no_name_leaves_the_output_folder(name):
    out = Path("/srv/results")
    assert confined(out, name).parent == out
    assert confined(out, f"{name}-seed42-20260101-000000").resolve().parent == out
