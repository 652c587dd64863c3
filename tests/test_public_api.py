"""The public API: ``from sim import …`` for every documented name, loaded on first use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sim


@pytest.mark.parametrize("name", sim.__all__)
def test_every_public_name_resolves(name):
    assert getattr(sim, name) is not None
    assert name in dir(sim)


def test_run_is_the_function_whatever_was_imported_before():
    import sim.simulation  # noqa: F401  (a submodule import must not shadow the function)

    assert callable(sim.run) and sim.run.__module__ == "sim.simulation"


def test_import_sim_loads_no_engine():
    """``import sim`` stays quick: the model, numba and matplotlib load only when used."""
    code = "import sys, sim; print(sorted(m for m in ('numba', 'matplotlib', 'sim.model', 'mesa') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        sim.nonsense  # noqa: B018
