"""rnnlab's modules import each other without circles, hidden or not.

The graph holds every import of an rnnlab module: at module level, inside functions (a lazy
import that only breaks a circle is still a circle) and under ``if TYPE_CHECKING:`` (a circle
for the type checker, and for the reader, is one too). An edge goes to the module named, or to
the package when the name imported from it is not a module (``from rnnlab.models import x``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Circles allowed for now: none. (Add one here only with a note on the work that removes it.)
KNOWN: set[str] = set()


def _modules() -> dict[str, Path]:
    out = {}
    for path in (ROOT / "rnnlab").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, *([base] if base else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.add(full if full in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_imports() -> None:
    graph = import_graph()
    assert "rnnlab.models.build" in graph["rnnlab.models.budget"]
    assert "rnnlab.inspect.saturation" in graph["rnnlab.inspect.trace"]
    assert circles({"a": {"b"}, "b": {"a"}, "c": set()}) == [{"a", "b"}]


def test_rnnlab_has_no_import_circles() -> None:
    unexpected = [sorted(c) for c in circles(import_graph()) if not c <= KNOWN]
    assert not unexpected, f"import circles: {unexpected}"
