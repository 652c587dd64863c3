"""The package's import graph: no cycles, no private names across modules.

The graph is read from the source with :mod:`ast`, so it sees imports inside
functions as well as at the top of a module. Imports under
``if TYPE_CHECKING:`` are left out: they never run.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "sim"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(tree: ast.AST):
    """Yield every import node that can run (skips ``if TYPE_CHECKING:`` bodies)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _runtime_imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        yield from _runtime_imports(node)


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The sim module an import name refers to (the longest known prefix)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _edges(modules: dict[str, Path]):
    """Yield (importer, imported module, imported name or None, line)."""
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in _runtime_imports(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = _resolve(alias.name, modules)
                    if target:
                        yield module, target, None, node.lineno
                continue
            source = _absolute(module, is_package, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    yield module, submodule, None, node.lineno
                    continue
                target = _resolve(source, modules)
                if target:
                    yield module, target, alias.name, node.lineno


def _graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for importer, target, _, _ in _edges(modules):
        if target != importer:
            graph[importer].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_graph_reader_sees_the_package():
    modules = _modules()
    assert {"sim", "sim.model", "sim.config.loader"} <= set(modules)
    assert any(target == "sim.config.loader" for _, target, _, _ in _edges(modules))


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    cycles = _cycles(_graph(_modules()))
    assert not cycles, "import cycles in sim/:\n" + "\n".join(" ⇄ ".join(c) for c in cycles)


def _private_attributes(modules: dict[str, Path]):
    """Yield (importer, line, ``alias._name``) for private names read off an imported sim module."""
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        aliases: dict[str, str] = {}
        for node in _runtime_imports(tree):
            if isinstance(node, ast.Import):
                aliases.update({alias.asname: alias.name for alias in node.names if alias.asname})
            else:
                source = _absolute(module, is_package, node)
                aliases.update({alias.asname or alias.name: f"{source}.{alias.name}" for alias in node.names
                                if f"{source}.{alias.name}" in modules})
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _is_private(node.attr)
                    and aliases.get(node.value.id, module) != module):
                yield module, node.lineno, f"{node.value.id}.{node.attr}"


def test_no_private_names_across_modules():
    modules = _modules()
    offences = [f"{modules[importer].relative_to(PACKAGE.parent)}:{line} imports {name} from {target}"
                for importer, target, name, line in _edges(modules)
                if name and _is_private(name) and target != importer]
    offences += [f"{modules[importer].relative_to(PACKAGE.parent)}:{line} reads {name}"
                 for importer, line, name in _private_attributes(modules)]
    assert not offences, "\n".join(offences)


#: The market's actors and mechanisms: they take what they read as arguments.
AGENT_MODULES = ("sim.actors", "sim.population", "sim.market")
#: What they may not import (typing-only imports included): the model, and the scenario loader.
ABOVE_AGENTS = ("sim.model", "sim.config.loader")


def _every_import(tree: ast.AST):
    """Every import node, those under ``if TYPE_CHECKING:`` included."""
    return (node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)))


def test_agents_do_not_call_back_into_the_model():
    """Data flows one way through a day: the model hands actors and market code what they
    need; they never import the model (not even for typing) or apply the configuration."""
    modules = _modules()
    offences = []
    for module, path in modules.items():
        if not any(module == m or module.startswith(m + ".") for m in AGENT_MODULES):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in _every_import(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [_absolute(module, path.name == "__init__.py", node) + "." + a.name for a in node.names])
            hits = {_resolve(n, modules) for n in names} & set(ABOVE_AGENTS)
            offences += [f"{path.relative_to(PACKAGE.parent)}:{node.lineno} imports {hit}" for hit in sorted(hits)]
    assert not offences, "\n".join(offences)


#: Modules whose kernels take their inputs as named structures (NamedTuples), so that no
#: function needs more than :data:`MAX_PARAMETERS` parameters; the list grows with each
#: module restructured that way, until it is all of sim/.
MAX_PARAMETERS = 12


def _wide_functions(source: str, filename: str):
    """Yield (function, line, parameters) for each function of ``source`` (methods and nested
    functions included) with more than :data:`MAX_PARAMETERS` parameters (``*args`` and
    ``**kwargs`` count one each)."""
    for node in ast.walk(ast.parse(source, filename=filename)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            count = len(a.posonlyargs) + len(a.args) + len(a.kwonlyargs) + (a.vararg is not None) + (a.kwarg is not None)
            if count > MAX_PARAMETERS:
                yield node.name, node.lineno, count


def test_parameter_counter_finds_a_wide_function():
    eleven = ", ".join(f"a{i}" for i in range(11))
    source = (f"def wide({eleven}, *more, **options):\n    pass\n"
              f"class C:\n    def method(self, {eleven}, last):\n        pass\n"
              f"def narrow({eleven}, b):\n    pass\n")
    assert [(name, count) for name, _, count in _wide_functions(source, "x.py")] == [("wide", 13), ("method", 13)]


def test_no_function_in_sim_takes_more_than_12_parameters():
    """Kernels included: their inputs travel as named structures (docs/ARCHITECTURE.md)."""
    offences = [f"{path.relative_to(PACKAGE.parent)}:{line} {name} takes {count} parameters"
                for path in _modules().values()
                for name, line, count in _wide_functions(path.read_text(encoding="utf-8"), str(path))]
    assert not offences, (f"more than {MAX_PARAMETERS} parameters (group them in a NamedTuple):\n"
                          + "\n".join(offences))
