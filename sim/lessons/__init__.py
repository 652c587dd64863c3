"""Training lessons: ready-to-run experiments with a bilingual (zh/en) handout.

* :mod:`~sim.lessons.spec` declares the lesson file; :mod:`~sim.lessons.catalog` reads
  and checks the shipped lessons (``sim/lessons/catalog/*.yaml``);
* :mod:`~sim.lessons.runner` runs a lesson at its workshop or test size through
  :mod:`sim.experiments` (common random numbers, paired 95 % intervals) and checks its claims;
* :mod:`~sim.lessons.handout` writes the self-contained HTML handout (plots embedded,
  Chinese glyphs embedded as a font subset).

Examples
--------
>>> from sim.lessons import load_lesson, run_lesson, write_handout   # doctest: +SKIP
>>> lesson = load_lesson("price_parity")                              # doctest: +SKIP
>>> result = run_lesson(lesson)                                       # doctest: +SKIP
>>> write_handout(lesson, result, "zh")                               # doctest: +SKIP
PosixPath('results/lessons/price_parity/handout.zh.html')
"""

from importlib import import_module
from typing import Any

__all__ = ["Lesson", "load_lesson", "load_catalog", "lesson_names", "run_lesson", "run_claims", "lesson_design",
           "write_handout"]

_HOME = {"Lesson": "spec", "load_lesson": "catalog", "load_catalog": "catalog", "lesson_names": "catalog",
         "run_lesson": "runner", "run_claims": "runner", "lesson_design": "runner", "write_handout": "handout"}


def __getattr__(name: str) -> Any:
    """Import on first use: listing lessons should not pay for matplotlib and the experiment runner."""
    if name in _HOME:
        return getattr(import_module(f".{_HOME[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
