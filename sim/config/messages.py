"""Pydantic validation errors in plain words, at a readable path and line.

Each entry of a ``ValidationError`` becomes a :class:`~sim.errors.Problem` saying what
was given and what is allowed (bounds, choices, keys, with a "did you mean"), located
at a dotted path that shows list items' names (``brands.0 (focal).product.price``) and
at the line of the document it came from, or blaming the ``--set`` override that set it.
:mod:`sim.config.loader` uses :func:`validation_problems` after validating a document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from sim.errors import Problem

from .overrides import did_you_mean
from .reference import field_at, literal_choices, model_of, range_text, strip_optional

if TYPE_CHECKING:  # pragma: no cover
    from .loader import Document

__all__ = ["validation_problems", "problem_at", "display_path", "describe_value"]


# --------------------------------------------------------------------------- messages
_PATTERNS = {
    r"^\d{2}-\d{2}$": 'MM-DD in quotes, e.g. "06-18"',
    r"^[A-Za-z0-9_\-]+$": "letters, digits, '_' and '-' only (no spaces)",
}
_WANTS = {
    "int": "must be a whole number", "float": "must be a number", "bool": "must be true or false",
    "string": "must be text (put it in quotes)", "date": "must be a date written YYYY-MM-DD, e.g. 2026-11-11",
    "dict": "must be a mapping of 'key: value' lines", "model": "must be a mapping of 'key: value' lines",
    "list": "must be a list, e.g. [a, b] or lines starting with '- '", "tuple": "must be a list, e.g. [a, b]",
    "finite": "must be a finite number", "recursion": "refers to itself (a YAML alias loop)",
}
_RANGE_TYPES = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}


def describe_value(value: Any) -> str:
    """A value as the user wrote it, shortened."""
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)}" if value else "an empty list"
    text = repr(value) if isinstance(value, str) else str(value)
    text = text if len(text) <= 50 else text[:47] + "…"
    return f"{text} (a date; put it in quotes for text)" if type(value).__name__ in ("date", "datetime") else text


def _choices_message(value: Any, choices: Sequence[str], what: str = "got") -> str:
    hint = did_you_mean(value, choices) if isinstance(value, str) else ""
    return f"{what} {describe_value(value)}; allowed: {' | '.join(choices)}{hint}"


def _key_message(err: dict, root: type[BaseModel], mapping_loc: tuple) -> str:
    """A key of a user-named mapping is wrong (a segment name, a non-text key)."""
    annotation, _ = field_at(root, mapping_loc)
    origin_args = getattr(strip_optional(annotation), "__args__", ())
    choices = literal_choices(origin_args[0]) if origin_args else None
    if err["type"] == "literal_error" and choices:
        return _choices_message(err["input"], choices, "unknown key")
    return f"key {describe_value(err['input'])} must be text; put it in quotes: '{err['input']}'"


def _extra_message(key: Any, root: type[BaseModel], loc: tuple) -> str:
    model = model_of(field_at(root, loc)[0])
    names = [info.alias or name for name, info in model.model_fields.items()] if model else []
    hint = did_you_mean(str(key), names + (list(model.model_fields) if model else []))
    return f"unknown key {str(key)!r}" + (hint or f"; allowed keys: {', '.join(names)}")


def _missing_message(root: type[BaseModel], loc: tuple) -> str:
    if loc and isinstance(loc[-1], int):  # a fixed-length tuple given too few values
        annotation, _ = field_at(root, loc[:-1])
        return f"too few values: expected {len(getattr(annotation, '__args__', ()))}, item {loc[-1]} is missing"
    _, info = field_at(root, loc)
    return "required field missing" + (f" ({info.description})" if info and info.description else "")


def _message(err: dict, root: type[BaseModel]) -> str:
    """Plain-words message for one pydantic error: what was given, what is allowed."""
    kind, loc, value, ctx = err["type"], tuple(err["loc"]), err.get("input"), err.get("ctx") or {}
    if loc[-1:] == ("[key]",) or kind == "invalid_key":
        return _key_message(err, root, loc[:-2] if kind != "invalid_key" else loc[:-1])
    if kind == "missing":
        return _missing_message(root, loc)
    if kind == "extra_forbidden":
        return _extra_message(loc[-1], root, loc[:-1])
    if kind in _RANGE_TYPES:
        allowed = range_text(field_at(root, loc)[1]) or f"{_RANGE_TYPES[kind]} {next(iter(ctx.values()), '')}"
        return f"got {describe_value(value)}; must be {allowed}"
    if kind == "literal_error":
        return _choices_message(value, literal_choices(field_at(root, loc)[0]) or re.findall(r"'([^']*)'", str(ctx.get("expected"))))
    if kind == "string_pattern_mismatch":
        return f"got {describe_value(value)}; must be {_PATTERNS.get(ctx.get('pattern'), 'text matching ' + str(ctx.get('pattern')))}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        bound = ctx.get("min_length", ctx.get("max_length"))
        unit = ("character" if kind.startswith("string") else "item") + ("s" if bound != 1 else "")
        return f"got {describe_value(value)}; must have at {'least' if 'short' in kind else 'most'} {bound} {unit}"
    wants = _WANTS.get(kind.split("_")[0])
    if wants:
        detail = f" ({ctx['error']})" if kind.startswith("date") and ctx.get("error") else ""
        return f"got {describe_value(value)}; {wants}{detail}"
    return f"got {describe_value(value)}; {err['msg'][0].lower()}{err['msg'][1:]}"


# --------------------------------------------------------------------------- locating
_PREFIX = re.compile(r"^(?P<path>[A-Za-z_][\w\-]*(?:\.[\w\-]+)*): (?P<rest>.+)$")
_UNKNOWN_REF = re.compile(r"unknown \w+ '(?P<name>[^']*)'; defined \w+: (?P<known>.*)$")
_TWICE = re.compile(r"^brand name '(?P<name>.*)' is used twice")


def _split_prefix(loc: tuple, message: str, data: Any, root: type[BaseModel]) -> tuple[tuple, str]:
    """Validator messages may start with ``dotted.path: ``: move that into the location.

    Model validators report at their model's location; the schema's cross-reference
    checks name the exact field (relative to that model) at the start of the message.
    """
    match = _PREFIX.match(message)
    if match and "." not in match["path"]:  # one word: only a field of that model counts ("to: …")
        model = model_of(field_at(root, loc)[0])
        match = match if model and field_at(model, (match["path"],))[1] is not None else None
    if match:
        parts = tuple(int(p) if p.isdigit() else p for p in match["path"].split("."))
        loc, message = loc + parts, match["rest"]
    ref = _UNKNOWN_REF.search(message)
    if ref:
        message += did_you_mean(ref["name"], ref["known"].split(", "))
    twice = _TWICE.match(message)
    if twice and not loc:  # until schema.py names the path itself: the second brand of that name
        names = [b.get("name") if isinstance(b, dict) else None for b in data.get("brands", [])]
        hits = [i for i, n in enumerate(names) if str(n) == twice["name"]]
        loc = ("brands", hits[-1], "name") if len(hits) > 1 else loc
    return loc, message


def display_path(loc: Sequence[Any], data: Any) -> str:
    """Dotted path; list items with a ``name`` also show it: ``brands.0 (focal).product``."""
    parts, node = [], data
    for part in loc:
        if part == "[key]":
            continue
        text = str(part)
        if isinstance(node, list) and str(part).isdigit() and int(part) < len(node):
            node = node[int(part)]
            if isinstance(node, dict) and isinstance(node.get("name"), str | int) and not isinstance(node["name"], bool):
                text = f"{part} ({node['name']})"
        elif isinstance(node, dict):
            node = node.get(part, node.get(str(part)))
        else:
            node = None
        parts.append(text)
    return ".".join(parts)


def problem_at(doc: Document | None, loc: Sequence[Any], message: str, data: Any = None) -> Problem:
    """A problem at ``loc``: readable path, line in the file, or the override to blame."""
    data = doc.data if doc is not None else data
    if doc is None:
        return Problem(display_path(loc, data), message)
    blamed = doc.override_at(loc)
    if blamed is not None:  # the value came from --set, not from any line of the file
        return Problem(display_path(loc, data), f"{message} (from --set {blamed})")
    return Problem(display_path(loc, data), message, doc.line_of(loc))


def validation_problems(
    exc: ValidationError, model_cls: type[BaseModel], doc: Document | None = None, *, data: Any = None
) -> list[Problem]:
    """Translate a pydantic ``ValidationError`` into problems with paths, lines, values.

    Parameters
    ----------
    exc : ValidationError
        Raised by ``model_cls.model_validate``.
    model_cls : type of BaseModel
        The model that was validated (used to look up bounds, choices and keys).
    doc : Document, optional
        The document validated; gives line numbers and override blame.
    data : Any, optional
        The validated data when there is no document (for brand names in paths).

    Returns
    -------
    list of Problem
        One per error, in pydantic's order.
    """
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] not in ("value_error", "assertion_error"):
            problems.append(problem_at(doc, loc, _message(err, model_cls), data))
            continue
        raw = str(err.get("ctx", {}).get("error", err["msg"]))
        for line in raw.splitlines() or [raw]:  # a validator may report several, one per line
            where, message = _split_prefix(loc, line, doc.data if doc else data or {}, model_cls)
            problems.append(problem_at(doc, where, message, data))
    return problems
