"""Plugin loading through real entry points: broken plugins, disabling, and the example plugin installed by pip."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import ROOT, pip_install, run_cli, write_distribution

BROKEN = """
raise RuntimeError("this plugin is broken on purpose")
"""


@pytest.fixture
def broken_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    write_distribution(site, "robustx-broken", "robustx_broken_plugin", BROKEN, entry_name="broken")
    monkeypatch.syspath_prepend(str(site))
    return site


def test_broken_plugin_warns_once_and_rest_works(broken_site, capsys, plugin_host):
    host = plugin_host()
    assert capsys.readouterr().err == ""  # nothing is imported before a hook is needed
    host.registry("attack")
    host.registry("dataset")
    err = capsys.readouterr().err
    assert err.count("plugin 'broken' failed to load") == 1
    assert "RuntimeError: this plugin is broken on purpose" in err
    assert "ROBUSTX_DISABLE_PLUGINS=broken" in err
    assert host.plugins["broken"].status == "failed"
    assert "digits" in host.registry("dataset")


def test_disable_env_blocks_a_plugin(broken_site, capsys, plugin_host):
    host = plugin_host(disable="broken, datasets")
    host.load_all()
    assert capsys.readouterr().err == ""
    assert host.plugins["broken"].status == "disabled"
    assert host.plugins["datasets"].status == "disabled"
    assert "digits" not in host.registry("dataset")


def test_broken_plugin_does_not_take_the_cli_down(broken_site):
    result = run_cli("list", "datasets", env={"PYTHONPATH": str(broken_site)})
    assert result.returncode == 0, result.stderr
    assert "digits" in result.stdout
    assert "plugin 'broken' failed to load" in result.stderr
    plugins = run_cli("plugins", env={"PYTHONPATH": str(broken_site)})
    assert "broken (robustx-broken 1.0): failed - RuntimeError" in plugins.stdout


@pytest.fixture(scope="module")
def example_site(tmp_path_factory) -> Path:
    """pip-install the example plugin (a real build and install) into a private target folder."""
    return pip_install(ROOT / "examples" / "robustx-example-plugin", tmp_path_factory.mktemp("example-site"))


def test_example_plugin_is_discovered_with_version(example_site):
    result = run_cli("plugins", env={"PYTHONPATH": str(example_site)})
    assert result.returncode == 0, result.stderr
    assert "example (robustx-example-plugin 0.2.0): loaded" in result.stdout
    assert "attacks: example:uniform_noise" in result.stdout
    listed = run_cli("list", "architectures", "example*", env={"PYTHONPATH": str(example_site)})
    assert "example_mlp" in listed.stdout and "[example]" in listed.stdout


def test_example_plugin_recipe_runs_end_to_end(example_site, tmp_path):
    log = tmp_path / "events.jsonl"
    result = run_cli("recipe", "run", "example_noise", "train.epochs=1", "evaluate.limit=64", "--out", str(tmp_path / "runs"),
                     "--quiet", env={"PYTHONPATH": str(example_site), "ROBUSTX_EXAMPLE_LOG": str(log)})
    assert result.returncode == 0, result.stderr
    assert "example:uniform_noise" in result.stdout
    events = log.read_text().splitlines()
    assert [__import__("json").loads(e)["event"] for e in events] == [
        "run_start", "epoch_end", "evaluation_end", "run_end"]
