"""Every hook is documented with its exact signature, and every documented hook exists (datasette-style)."""

from __future__ import annotations

import inspect
import re

from helpers import ROOT

from robustx.host import hookspecs

DOC = (ROOT / "docs" / "plugin-hooks.md").read_text(encoding="utf-8")


def _hooks() -> dict[str, inspect.Signature]:
    return {name: inspect.signature(fn) for name, fn in vars(hookspecs).items()
            if name.startswith("robustx_") and callable(fn)}


def test_every_hook_is_documented_with_its_signature():
    for name, sig in _hooks().items():
        args = ", ".join(sig.parameters)
        assert f"### {name}({args})" in DOC, f"docs/plugin-hooks.md lacks '### {name}({args})'"


def test_every_documented_hook_exists():
    documented = set(re.findall(r"^### (robustx_\w+)\(", DOC, flags=re.M))
    assert documented == set(_hooks())


def test_hookspecs_are_marked():
    for name in _hooks():
        assert hasattr(getattr(hookspecs, name), "robustx_spec"), name


def test_every_hook_has_a_test():
    """datasette's check: every hook is named in some test other than this file, so none goes untested."""
    tests = [p for p in (ROOT / "tests").rglob("test_*.py") if p.name != "test_hooks_documented.py"]  # every layer
    text = "\n".join(p.read_text(encoding="utf-8") for p in tests)
    untested = sorted(name for name in _hooks() if name not in text)
    assert not untested, f"no test names these hooks: {untested}"
