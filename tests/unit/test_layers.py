"""The core's layers contract (issue 24): lower stages never import higher ones, and no import cycles.

Imports are read with ``ast`` by bench/bench_core_layout.py; imports inside functions count (they
run too, only later), ``if TYPE_CHECKING:`` blocks do not (they never run). The order, bottom first:

    base < host < config < datasets < models < evaluation < train < runs < cli, robustx (the public API)

A module may import its own stage and the stages below it. ``train`` sits above ``evaluation``:
training uses the evaluation's EOT wrapper for randomized models and validates with its attacks.
"""

from __future__ import annotations

import importlib.util

import pytest
from helpers import ROOT

spec = importlib.util.spec_from_file_location("bench_core_layout", ROOT / "bench" / "bench_core_layout.py")
layout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(layout)  # type: ignore[union-attr]

LAYERS = ("base", "host", "config", "datasets", "models", "evaluation", "train", "runs", "cli")
TOP = len(LAYERS) - 1  # robustx/__init__.py and __main__.py: the public API sits with the CLI


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] == "__main__":
        return TOP
    assert parts[1] in LAYERS, f"{module}: not in a stage package; put it in one of {LAYERS}"
    return LAYERS.index(parts[1])


@pytest.fixture(scope="module")
def core() -> dict:
    return layout.scan(ROOT / "robustx")


def test_every_core_module_is_in_a_stage_package(core) -> None:
    loose = sorted(m for m in core["graph"] if len(m.split(".")) == 2 and m.split(".")[1] not in LAYERS + ("__main__",))
    assert loose == []


def test_no_stage_imports_a_stage_above_it(core) -> None:
    upward = sorted(f"{a} -> {b}" for a, targets in core["graph"].items() for b in targets if layer(b) > layer(a))
    assert upward == [], "\n".join(upward)


def test_the_core_has_no_import_cycles(core) -> None:
    assert core["cycles"] == []


#: what an import inside a function may defer: libraries that cost `robustx --help` a visible fraction of a second
HEAVY = {"torch", "torchvision", "pydantic"}


def test_imports_inside_functions_are_for_heavy_modules_only(core) -> None:
    """A core module imports another robustx module inside a function only when that one loads torch or
    pydantic; the CLI's command modules and the public API (robustx/__init__.py) import what they run lazily
    so that ``robustx --help`` loads neither."""
    loads = core["loads"]
    light = sorted(f"{a} -> {b}" for a, b in core["lazy"]
                   if layer(a) != TOP and (not loads[b] & HEAVY or loads[b] & HEAVY <= loads[a]))
    assert light == [], "these defer nothing (import them at the top of the module):\n" + "\n".join(light)


def test_every_import_inside_a_function_says_why_it_is_lazy() -> None:
    """``# lazy: <reason>`` on the import's line or the line above: what it keeps out of ``robustx --help``."""
    import ast

    silent = []
    for path in sorted((ROOT / "robustx").rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        walker = layout._Walker()
        walker.visit(ast.parse("\n".join(lines)))
        for node, inside in walker.edges:
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            if inside and "# lazy:" not in lines[node.lineno - 1] and not above.startswith("# lazy:"):
                silent.append(f"{path.relative_to(ROOT)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert silent == [], "add '# lazy: <what it keeps out of --help>' or import at the top:\n" + "\n".join(silent)


def test_the_entry_points_of_help_load_no_heavy_library(core) -> None:
    assert not core["loads"]["robustx.cli.main"] & HEAVY, core["loads"]["robustx.cli.main"] & HEAVY
    assert not core["loads"]["robustx"] & HEAVY, core["loads"]["robustx"] & HEAVY


def test_the_contract_sees_an_upward_import_inside_a_function(tmp_path) -> None:
    package = tmp_path / "robustx"
    for stage in ("base", "runs"):
        (package / stage).mkdir(parents=True)
        (package / stage / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "base" / "files.py").write_text("def f():\n    from robustx.runs import study\n")
    (package / "runs" / "study.py").write_text("from robustx.base import files\n")
    found = layout.scan(package)
    assert ["robustx.runs.study"] == sorted(found["graph"]["robustx.base.files"])
    assert layer("robustx.base.files") < layer("robustx.runs.study")
    assert found["cycles"] == [["robustx.base.files", "robustx.runs.study"]]


def test_the_scanner_sees_a_cycle_through_a_function_level_import(tmp_path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .a import x\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    found = layout.scan(package)
    assert found["cycles"] == [["pkg.a", "pkg.b"]] and found["imports_in_functions"] == 1


def test_the_version_is_written_once_more_only_in_pyproject() -> None:
    import re

    import robustx

    declared = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert robustx.__version__ == declared
