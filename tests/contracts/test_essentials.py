"""The core owns the components its defaults name (issue 24): disabling any one plugin never breaks
a command that does not use it. ``ROBUSTX_DISABLE_PLUGINS=training`` once broke every recipe with
"unknown augmentation 'none'", a name the user never wrote.
"""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

import robustx.host.manager
from robustx.cli import cli
from robustx.train.essentials import CORE, ESSENTIALS

#: a recipe that names only a dataset and an architecture: optimizer, schedule, augmentation and defense
#: are the core's defaults, and ``clean`` is the evaluator's own
MINIMAL = {"name": "minimal", "data": {"name": "digits"}, "model": {"name": "small_cnn"},
           "train": {"epochs": 1}, "evaluate": {"attacks": ["clean"]}}
#: the plugins MINIMAL uses (digits, small_cnn): for them the test runs commands that need neither
USED_BY_MINIMAL = {"datasets", "models"}


def _builtin_plugins() -> list[str]:
    host = robustx.host.manager.PluginHost()
    return sorted(name for name, src in host._sources.items() if src.distribution == "robustx")


BUILTIN = _builtin_plugins()


@pytest.fixture
def disable(monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """Disable plugins and install a fresh process-wide host that sees it (restored afterwards)."""
    def apply(names: str) -> robustx.host.manager.PluginHost:
        monkeypatch.setenv(robustx.host.manager.DISABLE_ENV, names)
        host = robustx.host.manager.PluginHost()
        monkeypatch.setattr(robustx.host.manager, "_host", host)
        return host

    return apply


def test_the_builtin_plugins_are_found() -> None:
    assert {"training", "defenses", "datasets", "models", "torchattacks"} <= set(BUILTIN), BUILTIN


#: the built-in plugins that the shipped ``quickstart`` recipe genuinely needs: disabling one of them makes
#: ``robustx recipe validate quickstart`` fail with one line naming it; disabling any other changes nothing
NEEDED_BY_QUICKSTART = {"recipes", "datasets", "models", "training", "defenses", "torchattacks"}


@pytest.mark.parametrize("plugin", BUILTIN)
def test_disabling_one_plugin_leaves_unrelated_commands_working(plugin: str, disable, tmp_path) -> None:
    """For each built-in plugin disabled in turn (in-process, one CliRunner): ``--help``, ``list attacks``
    and ``recipe validate quickstart`` work, or the last fails with one line naming the disabled plugin."""
    disable(plugin)
    runner = CliRunner()
    shown = runner.invoke(cli, ["--help"])
    assert shown.exit_code == 0, shown.output
    listed = runner.invoke(cli, ["list", "attacks"])
    assert listed.exit_code == 0 and "pgd" in listed.output, listed.output  # pgd, art:pgd or cw_pgd remain
    validated = runner.invoke(cli, ["recipe", "validate", "quickstart"])
    if plugin in NEEDED_BY_QUICKSTART:
        lines = validated.output.strip().splitlines()
        assert validated.exit_code != 0 and len(lines) == 1, validated.output
        assert f"plugin '{plugin}'" in lines[0] and "disabled" in lines[0], lines[0]
    else:
        assert validated.exit_code == 0, f"ROBUSTX_DISABLE_PLUGINS={plugin}: {validated.output}"
    if plugin in USED_BY_MINIMAL:
        listed = runner.invoke(cli, ["list", "optimizers"])
        assert listed.exit_code == 0 and "sgd" in listed.output, listed.output
        return
    path = tmp_path / "minimal.yaml"
    path.write_text(yaml.safe_dump(MINIMAL), encoding="utf-8")
    result = runner.invoke(cli, ["recipe", "validate", str(path)])
    assert result.exit_code == 0, f"ROBUSTX_DISABLE_PLUGINS={plugin}: {result.output}"


def test_the_defaults_are_the_cores_when_their_plugins_are_disabled(disable) -> None:
    host = disable("training,defenses")
    for kind, entries in ESSENTIALS.items():
        for name, *_ in entries:
            assert host.registry(kind).get(name).plugin == CORE, (kind, name)


def test_a_plugin_may_provide_a_default_itself(disable) -> None:
    """The core adds a default only where no plugin registered the name (no clash, the plugin's wins)."""
    host = disable("")

    class Plugin:
        @robustx.hookimpl
        def robustx_register_optimizers(self, register) -> None:  # noqa: ANN001
            register("sgd", lambda params, *, lr=0.1: None, description="a plugin's own SGD")

    host.register_plugin(Plugin(), "my_sgd")
    entry = host.registry("optimizer").get("sgd")
    assert entry.plugin == "my_sgd" and entry.conflict is None
