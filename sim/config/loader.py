"""Read scenario files into validated models, with errors a user can act on.

Every mistake becomes a :class:`~sim.errors.Problem` carrying the dotted path, the line
in the file, the bad value and what is allowed; all problems of a file are raised
together in one :class:`~sim.errors.ScenarioError`, sorted by line. The steps:

1. read the file (missing file, folder, non-UTF-8 → one clear problem each);
2. compose the YAML node tree with a *safe* loader (``!!python/...`` tags are refused,
   never executed) and index the line of every path; construct the plain data;
3. apply ``--set`` overrides (:mod:`sim.config.overrides`);
4. validate with pydantic and translate each error into plain words
   (:mod:`sim.config.messages`);
5. scenario checks: the edge-list file exists, every schedule entry names real fields
   with valid values and raises no partner count beyond the population.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from sim.errors import Problem, ScenarioError
from sim.files import MAX_DOCUMENT_BYTES, UnreadableFile, read_input

from .messages import describe_value, display_path, problem_at, validation_problems
from .overrides import DataLoader, PathError, apply_overrides_tracked, did_you_mean, get_dotted, set_dotted, split_path
from .schema import BrandSpec, Scenario, partner_count_problems

__all__ = [
    "load_scenario", "load_scenario_text", "load_model", "read_document", "read_text", "validate_document",
    "validation_problems", "apply_brand_changes", "Document", "Check",
]

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """A YAML file read into plain data, remembering where each path was written.

    Attributes
    ----------
    file : str
        Name used in messages (the path as given, or ``<string>``).
    data : dict
        Plain data with overrides applied (not validated).
    lines : Mapping[tuple of str, int]
        Path (keys and indices as text) → 1-based line of its key or list item.
    base_dir : Path
        Folder that relative file paths inside the document are resolved against.
    problems : tuple of Problem
        Problems found while reading (duplicate keys, bad overrides).
    overridden : Mapping[tuple of str, str]
        Path set by an override → the override text.
    """

    file: str
    data: dict
    lines: Mapping[Loc, int]
    base_dir: Path
    problems: tuple[Problem, ...] = ()
    overridden: Mapping[Loc, str] = field(default_factory=dict)

    def line_of(self, loc: Sequence[Any]) -> int | None:
        """Line of the deepest written part of ``loc`` (a missing key → its parent)."""
        key = tuple(str(p) for p in loc if p != "[key]")
        while key not in self.lines and key:
            key = key[:-1]
        return self.lines.get(key)

    def override_at(self, loc: Sequence[Any]) -> str | None:
        """The override that set ``loc`` or a parent of it, if any."""
        key = tuple(str(p) for p in loc if p != "[key]")
        hits = [text for target, text in self.overridden.items() if key[: len(target)] == target]
        return hits[-1] if hits else None


#: A check run after validation: gets the document and the model (None if invalid).
Check = Callable[[Document, Any], list[Problem]]


# --------------------------------------------------------------------------- reading
def read_text(path: Path, file: str | None = None) -> str:
    """A YAML file's text (UTF-8), or a ScenarioError saying why it cannot be read.

    Only regular files of at most :data:`~sim.files.MAX_DOCUMENT_BYTES` are read.
    """
    file = file or str(path)

    def fail(message: str) -> ScenarioError:
        return ScenarioError(file, [Problem("", message)])

    try:
        if path.is_dir():
            found = sorted(p.name for p in path.glob("*.y*ml"))
            raise fail("is a folder, not a scenario file" + (f"; YAML files in it: {', '.join(found)}" if found else ""))
        raw = read_input(path, MAX_DOCUMENT_BYTES)
    except FileNotFoundError:
        siblings = [p.name for p in path.parent.glob("*.y*ml")] if path.parent.is_dir() else []
        raise fail("file not found" + did_you_mean(path.name, siblings)) from None
    except UnreadableFile as exc:
        raise fail(str(exc)) from None
    except (OSError, ValueError) as exc:  # is_dir on a name too long, a NUL byte
        raise fail(f"cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(file, [Problem("", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}); "
                                                "save the file as UTF-8", line)]) from None


def _yaml_problem(exc: yaml.YAMLError, text: str) -> Problem:
    """One problem for a YAML error, at YAML's own line and column."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    if isinstance(exc, yaml.constructor.ConstructorError):
        return Problem("", problem, mark.line + 1 if mark else None)
    context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and context_mark is not None and mark is not None and context_mark.line != mark.line:
        context += f" that starts at line {context_mark.line + 1}"
    message = f"invalid YAML at column {mark.column + 1}: " if mark is not None else "invalid YAML: "
    message += problem + (f" ({context})" if context else "")
    if mark is not None and "\t" in (text.splitlines()[mark.line:mark.line + 1] or [""])[0]:
        message += "; indent with spaces, not tabs"
    return Problem("", message, mark.line + 1 if mark else None)


def _index_lines(root: yaml.Node) -> tuple[dict[Loc, int], list[Problem]]:
    """Line of every mapping key and list item; duplicate keys as problems."""
    lines: dict[Loc, int] = {(): root.start_mark.line + 1}
    problems, seen, stack = [], set(), [((), root)]
    while stack:
        loc, node = stack.pop()
        if id(node) in seen:  # an alias: its paths are indexed where the anchor is
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[(*loc, str(i))] = item.start_mark.line + 1
                stack.append(((*loc, str(i)), item))
        elif isinstance(node, yaml.MappingNode):
            problems += _index_mapping(node, loc, lines, stack)
    return lines, problems


def _index_mapping(node: yaml.MappingNode, loc: Loc, lines: dict[Loc, int], stack: list) -> list[Problem]:
    """Index one mapping's keys; a key written twice is a problem (YAML keeps the last)."""
    first: dict[str, int] = {}
    problems = []
    for key_node, value_node in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
            continue
        key, line = key_node.value, key_node.start_mark.line + 1
        if key in first:
            problems.append(Problem(".".join((*loc, key)), f"key {key!r} appears twice (first at line {first[key]}); "
                                    "YAML would silently keep only the last one", line))
        first.setdefault(key, line)
        lines.setdefault((*loc, key), line)
        stack.append(((*loc, key), value_node))
    return problems


def _parse(text: str, file: str) -> tuple[Any, dict[Loc, int], list[Problem]]:
    """Compose and construct one YAML document with the safe :class:`DataLoader`."""
    loader = None
    try:
        loader = DataLoader(text)  # already reads: refuses unprintable characters
        node = loader.get_single_node()
        # index before constructing: merge keys (<<) rewrite the node tree in place
        lines, problems = _index_lines(node) if node is not None else ({}, [])
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ScenarioError(file, [_yaml_problem(exc, text)]) from None
    except RecursionError:
        raise ScenarioError(file, [Problem("", "the YAML is nested too deeply to read")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None or data is None:
        raise ScenarioError(file, [Problem("", "the file is empty (or only comments); a scenario needs at least "
                                               "'brands' (see docs/SCENARIO.md)", 1)])
    problems = [Problem(display_path(p.path.split("."), data), p.message, p.line) for p in problems]
    if not isinstance(data, dict):
        hint = " (a file name? pass a pathlib.Path)" if isinstance(data, str) and data.endswith((".yaml", ".yml")) else ""
        raise ScenarioError(file, [Problem("", f"the top level must be a mapping of 'key: value' lines "
                                               f"(name:, world:, brands: …); got {describe_value(data)}{hint}", lines[()])])
    return data, lines, problems


#: Deepest nesting of mappings and lists a socsim file may have. The deepest real field
#: (``brands.0.strategy.schedule.0.set.<key>``) is 7 levels; past a few hundred levels
#: Python's own recursion limit would abort validation with a traceback.
MAX_DEPTH = 32


def _too_deep(data: Any, what: str = "the file") -> Problem | None:
    """A problem if ``data`` nests mappings and lists deeper than :data:`MAX_DEPTH` (walked without recursion)."""
    stack, seen = [(data, 0, ())], set()
    while stack:
        value, depth, loc = stack.pop()
        if depth > MAX_DEPTH:
            return Problem(".".join(loc[:3]) + ("…" if len(loc) > 3 else ""),
                           f"{what} nests lists and mappings more than {MAX_DEPTH} levels deep; socsim files need at most "
                           f"{MAX_DEPTH}")
        if isinstance(value, dict | list) and id(value) not in seen:
            seen.add(id(value))
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack += [(item, depth + 1, (*loc, str(key))) for key, item in items]
    return None


def read_document(
    source: str | os.PathLike[str], *, file: str | None = None, base_dir: str | os.PathLike[str] | None = None,
    overrides: Sequence[str] = (),
) -> Document:
    """Read YAML (a file path or the text itself) into a :class:`Document`.

    Parameters
    ----------
    source : str or os.PathLike
        A ``pathlib.Path`` (or other path-like) is read as a file; a ``str`` is the
        YAML text itself.
    file : str, optional
        Name for messages; default the path as given, or ``<string>``.
    base_dir : path-like, optional
        Folder for relative paths inside the file; default the file's folder, or
        the working folder for text.
    overrides : sequence of str, default ()
        ``dotted.path=value`` overrides, applied before validation.

    Raises
    ------
    ScenarioError
        If the file cannot be read, is empty, is not valid YAML, uses a non-data tag,
        or is not a mapping at the top level.
    """
    if isinstance(source, os.PathLike):
        path = Path(source)
        file = file or str(source)
        text = read_text(path, file)
        base = Path(base_dir) if base_dir is not None else path.parent
    else:
        text, file = source, file or "<string>"
        base = Path(base_dir) if base_dir is not None else Path.cwd()
    data, lines, problems = _parse(text, file)
    deep = _too_deep(data)
    if deep is None:  # --set values are YAML too
        data, targets, override_problems = apply_overrides_tracked(data, overrides)
        deep = _too_deep(data, "a --set value")
    if deep is not None:
        raise ScenarioError(file, [Problem(deep.path, deep.message, lines.get(tuple(deep.path.rstrip("…").split(".")), 1))])
    return Document(file, data, lines, base, tuple(problems + override_problems), targets)


# --------------------------------------------------------------------------- validating
def _sorted(problems: Sequence[Problem]) -> list[Problem]:
    """Unique problems; file-wide ones (no line) first, then by line."""
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (p.line is not None, p.line or 0, p.path))


def validate_document(doc: Document, model_cls: type[M], checks: Sequence[Check] = ()) -> M:
    """Validate a document against ``model_cls`` and run extra checks.

    Raises
    ------
    ScenarioError
        With every problem: reading problems, validation errors, failed checks.
    """
    problems = list(doc.problems)
    model = None
    try:
        model = model_cls.model_validate(doc.data)
    except ValidationError as exc:
        problems += validation_problems(exc, model_cls, doc)
    for check in checks:
        problems += check(doc, model)
    if problems:
        raise ScenarioError(doc.file, _sorted(problems))
    return model


# --------------------------------------------------------------------------- scenario checks
def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def _check_graph_file(doc: Document, scenario: Scenario | None) -> list[Problem]:
    """``world.graph.path`` names an existing file, relative to the scenario's folder."""
    raw = _dig(doc.data, "world", "graph", "path")
    if not isinstance(raw, str) or not raw.strip():
        return []
    try:
        path = (doc.base_dir / Path(raw).expanduser()).resolve()
        what = ("" if path.is_file() else "is a folder, not a file" if path.is_dir()
                else "is not a regular file (a FIFO or device?)" if path.exists() else "not found")
    except (OSError, ValueError, RuntimeError) as exc:  # NUL bytes, unknown ~user, name too long
        path, what = Path(raw), f"is not a usable path ({exc})"
    if what:
        message = f"edge-list file {what}: {path} (relative paths start at the scenario's folder {doc.base_dir})"
        return [problem_at(doc, ("world", "graph", "path"), message)]
    if scenario is not None:  # the graph builder gets a path that works from any folder
        scenario.world.graph.path = str(path)
    return []


def _change_problem(base: dict, key: Any, value: Any) -> str | None:
    """What is wrong with one ``set`` entry of a schedule, or None."""
    if not isinstance(key, str):
        return f"a schedule key must be a dotted path inside the brand, e.g. channels.tmall.price; got {describe_value(key)}"
    try:
        parts = split_path(key)
        if parts[0] == "name" or parts[:2] == ["strategy", "schedule"]:
            return "a schedule cannot change the brand's name or its schedule"
        get_dotted(base, key)
        _changed_brand(base, {key: value})
    except PathError as exc:
        return f"no such field in the brand: {exc.message}"
    except ScenarioError as exc:
        return "; ".join(p.message if p.path == key else f"{p.path}: {p.message}" for p in exc.problems)
    return None


def _check_schedules(doc: Document, scenario: Scenario | None) -> list[Problem]:
    """Every ``brands[*].strategy.schedule[*].set`` path exists and its value validates."""
    problems: list[Problem] = []
    for i, brand in enumerate(scenario.brands if scenario is not None else ()):
        base = brand.model_dump(by_alias=True)
        for j, change in enumerate(brand.strategy.schedule):
            where = ("brands", i, "strategy", "schedule", j, "set")
            found = [(key, _change_problem(base, key, value)) for key, value in change.set.items()]
            problems += [problem_at(doc, (*where, key), message) for key, message in found if message]
            if not any(message for _, message in found):
                problems += _changed_brand_problems(doc, where, base, change.set, scenario.world.population)
    return problems


def _changed_brand_problems(doc: Document, where: Sequence[Any], base: dict, changes: Mapping[str, Any],
                            population: int) -> list[Problem]:
    """Problems of a schedule entry's changes applied together (each one alone is valid).

    Scheduled changes bypass the scenario-level checks, so partner counts are checked
    here: a schedule must not raise them beyond the population.
    """
    try:
        changed = _changed_brand(base, changes)
    except ScenarioError as exc:
        return [problem_at(doc, where, f"these changes together: {p.path}: {p.message}") for p in exc.problems]
    return [problem_at(doc, where, f"after this change, {line}") for line in partner_count_problems(changed, population)]


def _changed_brand(base: dict, changes: Mapping[str, Any]) -> BrandSpec:
    """Validate a brand dump with ``changes`` applied (the dump is not modified)."""
    data = copy.deepcopy(base)
    for key, value in changes.items():
        set_dotted(data, key, value, create=False)
    try:
        return BrandSpec.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(None, validation_problems(exc, BrandSpec, data=data)) from None


def apply_brand_changes(brand: BrandSpec, changes: Mapping[str, Any]) -> BrandSpec:
    """A copy of ``brand`` with a schedule entry's ``set`` changes applied and validated.

    Parameters
    ----------
    brand : BrandSpec
        The brand as loaded (not modified).
    changes : Mapping[str, Any]
        Dotted paths relative to the brand → new values, e.g.
        ``{"channels.tmall.price": 99, "strategy.parity": "none"}``; list items by
        ``name`` or index.

    Returns
    -------
    BrandSpec
        A new, validated brand.

    Raises
    ------
    ScenarioError
        If a path does not exist in the brand or a value is not allowed (the loader
        checks every schedule at load time, so a loaded scenario never raises here).
    """
    base = brand.model_dump(by_alias=True)
    try:
        for key in changes:
            get_dotted(base, key)
    except PathError as exc:
        raise ScenarioError(None, [Problem(exc.path, f"no such field in brand {brand.name!r}: {exc.message}")]) from None
    return _changed_brand(base, changes)


# --------------------------------------------------------------------------- public API
def load_model(
    source: str | os.PathLike[str], model_cls: type[M], *, overrides: Sequence[str] = (),
    file: str | None = None, base_dir: str | os.PathLike[str] | None = None, checks: Sequence[Check] = (),
) -> M:
    """Read YAML and validate it as ``model_cls`` (scenarios, and later experiment files).

    Parameters
    ----------
    source : str or os.PathLike
        A path-like (``pathlib.Path``) is read as a file; a ``str`` is YAML text.
    model_cls : type of BaseModel
        The root model.
    overrides : sequence of str, default ()
        ``dotted.path=value`` overrides, applied before validation.
    file : str, optional
        Name for messages (default: the path, or ``<string>``).
    base_dir : path-like, optional
        Folder for relative paths in the file (default: the file's folder, or cwd).
    checks : sequence of Check, default ()
        Extra checks ``check(document, model_or_None) -> list[Problem]``.

    Returns
    -------
    model_cls
        The validated model.

    Raises
    ------
    ScenarioError
        With every problem found, each rendered as ``file:line: dotted.path: message``.
    """
    doc = read_document(source, file=file, base_dir=base_dir, overrides=overrides)
    return validate_document(doc, model_cls, checks)


_SCENARIO_CHECKS: tuple[Check, ...] = (_check_graph_file, _check_schedules)


def load_scenario_text(
    text: str, file: str = "<string>", overrides: Sequence[str] = (), base_dir: str | os.PathLike[str] | None = None,
) -> Scenario:
    """Validate scenario YAML given as text; see :func:`load_scenario`.

    ``base_dir`` (default: the working folder) anchors relative paths such as
    ``world.graph.path``.
    """
    return load_model(text, Scenario, overrides=overrides, file=file, base_dir=base_dir, checks=_SCENARIO_CHECKS)


def load_scenario(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path : str or os.PathLike
        The scenario YAML file.
    overrides : sequence of str, default ()
        ``--set`` overrides such as ``brands.focal.channels.tmall.price=149``; list
        items by ``name`` or index; values read as YAML.

    Returns
    -------
    Scenario
        Validated; ``world.graph.path`` made absolute; every schedule entry checked.

    Raises
    ------
    ScenarioError
        Listing every problem, sorted by line, e.g.
        ``baseline.yaml:57: brands.0 (focal).product.price: got -5; must be > 0 and ≤ 1 000 000``.

    Examples
    --------
    >>> s = load_scenario("scenarios/baseline.yaml", ["brands.focal.product.price=149"])
    >>> s.brands[0].product.price
    149.0
    """
    return load_model(Path(path), Scenario, overrides=overrides, file=str(path), checks=_SCENARIO_CHECKS)
