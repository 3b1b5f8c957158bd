"""Registry: provenance, aliases, patterns, did-you-mean, duplicates naming both plugins."""

from __future__ import annotations

import pytest

from robustx.base.errors import DuplicateNameError, PluginError, UnknownNameError
from robustx.host.hookspecs import hookimpl
from robustx.host.registry import Registry


def factory(model=None, **params):
    return ("made", model, params)


def test_register_and_create_with_alias():
    reg = Registry("attack")
    reg.register("pgd", factory, aliases=("pgd_linf",), description="PGD", plugin="p", version="1.2")
    assert reg.get("pgd_linf").name == "pgd"
    assert reg.get("pgd").plugin == "p" and reg.get("pgd").version == "1.2"
    assert reg.create("pgd", "m", eps=0.1) == ("made", "m", {"eps": 0.1})


def test_unknown_name_suggests_close_match():
    reg = Registry("attack")
    reg.register("pgd_l2", factory)
    reg.register("fgsm", factory)
    with pytest.raises(UnknownNameError, match=r"unknown attack 'pgd_l3'.*did you mean 'pgd_l2'"):
        reg.get("pgd_l3")


def test_pattern_name_passes_the_rest_as_keyword():
    reg = Registry("architecture")
    reg.register("timm:{model_name}", factory)
    resolved = reg.resolve("timm:resnet18")
    assert resolved.implied == {"model_name": "resnet18"}
    assert resolved.create() == ("made", None, {"model_name": "resnet18"})
    with pytest.raises(UnknownNameError):
        reg.get("timm:")


def test_invalid_name_and_factory_rejected():
    reg = Registry("attack")
    with pytest.raises(PluginError):
        reg.register("has space", factory)
    with pytest.raises(PluginError):
        reg.register("ok", 42)


class _PluginA:
    @hookimpl
    def robustx_register_attacks(self, register):
        register("shared", factory)
        register("only_a", factory)


class _PluginB:
    @hookimpl
    def robustx_register_attacks(self, register):
        register("shared", factory)


def test_duplicate_names_both_plugins_and_fails_on_use(capsys, plugin_host):
    host = plugin_host({"plugin_a": _PluginA(), "plugin_b": _PluginB()}, entry_points=False)
    reg = host.registry("attack")
    err = capsys.readouterr().err
    assert "plugin_a" in err and "plugin_b" in err and "'shared'" in err
    assert "only_a" in reg  # the rest of plugin A still works
    with pytest.raises(DuplicateNameError, match="plugin_a.*plugin_b"):
        reg.get("shared")


def test_provenance_records_registering_plugin(plugin_host):
    host = plugin_host({"plugin_a": _PluginA()}, entry_points=False)
    assert host.registry("attack").get("only_a").plugin == "plugin_a"
    assert host.plugins["plugin_a"].registered["attack"] == ["shared", "only_a"]


def test_hook_that_raises_only_warns(capsys, plugin_host):
    class Broken:
        @hookimpl
        def robustx_register_attacks(self, register):
            raise RuntimeError("boom")

    host = plugin_host({"broken": Broken(), "plugin_a": _PluginA()}, entry_points=False)
    assert "only_a" in host.registry("attack")
    assert "plugin 'broken' failed in robustx_register_attacks (RuntimeError: boom)" in capsys.readouterr().err
    assert host.plugins["broken"].status == "failed"


#: every registration hook by name (tests/contracts/test_hooks_documented.py checks that each hook is named in a test)
REGISTRATION_HOOKS = [
    ("robustx_register_attacks", "attack"),
    ("robustx_register_defenses", "defense"),
    ("robustx_register_transforms", "transform"),
    ("robustx_register_architectures", "architecture"),
    ("robustx_register_datasets", "dataset"),
    ("robustx_register_recipes", "recipe"),
    ("robustx_register_analyses", "analysis"),
    ("robustx_register_optimizers", "optimizer"),
    ("robustx_register_schedules", "schedule"),
    ("robustx_register_augmentations", "augmentation"),
    ("robustx_register_loggers", "logger"),
    ("robustx_register_certifiers", "certifier"),
]


def test_every_registry_kind_has_its_hook_listed_here():
    from robustx.host.manager import KINDS

    assert sorted(REGISTRATION_HOOKS) == sorted((hook, kind) for kind, hook in KINDS.items())


@pytest.mark.parametrize(("hook", "kind"), REGISTRATION_HOOKS)
def test_a_plugin_registers_through_each_hook(hook, kind, plugin_host):
    """A third-party implementation of the hook fills exactly that kind's registry, with provenance."""

    def implementation(register):
        register(f"third:{kind}", factory, aliases=(f"third_{kind}",), description=f"a third-party {kind}")

    plugin = type("Plugin", (), {hook: staticmethod(hookimpl(implementation))})
    host = plugin_host({"third": plugin}, entry_points=False)
    entry = host.registry(kind).get(f"third_{kind}")
    assert (entry.name, entry.plugin, entry.kind) == (f"third:{kind}", "third", kind)
    assert host.registry(kind).create(f"third:{kind}", "m") == ("made", "m", {})
    others = [k for _, k in REGISTRATION_HOOKS if k != kind]
    assert all(e.plugin == "robustx" for k in others for e in host.registry(k))  # only the core's defaults
