"""Commands import only the plugins whose hooks they need (checked in ``sys.modules``, not with a clock)."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import pytest
from helpers import ROOT, imported_modules, pip_install, run_cli, write_distribution


@pytest.fixture(scope="module")
def torch_site(tmp_path_factory) -> Path:
    """pip-install (a real build) examples/robustx-torch-plugin: ``import torch`` at top level, ``robustx`` group."""
    return pip_install(ROOT / "examples" / "robustx-torch-plugin", tmp_path_factory.mktemp("torchplug-site"))


def _plugins(modules: set[str]) -> set[str]:
    """The plugin packages among imported modules (every plugin here is named ``robustx_*``)."""
    return {m for m in modules if m.startswith("robustx_") and "." not in m}


def test_help_does_not_import_a_torch_plugin(torch_site):
    modules = imported_modules("--help", env={"PYTHONPATH": str(torch_site)})
    assert "torch" not in modules
    commands = {ep.value.split(":")[0].split(".")[0] for ep in metadata.entry_points(group="robustx.commands")}
    assert "robustx_analyses" in commands and _plugins(modules) == commands  # not even the catch-all group
    assert {"report", "analyze"} <= set(run_cli("--help").stdout.split())


def test_the_torch_plugin_still_registers_when_its_hook_is_needed(torch_site):
    result = run_cli("plugins", env={"PYTHONPATH": str(torch_site)})
    assert result.returncode == 0, result.stderr
    assert "torchplug (robustx-torchplug 1.0): loaded\n  attacks: torchplug:identity" in result.stdout


def _declared(*groups: str) -> set[str]:
    """The plugin modules that the installed entry points list in ``groups`` (plus the catch-all group)."""
    return {ep.value.split(":")[0].split(".")[0] for group in ("robustx", *groups)
            for ep in metadata.entry_points(group=group)}


@pytest.mark.parametrize(("args", "group", "builtin"), [
    (("recipe", "list"), "robustx.recipes", {"robustx_recipes"}),
    (("list", "attacks"), "robustx.attacks", {"robustx_torchattacks", "robustx_attacks", "robustx_art"}),
    (("list", "datasets"), "robustx.datasets", {"robustx_datasets"}),
    (("list", "transforms"), "robustx.transforms", {"robustx_models", "robustx_defenses"}),
])
def test_listing_imports_only_the_plugins_of_that_kind(args, group, builtin):
    imported = _plugins(imported_modules(*args))
    assert builtin <= _declared(group) and imported == _declared(group)


NARROW = """
from robustx import hookimpl


@hookimpl
def robustx_register_attacks(register):
    register("narrow:identity", lambda model: (lambda x, y: x))


@hookimpl
def robustx_register_architectures(register):  # not declared in robustx.architectures: ignored, with a warning
    register("narrow_net", lambda **kw: None)


@hookimpl
def robustx_register_atacks(register):  # a typo: no such hook
    pass
"""


def test_a_narrow_group_plugin_serves_only_its_hooks(tmp_path, monkeypatch, capsys, plugin_host):
    write_distribution(tmp_path, "robustx-narrow", "robustx_narrow", NARROW, entry_name="narrow",
                       groups=("robustx.attacks",))
    monkeypatch.syspath_prepend(str(tmp_path))
    host = plugin_host()
    assert "narrow:identity" not in host.registry("dataset").all_names()
    assert host.plugins["narrow"].status == "not loaded"  # datasets do not need it
    assert "narrow:identity" in host.registry("attack")
    err = capsys.readouterr().err
    assert "plugin 'narrow' implements robustx_register_architectures but is not in the entry-point group " \
           "robustx.architectures" in err
    assert "plugin 'narrow' implements an unknown hook robustx_register_atacks" in err
    assert "narrow_net" not in host.registry("architecture")


def test_one_name_for_two_modules_is_reported_and_the_first_kept(tmp_path, monkeypatch, capsys, plugin_host):
    write_distribution(tmp_path, "robustx-one", "robustx_one", NARROW, entry_name="same", groups=("robustx.attacks",))
    write_distribution(tmp_path, "robustx-two", "robustx_two", NARROW, entry_name="same", groups=("robustx.recipes",))
    monkeypatch.syspath_prepend(str(tmp_path))
    host = plugin_host()
    assert "plugin 'same' is robustx_one in one entry-point group and robustx_two in robustx.recipes" \
        in capsys.readouterr().err
    assert host.plugins["same"].module == "robustx_one"


def test_builtin_plugins_declare_every_hook_they_implement():
    result = run_cli("plugins")
    assert result.returncode == 0
    assert result.stderr == ""  # a hook outside a plugin's entry-point groups would warn here
    plugins = [line for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert len(plugins) >= 9 and all(line.endswith(": loaded") for line in plugins), plugins


COMMANDS = """
import click

from robustx import hookimpl


@click.command()
def hello():
    \"\"\"Say hello from a third-party command plugin.\"\"\"
    click.echo("hello from a plugin")


@hookimpl
def robustx_register_commands(cli):
    cli.add_command(hello)
"""


def test_a_command_plugin_adds_a_command_without_importing_other_plugins(tmp_path, torch_site):
    write_distribution(tmp_path, "robustx-hello", "robustx_hello", COMMANDS, entry_name="hello",
                       groups=("robustx.commands",))
    env = {"PYTHONPATH": f"{tmp_path}:{torch_site}"}
    assert "Say hello from a third-party" in run_cli("--help", env=env).stdout
    assert run_cli("hello", env=env).stdout == "hello from a plugin\n"
    assert "torch" not in imported_modules("hello", env=env)
