"""The validation path and the core's defaults stay out of import cycles (issue 24).

Read with ``ast`` by bench/bench_core_layout.py (imports inside functions count: they run too, only
later). The whole core is not cycle-free yet; these modules are, and this keeps them so.
"""

from __future__ import annotations

import importlib.util

from helpers import ROOT

spec = importlib.util.spec_from_file_location("bench_core_layout", ROOT / "bench" / "bench_core_layout.py")
layout = importlib.util.module_from_spec(spec)
spec.loader.exec_module(layout)  # type: ignore[union-attr]

ACYCLIC = {"robustx.components", "robustx.essentials", "robustx.recipe_schema", "robustx.engine.specs",
           "robustx.params", "robustx.threat", "robustx.registry", "robustx.errors"}


def test_the_validation_modules_are_in_no_import_cycle() -> None:
    found = layout.scan(ROOT / "robustx")
    caught = {m: group for group in found["cycles"] for m in group if m in ACYCLIC}
    assert caught == {}, caught


def test_the_scanner_sees_a_cycle_through_a_function_level_import(tmp_path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text("def f():\n    from .a import x\n")
    (package / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    found = layout.scan(package)
    assert found["cycles"] == [["pkg.a", "pkg.b"]] and found["imports_in_functions"] == 1
