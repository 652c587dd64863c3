"""Which kind of socsim file a YAML document is, told by its top-level keys.

``socsim validate`` reads any socsim file; this module decides what it is checked as.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["FILE_KINDS", "file_kind"]

FILE_KINDS = ("scenario", "experiment", "team", "lesson", "sensitivity", "targets", "optimise", "elasticity targets")
"""Every kind :func:`file_kind` can return, in the order that breaks ties."""


def _kind_fields() -> dict[str, set[str]]:
    """Each kind's top-level keys, from the pydantic model that reads it (imported late: they sit on upper layers)."""
    from ..analysis.spec import CalibrationSpec, OptimiseSpec, SensitivitySpec
    from ..experiments.elasticity import ElasticityTargets
    from ..experiments.spec import Experiment
    from ..lessons.spec import Lesson
    from ..tournament import TeamEntry
    from .schema import Scenario

    models = (Scenario, Experiment, TeamEntry, Lesson, SensitivitySpec, CalibrationSpec, OptimiseSpec, ElasticityTargets)
    return {kind: set(model.model_fields) for kind, model in zip(FILE_KINDS, models)}


def file_kind(data: Mapping) -> tuple[str, list[str]]:
    """The kind of socsim file ``data`` (a parsed YAML mapping) is, and the keys that told it.

    Parameters
    ----------
    data : Mapping
        The document's top level.

    Returns
    -------
    tuple of (str, list of str)
        One of :data:`FILE_KINDS`, and its telling keys (the keys only it has, else
        those of its keys the document holds).

    Notes
    -----
    The kind with most keys that only it has wins, then the one with most of its keys;
    on a tie the earlier kind, so a file with no telling key is read as a scenario and a
    broken scenario file is still reported as one.
    """
    fields = _kind_fields()
    known = {kind: sorted(str(k) for k in data if k in own) for kind, own in fields.items()}
    told = {kind: [k for k in keys if all(k not in fields[o] for o in fields if o != kind)] for kind, keys in known.items()}
    kind = max(fields, key=lambda k: (len(told[k]), len(known[k])))  # max keeps the first on a tie
    return kind, told[kind] or known[kind]
