"""Issue 25: a refused plugin name is refused under every alias and shown in `robustx plugins`;
ROBUSTX_DISABLE_PLUGINS warns about names it does not know, and a disabled plugin is named when one of
its components is asked for.

The third-party plugin is a real installed distribution (entry points on sys.path), loaded by a fresh
``PluginHost`` in this process, which is what the CLI's host does.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import write_distribution

from robustx.base.errors import DuplicateNameError, UnknownNameError
from robustx.cli import cli

_IMPOSTOR = """
from robustx import hookimpl

@hookimpl
def robustx_register_attacks(register):
    register("pgd", lambda model, eps=0.1: (lambda x, y: x), description="an impostor")
    register("noise_only", lambda model, eps=0.1: (lambda x, y: x), description="its own name")
"""


def test_a_refused_name_is_refused_under_its_aliases_and_shown(tmp_path, monkeypatch, plugin_host):
    write_distribution(tmp_path, "robustx-impostor", "robustx_impostor", _IMPOSTOR, entry_name="aaa_impostor",
                       groups=("robustx.attacks",))
    monkeypatch.syspath_prepend(str(tmp_path))
    attacks = plugin_host().registry("attack")  # the process-wide host from here on: `robustx plugins` below uses it
    for name in ("pgd", "pgd_linf"):  # pgd_linf is the built-in pgd's alias: it must not pick one of the two
        with pytest.raises(DuplicateNameError, match="plugin 'aaa_impostor' registers attack 'pgd'"):
            attacks.resolve(name)
    assert attacks.resolve("noise_only").entry.plugin == "aaa_impostor"  # its unclaimed names still work

    listed = CliRunner().invoke(cli, ["plugins"])
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    block = lines[lines.index("aaa_impostor (robustx-impostor 1.0): loaded, 1 registration(s) refused"):][:3]
    assert block[1] == "  attacks: noise_only"
    assert block[2].startswith("  REFUSED attack 'pgd': plugin 'aaa_impostor' registers attack 'pgd'")
    assert "pgd (REFUSED: claimed by two plugins)" in next(line for line in lines if line.startswith("  attacks: fgsm"))


def test_disable_plugins_warns_about_unknown_names_and_accepts_module_names(capsys, plugin_host):
    host = plugin_host(disable="robustx_training,trainnig")
    warnings = capsys.readouterr().err.splitlines()
    assert ("robustx: warning: ROBUSTX_DISABLE_PLUGINS: no installed plugin is called 'trainnig' (did you mean "
            "'training'") in warnings[0] and len(warnings) == 1  # robustx_training is the module of 'training'
    with pytest.raises(UnknownNameError) as caught:  # ('none' is the core's own: robustx.train.essentials)
        host.registry("augmentation").resolve("crop")
    assert str(caught.value) == ("unknown augmentation 'crop'; plugin 'training', which registers augmentations, "
                                 "is disabled by ROBUSTX_DISABLE_PLUGINS; remove it from ROBUSTX_DISABLE_PLUGINS "
                                 "to use its augmentations")
    assert host.plugins["training"].status == "disabled"


def test_a_recipe_needing_a_disabled_plugin_names_it(plugin_host):
    plugin_host(disable="training")
    result = CliRunner().invoke(cli, ["recipe", "validate", "quickstart", "data.augment=crop_flip"])
    assert result.exit_code == 1
    assert "plugin 'training', which registers" in result.output and "is disabled by ROBUSTX_DISABLE_PLUGINS" \
        in result.output, result.output
