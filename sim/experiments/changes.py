"""Changes to scenarios, checked with the experiment file's lines.

A ``set`` block (nested mappings or ``path=value`` lines) is flattened into dotted-path
changes that remember where the experiment file wrote them; :class:`CellBuilder` applies
them to a base scenario's raw data and validates the result, so a bad value is reported
at the experiment file's line with the scenario schema's own message.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator, Sequence

from sim.config.loader import Document, load_scenario, load_scenario_text, read_document, validate_document
from sim.config.overrides import PathError, parse_override, set_dotted
from sim.config.schema import Scenario
from sim.errors import Problem, ScenarioError, SocsimWarning

__all__ = ["Change", "CellBuilder", "code_fingerprint", "changes_of", "cli_changes", "describe", "display", "digest", "Loc"]

Loc = tuple[str, ...]


@dataclass(frozen=True)
class Change:
    """One change: dotted path, value, and where it was written (``loc``) or the ``--set`` text."""

    path: str
    value: Any
    loc: Loc | None  # where in the experiment file; None: a --set override
    text: str


def changes_of(settings: Any, loc: Loc) -> tuple[list[Change], list[Problem]]:
    """Flatten a ``set`` block: nested mappings become dotted paths; lines are parsed like --set."""
    if isinstance(settings, list):
        out, problems = [], []
        for i, text in enumerate(settings):
            try:
                path, value = parse_override(text)
                out.append(Change(path, value, (*loc, str(i)), text))
            except PathError as exc:
                problems.append(Problem(".".join((*loc, str(i))), exc.message))
        return out, problems
    return [Change(".".join(parts), value, (*loc, *parts), "") for parts, value in _flatten(settings, ())], []


def _flatten(settings: dict, prefix: Loc) -> Iterator[tuple[Loc, Any]]:
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            yield from _flatten(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def cli_changes(overrides: Sequence[str]) -> tuple[list[Change], list[Problem]]:
    """Command-line ``--set path=value`` texts as changes (no line: problems blame the option)."""
    out, problems = [], []
    for text in overrides:
        try:
            path, value = parse_override(text)
            out.append(Change(path, value, None, text))
        except PathError as exc:
            problems.append(Problem(f"--set {exc.path}", exc.message))
    return out, problems


def describe(changes: Sequence[Change]) -> tuple[str, ...]:
    """``path = value`` lines for the report (values as JSON)."""
    return tuple(f"{c.path} = {json.dumps(c.value, default=str, ensure_ascii=False)}" for c in changes)


@dataclass
class CellBuilder:
    """Builds and checks the cells of one experiment, collecting problems."""

    doc: Document
    problems: list[Problem] = field(default_factory=list)
    bases: dict[str, tuple[dict, Path]] = field(default_factory=dict)

    def line(self, loc: Loc | None) -> int | None:
        return self.doc.line_of(loc) if loc else None

    def problem(self, loc: Loc, message: str) -> None:
        self.problems.append(Problem(display(loc, self.doc.data), message, self.line(loc)))

    def notice(self, loc: Loc, message: str) -> None:
        """Warn (:class:`~sim.errors.SocsimWarning`) about something valid but changed, at ``loc``'s line."""
        where = Problem(display(loc, self.doc.data), message, self.line(loc)).render(self.doc.file)
        warnings.warn(where, SocsimWarning, stacklevel=2)

    def base(self, ref: str, loc: Loc) -> tuple[dict, Path] | None:
        """Raw data and folder of a scenario file named at ``loc``; problems if it does not load."""
        path = (self.doc.base_dir / Path(ref).expanduser()).resolve()
        if str(path) not in self.bases:
            shown = os.path.relpath(path) if not os.path.relpath(path).startswith("../..") else str(path)
            try:
                load_scenario(shown)
            except ScenarioError as exc:
                hint = f" (relative paths start at the experiment's folder {self.doc.base_dir})" if not path.exists() else ""
                for p in exc.problems:
                    self.problem(loc, f"scenario {p.render(exc.file)}{hint}")
                return None
            self.bases[str(path)] = (read_document(path).data, path.parent)
        return self.bases[str(path)]

    def cell(self, base: tuple[dict, Path], changes: Sequence[Change], where: Loc, context: str) -> Scenario | None:
        """Apply ``changes`` to the base data and validate; problems at the changes' lines."""
        data, folder = copy.deepcopy(base[0]), base[1]
        start = self.line(where)
        lines: dict[Loc, int] = {(): start} if start else {}
        overridden: dict[Loc, str] = {}
        for ch in changes:
            try:
                steps = tuple(map(str, set_dotted(data, ch.path, copy.deepcopy(ch.value))))
            except PathError as exc:
                where_ = display(ch.loc, self.doc.data) if ch.loc else f"--set {ch.path}"
                self.problems.append(Problem(where_, f"no such field in the scenario: {exc.message}", self.line(ch.loc)))
                return None
            if ch.loc is None:
                overridden[steps] = ch.text
            else:
                line = self.line(ch.loc) or start
                if line:
                    lines[steps] = line
        try:
            return load_scenario_text(json.dumps(data, default=str), file=self.doc.file, base_dir=folder)
        except ScenarioError as exc:
            self._explain(Document(self.doc.file, data, lines, folder, (), overridden), exc, context)
            return None

    def _explain(self, doc: Document, exc: ScenarioError, context: str) -> None:
        """Re-validate with the experiment's lines to say which change broke the scenario."""
        try:
            validate_document(doc, Scenario)
            found = [Problem(p.path, p.message, doc.lines.get(())) for p in exc.problems]
        except ScenarioError as located:
            found = located.problems
        self.problems += [Problem(p.path, f"{p.message} ({context})", p.line) for p in found]


def display(loc: Loc, data: Any) -> str:
    """Dotted path with names of list items: ``variants.1 (strict).set.brands.focal.strategy.parity``."""
    parts, node = [], data
    for part in loc:
        text = part
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
            if isinstance(node, dict) and isinstance(node.get("name") or node.get("label"), str):
                text = f"{part} ({node.get('name') or node.get('label')})"
        else:
            node = node.get(part) if isinstance(node, dict) else None
        parts.append(text)
    return ".".join(parts)


#: Parts of the package that do not change what a run computes (left out of the code fingerprint).
_PRESENTATION = ("experiments/", "cli/", "plots/", "dashboard/", "lessons/")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the model's source: every ``sim/**/*.py`` except presentation code.

    Part of the design digest, so runs made with a different model (an upgrade, an edited
    rule) never share a results folder with runs made now.
    """
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if not rel.startswith(_PRESENTATION):
            h.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def digest(data: Any) -> str:
    """SHA-256 (hex) of ``data`` as canonical JSON (sorted keys)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
