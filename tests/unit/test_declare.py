"""One registration style (issue 24): ``@component(...)`` next to each factory, ``register_declared``
in the hook. The decorator only attaches metadata; every built-in entry comes from a declaration,
with its smoke parameters beside it, and no test keeps a hand list of them."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from robustx import hookimpl
from robustx.base.errors import PluginError
from robustx.config.published import publishes
from robustx.config.threat import declared_threat, threat_model
from robustx.host.declare import Declaration, component, declarations, declared, kinds, register_declared
from robustx.host.manager import KINDS, PluginHost
from robustx.train.essentials import CORE

ROOT = Path(__file__).resolve().parents[2]


def _module(name: str, **objects: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, obj in objects.items():
        if callable(obj) and hasattr(obj, "__module__"):
            try:
                obj.__module__ = name
            except (AttributeError, TypeError):
                pass
        setattr(module, key, obj)
    return module


class Recorder:
    """A ``register`` callback that records its calls, like robustx's (which also carries ``kind``)."""

    def __init__(self, kind: str | None = None) -> None:
        self.calls: list[tuple] = []
        if kind:
            self.kind = kind

    def __call__(self, name, factory, **kw) -> None:  # noqa: ANN001
        self.calls.append((name, factory, kw))


# -- the decorator -----------------------------------------------------------------------------
def test_the_decorator_only_attaches_metadata() -> None:
    def pgd(model, *, eps: float = 0.1):  # noqa: ANN001, ANN202
        """PGD with random start (Linf).

        More text that is not the description.
        """

    marked = component("pgd", kind="attack", aliases=("pgd_linf",), smoke={"eps": 0.2})(pgd)
    assert marked is pgd  # the factory itself, unchanged and callable as before
    assert declared(pgd) == [Declaration("attack", "pgd", ("pgd_linf",), "PGD with random start (Linf).")]
    assert declared(pgd)[0].smoke == {"eps": 0.2}
    # no registration at import time, no global table: a fresh host knows nothing of it
    assert "pgd" not in PluginHost(load_entry_points=False).registry("attack")


def test_an_explicit_description_wins_and_none_is_empty() -> None:
    @component("a", kind="attack", description="given")
    def a(model):  # noqa: ANN001, ANN202
        """Docstring."""

    @component("b", kind="attack")
    def b(model):  # noqa: ANN001, ANN202
        pass

    assert declared(a)[0].description == "given" and declared(b)[0].description == ""


def test_it_stacks_with_threat_model_and_publishes_in_any_order() -> None:
    @component("x", kind="attack", smoke={"eps": 0.1})
    @publishes("Something")
    @threat_model(norm="Linf")
    def x(model, *, eps: float = 0.1):  # noqa: ANN001, ANN202
        pass

    @threat_model(norm="L2")
    @component("y", kind="attack")
    def y(model, *, eps: float = 0.1):  # noqa: ANN001, ANN202
        pass

    assert declared(x)[0].name == "x" and declared_threat(x).norm == "Linf"
    assert declared(y)[0].name == "y" and declared_threat(y).norm == "L2"


def test_one_factory_may_be_declared_for_several_kinds() -> None:
    @component("ibp", kind="defense")
    @component("ibp", kind="certifier")
    def ibp():  # noqa: ANN202
        pass

    assert [d.kind for d in declared(ibp)] == ["certifier", "defense"]
    assert [d.kind for d in declared(ibp, "defense")] == ["defense"]


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "bad name", "kind": "attack"}, "invalid name"),
    ({"name": "ok", "kind": "attacks"}, "unknown kind"),
    ({"name": "ok", "kind": "attack", "aliases": "pgd_linf"}, "not the string"),
    ({"name": "ok", "kind": "attack", "aliases": ("bad alias",)}, "invalid alias"),
    ({"name": "ok", "kind": "attack", "smoke": [("eps", 0.1)]}, "expected a mapping"),
])
def test_mistakes_fail_where_they_are_written(kwargs: dict, message: str) -> None:
    with pytest.raises(PluginError, match=message):
        component(**kwargs)


def test_every_kind_can_be_declared() -> None:
    assert {kind for kind in KINDS if kind != "recipe"} <= set(kinds())


# -- register_declared -------------------------------------------------------------------------
def _two_kinds() -> types.ModuleType:
    @component("c", kind="certifier")
    def cert(model):  # noqa: ANN001, ANN202
        pass

    @component("d", kind="defense", aliases=("dd",), smoke={"eps": 0.1})
    def defense():  # noqa: ANN202
        """A defense."""

    foreign = component("foreign", kind="defense")(lambda: None)  # defined elsewhere: not this module's
    module = _module("fake_factories", cert=cert, defense=defense)
    module.foreign = foreign
    return module


def test_register_declared_registers_the_hooks_kind_only() -> None:
    module = _two_kinds()
    register = Recorder("defense")
    assert register_declared(register, module) == ["d"]
    assert register.calls == [("d", module.defense, {"aliases": ("dd",), "description": "A defense.",
                                                     "smoke": {"eps": 0.1}})]
    assert register_declared(Recorder(), module, kind="certifier") == ["c"]  # a callback without .kind


def test_register_declared_refuses_to_guess() -> None:
    with pytest.raises(PluginError, match="does not say its kind"):
        register_declared(Recorder(), _two_kinds())
    with pytest.raises(PluginError, match="declares no attack"):
        register_declared(Recorder("attack"), _two_kinds())
    with pytest.raises(PluginError, match="neither a module nor a factory"):
        register_declared(Recorder("attack"), lambda model: None)


def test_the_hosts_register_knows_its_kind_and_provenance_is_kept() -> None:
    module = _two_kinds()

    class Plugin:
        @hookimpl
        def robustx_register_defenses(self, register) -> None:  # noqa: ANN001
            register_declared(register, module)

        @hookimpl
        def robustx_register_certifiers(self, register) -> None:  # noqa: ANN001
            register_declared(register, module)

    host = PluginHost(load_entry_points=False)
    host.register_plugin(Plugin(), "two_kinds")
    entry = host.registry("defense").get("dd")
    assert (entry.name, entry.plugin, entry.description, entry.smoke) == ("d", "two_kinds", "A defense.", {"eps": 0.1})
    assert host.registry("certifier").names() == ["c"]
    assert "c" not in host.registry("defense")


def test_a_failing_declaration_lookup_is_one_warning_not_a_crash(capsys) -> None:
    class Plugin:
        @hookimpl
        def robustx_register_attacks(self, register) -> None:  # noqa: ANN001
            register_declared(register, _two_kinds())  # declares no attack

    host = PluginHost(load_entry_points=False)
    host.register_plugin(Plugin(), "wrong_module")
    assert len(host.registry("attack")) == 0
    assert "plugin 'wrong_module' failed in robustx_register_attacks" in capsys.readouterr().err


# -- every built-in entry is declared next to its factory ---------------------------------------
HOST = PluginHost()


def _builtin(entry) -> bool:  # noqa: ANN001
    src = HOST._sources.get(entry.plugin)
    return entry.plugin == CORE or (src is not None and src.distribution == "robustx")


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "recipe"])  # recipes are YAML files, not factories
def test_every_builtin_entry_comes_from_its_declaration(kind: str) -> None:
    entries = [e for e in HOST.registry(kind) if _builtin(e)]
    assert entries, f"no built-in {kind}"
    for entry in entries:
        found = [d for d in declared(entry.factory, kind) if d.name == entry.name]
        assert found, f"{kind} '{entry.name}' ({entry.plugin}): declare it with @component next to its factory"
        d = found[0]
        assert (d.aliases, d.description, d.smoke) == (entry.aliases, entry.description, entry.smoke), entry.name


def test_the_built_in_plugins_register_only_through_declarations() -> None:
    """No tuple tables, inline ``register(...)`` calls or name dicts left in the plugins' hooks."""
    offenders = []
    for init in sorted((ROOT / "plugins").glob("*/__init__.py")):
        text = init.read_text(encoding="utf-8")
        for hook in re.finditer(r"def (robustx_register_(?!commands)\w+)\(register.*?(?=\n@|\n\S|\Z)", text, re.S):
            if re.search(r"\bregister\(", hook.group(0)) or "register_declared(register" not in hook.group(0):
                offenders.append(f"{init.parent.name}.{hook.group(1)}")
    assert offenders == [], offenders


#: module-level dict literals of test/smoke parameters (SMOKE = {"pgd": ...}, FAST_PARAMS = {...})
HAND_LIST = re.compile(r"^\w*(SMOKE|FAST_PARAMS|TEST_PARAMS|CHEAP_PARAMS)\w*\s*(:[^=\n]*)?=\s*\{\s*(\"|'|\n)", re.M)


def test_no_hand_lists_of_smoke_parameters() -> None:
    found = [str(path.relative_to(ROOT)) for folder in ("plugins", "tests", "robustx")
             for path in sorted((ROOT / folder).rglob("*.py")) if HAND_LIST.search(path.read_text(encoding="utf-8"))]
    assert found == [], f"smoke parameters belong next to each factory (@component(..., smoke=...)): {found}"


def test_the_example_plugin_uses_the_declared_style(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "examples" / "robustx-example-plugin"))
    for name in [m for m in sys.modules if m.startswith("robustx_example_plugin")]:
        monkeypatch.delitem(sys.modules, name)
    import robustx_example_plugin
    from robustx_example_plugin import factories

    assert {d.name for _, d in declarations(factories)} >= {"example:uniform_noise", "example_mlp"}
    host = PluginHost(load_entry_points=False)
    host.register_plugin(robustx_example_plugin, "example")
    attack = host.registry("attack").get("example:uniform_noise")
    assert attack.smoke is not None and attack.description
    assert host.registry("architecture").get("example:mlp").name == "example_mlp"
