"""The package's import graph: no circles, and nothing imports a package that contains it.

Every import counts, also those inside functions (a lazy import is still a dependency). An
import that reaches into a package ``__init__`` for a name defined there ("upwards", e.g.
``from . import __version__`` or ``import aecourse`` inside the package) is refused: the
root re-exports for notebooks; the modules below it must not depend on it.
"""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "aecourse"


def module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(name):
    """The modules of the package that module ``name`` imports, anywhere in its code."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # `from x import y`: y is a module of its own, or a name in x
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {target for target in found if target in MODULES and target != name}


GRAPH = {name: imports(name) for name in MODULES}


def cycle(graph):
    """One circle of the graph as a list of nodes, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                return stack[stack.index(target):] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_reader_finds_the_imports_it_should():
    assert {"aecourse.instant", "aecourse.live", "aecourse.data"} <= GRAPH["aecourse.train"]  # relative forms
    assert {"aecourse.exercises.core", "aecourse.exercises.outcome"} <= GRAPH["aecourse.exercises"]
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_one_that_imports_it_back():
    assert cycle(GRAPH) is None, " -> ".join(cycle(GRAPH))


def test_no_subpackage_depends_on_one_that_depends_on_it():
    def group(name):  # aecourse.course.lint -> aecourse.course; aecourse.train stays itself
        parts = name.split(".")
        in_subpackage = len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir())
        return ".".join(parts[:2]) if in_subpackage else name

    grouped = {}
    for name, targets in GRAPH.items():
        grouped.setdefault(group(name), set()).update(group(t) for t in targets if group(t) != group(name))
    assert cycle(grouped) is None, " -> ".join(cycle(grouped))


def test_nothing_imports_a_package_that_contains_it():
    upward = [(name, target) for name, targets in GRAPH.items() for target in targets
              if MODULES[target].name == "__init__.py" and name.startswith(target + ".")]
    assert not upward, upward
