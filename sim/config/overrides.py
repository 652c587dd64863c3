"""Dotted paths into scenario data, and ``--set path=value`` overrides.

A dotted path names one value in the nested dicts and lists of a scenario file
(docs/SCENARIO.md): mapping keys by name, list items by their ``name`` field or by index,
e.g. ``brands.focal.channels.tmall.price`` or ``brands.0.strategy.parity``. The same
paths serve ``--set`` overrides, experiment variants and the keys of a brand's
``strategy.schedule[*].set`` (there relative to the brand).

Overrides are applied to the raw data *before* validation, so an overridden value gets
exactly the messages a value written in the file would get.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Sequence
from typing import Any

import yaml

from sim.errors import Problem, ScenarioError, SocsimError

__all__ = [
    "PathError", "DataLoader", "did_you_mean", "closest", "split_path", "resolve_path", "get_dotted", "set_dotted",
    "parse_override", "apply_overrides", "apply_overrides_tracked",
]

Step = str | int


class PathError(SocsimError, LookupError):
    """A dotted path does not lead anywhere in the data.

    Attributes
    ----------
    path : str
        The dotted path as given.
    message : str
        What is missing and what is available there.
    """

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


def split_path(path: str) -> list[str]:
    """Split ``a.b.0.c`` into its parts; an empty part is an error.

    Raises
    ------
    PathError
        If the path is empty or has an empty part (``a..b``, ``.a``, ``a.``).
    """
    parts = path.strip().split(".")
    if not path.strip() or any(not p.strip() for p in parts):
        raise PathError(path, "a dotted path needs non-empty parts separated by '.', e.g. brands.focal.product.price")
    return [p.strip() for p in parts]


def did_you_mean(word: str, choices: Sequence[str], by_words: bool = False) -> str:
    """``"; did you mean 'x'?"`` for the closest choice, or ``""`` when none is close.

    ``by_words`` also compares ``word`` with the words of each choice (split at ``_``), so
    a name a person guesses (``pricing``) finds the one that holds it (``price_parity``).

    >>> did_you_mean("pricing", ["kol_koc_ads", "price_parity"], by_words=True)
    "; did you mean 'price_parity'?"
    """
    close = closest(word, choices, by_words)
    return f"; did you mean {close!r}?" if close else ""


def closest(word: str, choices: Sequence[str], by_words: bool = False) -> str | None:
    """The choice closest to ``word``, or None when none is close (see :func:`did_you_mean`)."""
    names = [c for c in choices if isinstance(c, str)]
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if not close and by_words:
        words: dict[str, str] = {}  # word → the first choice holding it, leading words first
        split = [name.split("_") for name in names]
        for i in range(max(map(len, split), default=0)):
            for name, parts in zip(names, split):
                if i < len(parts):
                    words.setdefault(parts[i], name)
        near = difflib.get_close_matches(word, [w for w in words if len(w) >= 3], n=1, cutoff=0.6)
        close = [words[near[0]]] if near else []
    return close[0] if close else None


def _where(steps: Sequence[Step]) -> str:
    return ".".join(map(str, steps)) or "the top level"


def _list_step(items: list, part: str, steps: Sequence[Step], path: str) -> int:
    """Index of the item called ``part`` (by its ``name``), else ``part`` read as an index."""
    names = [str(it["name"]) if isinstance(it, dict) and "name" in it else None for it in items]
    if part in names:  # a name wins over an index, so events called "618" stay addressable
        return names.index(part)
    if part.isdigit() and int(part) < len(items):
        return int(part)
    known = [n for n in names if n is not None]
    available = f"names: {', '.join(known)}; " if known else ""
    span = f"indices 0–{len(items) - 1}" if items else "no items (the list is empty)"
    raise PathError(path, f"{_where(steps)} has no item {part!r}; {available}{span}{did_you_mean(part, known)}")


def _dict_step(mapping: dict, part: str, steps: Sequence[Step], path: str, create: bool) -> Step:
    """The key of ``mapping`` that ``part`` names (YAML may have read it as an int)."""
    if part in mapping:
        return part
    if part.isdigit() and int(part) in mapping:
        return int(part)
    if create:
        return part
    keys = [str(k) for k in mapping]
    hint = did_you_mean(part, keys)
    raise PathError(path, f"{_where(steps)} has no key {part!r}; keys there: {', '.join(keys) or 'none'}{hint}")


def resolve_path(data: Any, path: str, *, create: bool = False) -> list[Step]:
    """Concrete keys and indices that a dotted path names in ``data``.

    Parameters
    ----------
    data : Any
        Nested dicts and lists (a raw scenario, or a brand dump).
    path : str
        Dotted path; list items by ``name`` or index.
    create : bool, default False
        Allow missing mapping keys (they are created by :func:`set_dotted`); a missing
        key may only be followed by further mapping keys.

    Returns
    -------
    list of str or int
        One step per part: mapping keys and list indices.

    Raises
    ------
    PathError
        An unknown list item, an index out of range, a missing key (``create=False``),
        or a step into a scalar.
    """
    parts, steps, node = split_path(path), [], data
    for part in parts:
        if isinstance(node, list):
            step: Step = _list_step(node, part, steps, path)
            node = node[step]
        elif isinstance(node, dict):
            step = _dict_step(node, part, steps, path, create)
            node = node.get(step)  # None when just created: only mapping keys may follow
        elif node is None and create:  # an empty section (``world:``) or a key just created
            step = part
        else:
            raise PathError(path, f"{_where(steps)} is {_kind(node)}, so it has no {part!r} inside")
        steps.append(step)
    return steps


def _kind(value: Any) -> str:
    return "empty (null)" if value is None else f"a {type(value).__name__} ({value!r:.40})"


def get_dotted(data: Any, path: str) -> Any:
    """The value at a dotted path.

    Raises
    ------
    PathError
        If the path does not exist (the message lists what does).
    """
    node = data
    for step in resolve_path(data, path):
        node = node[step]
    return node


def set_dotted(data: Any, path: str, value: Any, *, create: bool = True) -> list[Step]:
    """Set the value at a dotted path in place; returns the concrete steps.

    Missing mapping keys are created (empty sections become mappings) unless
    ``create=False``; list items must exist.

    Raises
    ------
    PathError
        If a list item is unknown, or a step goes into a scalar.
    """
    steps = resolve_path(data, path, create=create)
    node = data
    for step in steps[:-1]:
        child = node[step] if isinstance(node, list) else node.get(step)
        if child is None:  # created on the way: the next step is a mapping key
            child = node[step] = {}
        node = child
    node[steps[-1]] = value
    return steps


_YAML_TAG = "tag:yaml.org,2002:"
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~8× faster


class DataLoader(_SafeLoader):  # type: ignore[misc, valid-type]
    """YAML loader for plain data: a SafeLoader whose failures all carry a position.

    ``!!python/...`` and other unknown tags are refused (never executed); an impossible
    date such as ``2026-13-45`` stays text so validation can point at it; any other
    value a constructor rejects (``!!int abc``) becomes a ``ConstructorError`` with
    the node's line.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (yaml.YAMLError, RecursionError):
            raise
        except Exception as exc:  # noqa: BLE001 - PyYAML's constructors fail in many ways on odd input (!!int '' → IndexError)
            what = f"{node.value!r:.40}" if isinstance(node, yaml.ScalarNode) else "this value"
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {what} as {_short_tag(node.tag)}: {exc}", node.start_mark
            ) from None

    def construct_undefined(self, node: yaml.Node) -> Any:
        raise yaml.constructor.ConstructorError(
            None, None,
            f"tag {_short_tag(node.tag)} is not allowed: scenario files hold plain data "
            "(numbers, text, dates, lists, mappings)", node.start_mark,
        )

    def construct_lenient_timestamp(self, node: yaml.Node) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:  # e.g. month 13: keep the text; validation names the field
            return self.construct_scalar(node)


DataLoader.add_constructor(None, DataLoader.construct_undefined)
DataLoader.add_constructor(_YAML_TAG + "timestamp", DataLoader.construct_lenient_timestamp)


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG):] if tag.startswith(_YAML_TAG) else tag


def parse_override(text: str) -> tuple[str, Any]:
    """Split ``path=value`` and read the value as YAML (``149``, ``none``, ``[a, b]``, ``{x: 1}``).

    Raises
    ------
    PathError
        Without ``=``, with an empty path, or with a value that is not valid YAML.
    """
    path, eq, raw = text.partition("=")
    if not eq:
        raise PathError(text, "an override needs the form dotted.path=value, e.g. brands.focal.product.price=149")
    split_path(path)
    try:
        value = yaml.load(raw, Loader=DataLoader) if raw.strip() else None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise PathError(path.strip(), f"cannot read the value {raw!r}: {problem}") from None
    return path.strip(), value


def apply_overrides_tracked(
    data: dict, overrides: Sequence[str]
) -> tuple[dict, dict[tuple[str, ...], str], list[Problem]]:
    """Apply overrides to a copy of ``data``, recording where each one landed.

    Returns
    -------
    data : dict
        A deep copy with every valid override applied in order.
    targets : dict
        Concrete path (as strings) → the override text, so validation problems there
        can be blamed on the override rather than on a line of the file.
    problems : list of Problem
        One per override that could not be applied, with path ``--set <path>``.
    """
    result, targets, problems = copy.deepcopy(data), {}, []
    for text in overrides:
        try:
            path, value = parse_override(text)
            steps = set_dotted(result, path, value)
        except PathError as exc:
            problems.append(Problem(f"--set {exc.path}", exc.message))
            continue
        targets[tuple(map(str, steps))] = text
    return result, targets, problems


def apply_overrides(data: dict, overrides: Sequence[str], *, file: str | None = None) -> dict:
    """Apply ``--set dotted.path=value`` overrides to raw scenario data.

    Parameters
    ----------
    data : dict
        Raw scenario data (as read from YAML, not validated); not modified.
    overrides : sequence of str
        ``path=value`` texts, applied in order; list items by ``name`` or index.
    file : str, optional
        Scenario file name, for error messages.

    Returns
    -------
    dict
        A new dict with the overrides applied (validate it afterwards).

    Raises
    ------
    ScenarioError
        Listing every malformed override, unknown list item or out-of-range index,
        with path ``--set <path>`` and the names available there.

    Examples
    --------
    >>> apply_overrides({"brands": [{"name": "focal", "product": {"price": 129}}]},
    ...                 ["brands.focal.product.price=149"])
    {'brands': [{'name': 'focal', 'product': {'price': 149}}]}
    """
    result, _, problems = apply_overrides_tracked(data, overrides)
    if problems:
        raise ScenarioError(file, problems)
    return result
