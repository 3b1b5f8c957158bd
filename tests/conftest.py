"""Shared fixtures for every layer (tests/unit, tests/contracts, tests/e2e): the plugin host, a tiny trained
model on scikit-learn's 8x8 digits (no files needed), and the layer markers.

Helper modules next to this file (helpers.py, tiny_run.py, data_writers.py, ddp_job.py) are imported by bare
name (``from helpers import run_cli``): pyproject's ``pythonpath`` puts tests/ on sys.path.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any, Iterator

import pytest

os.environ.setdefault("ROBUSTX_NO_PROGRESS", "1")
# never the network: datasets download on first use, so a test with missing data must fail, not fetch
# (tests/e2e/test_download.py lifts this for its local 127.0.0.1 server)
os.environ.setdefault("ROBUSTX_OFFLINE", "1")


def pytest_configure(config) -> None:
    """One torch thread: the tests' models are tiny, and on 2 shared cores two threads fight (up to 7x slower)."""
    import torch

    torch.set_num_threads(1)


LAYERS = ("unit", "contracts", "e2e")


def pytest_collection_modifyitems(config, items) -> None:
    """Mark each test with its layer, the folder it is in: ``pytest -m "not e2e"`` skips whole runs and subprocesses."""
    here = Path(__file__).resolve().parent
    for item in items:
        try:
            layer = Path(str(item.fspath)).resolve().relative_to(here).parts[0]
        except ValueError:
            continue
        if layer in LAYERS:
            item.add_marker(getattr(pytest.mark, layer))


# -- the plugin host ------------------------------------------------------------------------------------------------
_BUILTIN_COMMANDS: dict[str, Any] = {}  # the CLI's own commands, before any plugin added one (set once, below)


def _cli_commands() -> tuple[Any, dict[str, Any], bool]:
    """(the ``robustx`` click group, its commands now, whether it has asked the host for plugin commands yet)."""
    from robustx.cli.main import cli

    return cli, dict(cli.commands), cli.__dict__.get("_plugin_commands_loaded", False)


def _set_cli_commands(cli: Any, commands: dict[str, Any], loaded: bool) -> None:
    cli.commands.clear()
    cli.commands.update(commands)
    cli._plugin_commands_loaded = loaded


@pytest.fixture(scope="session", autouse=True)
def _builtin_cli_commands() -> None:
    """Note the CLI's built-in commands before a test adds the plugins' (what a fresh process starts from)."""
    _, commands, loaded = _cli_commands()
    if not loaded:
        _BUILTIN_COMMANDS.update(commands)


@pytest.fixture(autouse=True)
def _cli_plugin_commands_stay_put() -> Iterator[None]:
    """The ``robustx`` group asks the process-wide host for plugin commands once and keeps them: a test that ran
    the CLI under another host (plugins disabled, say) would leave later tests without ``report`` or ``analyze``,
    depending on the order. Each test gets back the commands it started with."""
    state = _cli_commands()
    yield
    _set_cli_commands(*state)


@contextlib.contextmanager
def fresh_plugin_host(plugins: dict[str, Any] | None = None, *, disable: str | None = None,
                      entry_points: bool = True, process_wide: bool = True) -> Iterator[Any]:
    """A new ``PluginHost`` for the length of the block: the installed plugins, found through their entry points
    as the CLI finds them (built-ins and whatever distributions are on ``sys.path`` now; ``entry_points=False``:
    none), plus ``plugins`` ({name: plugin object or module}, registered from Python).

    ``disable="a,b"`` sets ``ROBUSTX_DISABLE_PLUGINS`` before the host is made, for as long as it is used.
    ``process_wide`` (the default) makes it the host that ``robustx.host.manager.get_host()``, ``robustx.run_recipe``
    and the CLI (its plugin commands too) use; the previous host, commands and environment come back when the
    block ends, so a test plugin never leaks into another test. For module- and session-scoped fixtures; tests
    use the ``plugin_host`` fixture.
    """
    import robustx.host.manager

    saved_env = os.environ.get(robustx.host.manager.DISABLE_ENV)
    saved_host, saved_cli = robustx.host.manager._host, None
    try:
        if disable is not None:
            os.environ[robustx.host.manager.DISABLE_ENV] = disable
        host = robustx.host.manager.PluginHost(load_entry_points=entry_points)
        for name, plugin in (plugins or {}).items():
            host.register_plugin(plugin, name)
        if process_wide:  # the CLI asks this host for its plugin commands, as a fresh process would
            saved_cli = _cli_commands()
            robustx.host.manager._host = host
            _set_cli_commands(saved_cli[0], _BUILTIN_COMMANDS or saved_cli[1], not _BUILTIN_COMMANDS)
        yield host
    finally:
        robustx.host.manager._host = saved_host
        if saved_cli is not None:
            _set_cli_commands(*saved_cli)
        if saved_env is None:
            os.environ.pop(robustx.host.manager.DISABLE_ENV, None)
        else:
            os.environ[robustx.host.manager.DISABLE_ENV] = saved_env


@pytest.fixture
def plugin_host() -> Iterator[Any]:
    """The one way tests make a plugin host: ``plugin_host(plugins=None, *, disable=None, entry_points=True,
    process_wide=True) -> PluginHost``, a fresh host as :func:`fresh_plugin_host` describes, undone after the test.

    ``host = plugin_host()`` is a host with the built-in plugins that the whole process uses during the test;
    ``plugin_host({"stop": StopAfterEpoch(2)})`` adds a test plugin; ``plugin_host(disable="training")`` is the
    host a user with ``ROBUSTX_DISABLE_PLUGINS=training`` gets; call it after ``monkeypatch.syspath_prepend`` of
    a fake distribution (tests/helpers.py ``write_distribution``) to load that like an installed plugin. Another
    ``host.register_plugin(plugin, name)`` adds a plugin later (gone with the host after the test).
    """
    with contextlib.ExitStack() as stack:
        yield lambda plugins=None, **options: stack.enter_context(fresh_plugin_host(plugins, **options))


def _digits():
    import numpy as np
    import torch
    from sklearn.datasets import load_digits

    data = load_digits()
    x = torch.tensor(data.images / 16.0, dtype=torch.float32).unsqueeze(1)  # (N,1,8,8) in [0,1]
    y = torch.tensor(data.target, dtype=torch.long)
    rng = np.random.default_rng(0)
    order = torch.as_tensor(rng.permutation(len(y)))
    return x[order], y[order]


class TinyNet:
    """Factory for a small conv net on 1x8x8 inputs (defined here so tests do not depend on plugins)."""

    @staticmethod
    def build(num_classes: int = 10):
        from torch import nn

        return nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
            nn.Conv2d(16, 16, 3, padding=1, stride=2), nn.ReLU(),
            nn.Flatten(), nn.Linear(16 * 4 * 4, num_classes),
        )


@pytest.fixture(scope="session")
def digits_tensors():
    """(x_train, y_train, x_test, y_test): digits as float tensors in [0,1], shape (N,1,8,8)."""
    x, y = _digits()
    return x[:1500], y[:1500], x[1500:], y[1500:]


def train_tiny_net(x, y, preprocess=lambda x: x):
    """A TinyNet trained for 60 full-batch Adam steps on ``preprocess(x)`` (seeded), in eval mode."""
    import torch

    torch.manual_seed(0)
    model = TinyNet.build()
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(60):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(preprocess(x)), y).backward()
        opt.step()
    return model.eval()


@pytest.fixture(scope="session")
def tiny_model(digits_tensors):
    """A TinyNet trained for a second on digits (~95% clean test accuracy), in eval mode."""

    x, y, _, _ = digits_tensors
    model = train_tiny_net(x, y)
    for p in model.parameters():
        p.grad = None  # leave no training gradients behind: tests check attacks do not add any
        p.requires_grad_(False)
    return model


@pytest.fixture
def sample_batch(digits_tensors):
    """32 test images and labels."""
    _, _, xt, yt = digits_tensors
    return xt[:32].clone(), yt[:32].clone()
