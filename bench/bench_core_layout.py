"""Core layout numbers (issue 24): lines, root modules, imports inside functions, import cycles.

    python bench/bench_core_layout.py                  # this checkout's robustx/
    python bench/bench_core_layout.py /tmp/head/robustx --cycles   # another tree (e.g. a git worktree of HEAD)

Imports are read with ``ast`` (nothing is imported). A cycle counts every ``from . import`` edge
between robustx modules, inside functions too (they still run, only later); ``TYPE_CHECKING``
blocks are left out (they never run). Cycles are the strongly connected components of that graph.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(current: str, is_package: bool, node: ast.ImportFrom | ast.Import, modules: set[str]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = current.split(".") if is_package else current.split(".")[:-1]
    if node.level:
        base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
        prefix = ".".join(base + ([node.module] if node.module else []))
    else:
        prefix = node.module or ""
    # `from . import x` names a submodule (an edge to it) or an attribute of the package (an edge to the package)
    subs = [f"{prefix}.{alias.name}" for alias in node.names]
    found = [s for s in subs if s in modules]
    return found + ([prefix] if len(found) < len(subs) else [])


class _Walker(ast.NodeVisitor):
    def __init__(self) -> None:
        self.depth = 0
        self.edges: list[tuple[ast.AST, bool]] = []  # (import node, inside a function)

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = getattr(test, "id", None) or getattr(test, "attr", None)
        if name == "TYPE_CHECKING":
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        self.edges.append((node, self.depth > 0))

    visit_ImportFrom = visit_Import  # type: ignore[assignment]


def scan(root: Path) -> dict[str, object]:
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    modules = {module_name(p, root): p for p in files}
    graph: dict[str, set[str]] = {m: set() for m in modules}
    at_import: dict[str, set[str]] = {m: set() for m in modules}  # robustx modules imported when m is imported
    libraries: dict[str, set[str]] = {m: set() for m in modules}  # third-party top-level packages m imports then
    lazy: list[tuple[str, str]] = []  # (module, robustx module it imports inside a function)
    inside_where: dict[str, int] = {}
    inside = 0
    lines = 0
    for name, path in modules.items():
        text = path.read_text(encoding="utf-8")
        lines += len(text.splitlines())
        walker = _Walker()
        walker.visit(ast.parse(text))
        for node, in_function in walker.edges:
            targets = [t for t in _resolve(name, path.name == "__init__.py", node, set(modules)) if t in modules]  # type: ignore[arg-type]
            if in_function:
                inside += 1
                for target in targets:
                    inside_where[target] = inside_where.get(target, 0) + 1
                    lazy.append((name, target))
            else:
                at_import[name].update(t for t in targets if t != name)
                if not targets and not getattr(node, "level", 0):
                    names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                    libraries[name].update(n.split(".")[0] for n in names)
            for target in targets:
                if target != name:
                    graph[name].add(target)
    return {"files": len(files), "lines": lines, "root_modules": sum(1 for p in files if p.parent == root),
            "imports_in_functions": inside, "cycles": cycles(graph), "graph": graph,
            "imports_in_functions_of_robustx": sum(inside_where.values()), "lazy": lazy,
            "loads": loads(at_import, libraries)}


def loads(at_import: dict[str, set[str]], libraries: dict[str, set[str]]) -> dict[str, set[str]]:
    """Third-party packages each module brings in when imported: its own top-level imports, its robustx
    imports' (and their parents' ``__init__``), transitively. Read from the source, nothing is imported."""
    memo: dict[str, set[str]] = {}

    def of(module: str, seen: frozenset[str] = frozenset()) -> set[str]:
        if module in memo:
            return memo[module]
        out = set(libraries.get(module, ()))
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        for dep in [*at_import.get(module, ()), *parents]:
            if dep in at_import and dep not in seen and dep != module:
                out |= of(dep, seen | {module})
        memo[module] = out
        return out

    return {m: of(m) for m in at_import}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative enough for ~100 nodes)."""
    sys.setrecursionlimit(10_000)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return sorted(out, key=len, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=str(Path(__file__).resolve().parents[1] / "robustx"))
    parser.add_argument("--cycles", action="store_true", help="list the modules of every cycle")
    args = parser.parse_args()
    found = scan(Path(args.root).resolve())
    groups = found.pop("cycles")
    found.pop("graph")
    found.pop("lazy")
    found.pop("loads")
    print(f"{args.root}: {found['lines']} lines in {found['files']} .py files, {found['root_modules']} modules at the "
          f"root, {found['imports_in_functions']} imports inside functions ({found['imports_in_functions_of_robustx']} of robustx modules), {len(groups)} import cycles "
          f"(largest: {len(groups[0]) if groups else 0} modules)")
    if args.cycles:
        for group in groups:
            print(f"  cycle of {len(group)}: {' '.join(group)}")


if __name__ == "__main__":
    main()
