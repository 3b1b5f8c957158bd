"""The robustx plugin hooks. Every hook is documented in docs/plugin-hooks.md (a test enforces it).

Registration hooks receive a ``register`` callable::

    register(name, factory, *, aliases=(), description="", smoke=None)

Built-in plugins declare each component next to its factory, ``@component(name, kind=..., smoke=...)``,
and register what a module declares with ``register_declared(register, module)`` (robustx.host.declare).

robustx calls each plugin's implementation separately, so it records which plugin
(and distribution version) registered every entry. Implementations may accept fewer
arguments than a spec names, so specs can grow without breaking plugins. Which plugins are
imported for a hook is decided by their entry-point groups (:mod:`robustx.host.entry_points`).
"""

from __future__ import annotations

from typing import Any, Callable

import pluggy

hookspec = pluggy.HookspecMarker("robustx")
hookimpl = pluggy.HookimplMarker("robustx")

Register = Callable[..., None]


@hookspec
def robustx_register_attacks(register: Register) -> None:
    """Register attacks: ``factory(model, **params) -> attack``, ``attack(x, y) -> x_adv``."""


@hookspec
def robustx_register_defenses(register: Register) -> None:
    """Register training methods: ``factory(**params) -> robustx.Defense``."""


@hookspec
def robustx_register_transforms(register: Register) -> None:
    """Register model transforms: ``factory(model, **params) -> nn.Module`` (e.g. noise injection)."""


@hookspec
def robustx_register_architectures(register: Register) -> None:
    """Register models: ``factory(*, num_classes, in_channels, image_size, **params) -> nn.Module``."""


@hookspec
def robustx_register_datasets(register: Register) -> None:
    """Register datasets: ``factory(*, root, download, **params) -> robustx.DatasetBundle``."""


@hookspec
def robustx_register_recipes(register: Register) -> None:
    """Register recipe files: ``register(name, path_to_yaml, description=...)``."""


@hookspec
def robustx_register_analyses(register: Register) -> None:
    """Register analyses: ``factory(**params) -> callable(context) -> dict`` used by reports."""


@hookspec
def robustx_register_optimizers(register: Register) -> None:
    """Register optimizers: ``factory(param_groups, **params) -> torch.optim.Optimizer``."""


@hookspec
def robustx_register_schedules(register: Register) -> None:
    """Register lr schedules: ``factory(optimizer, *, epochs, steps_per_epoch, **params) -> (scheduler, per_batch)``."""


@hookspec
def robustx_register_augmentations(register: Register) -> None:
    """Register batch augmentations: ``factory(**params) -> augment(x, generator) -> x``."""


@hookspec
def robustx_register_loggers(register: Register) -> None:
    """Register experiment trackers for a recipe's ``loggers``: ``factory(run_dir, **params) -> tracker``.

    The plugin that registers a name also drives it, from its own ``robustx_run_event``.
    """


@hookspec
def robustx_register_certifiers(register: Register) -> None:
    """Register certifiers: ``factory(model, **params) -> certifier``, ``certifier(x, y, index) -> {"radius": ...}``.

    A certifier declares ``norm``, ``budgets`` and ``smoothed`` (see :mod:`robustx.evaluation.certification`).
    """


@hookspec
def robustx_register_commands(cli: Any) -> None:
    """Add click commands or groups to the ``robustx`` CLI: ``cli.add_command(...)``.

    Asked only of plugins in the ``robustx.commands`` entry-point group, which ``robustx --help``
    imports: keep that module click-only at top level.
    """


@hookspec
def robustx_run_event(event: str, payload: dict[str, Any]) -> None:
    """Observe a run: ``event`` is run_start, epoch_end, evaluation_end or run_end (for loggers).

    At run_start ``payload["recipe"]`` is the typed, resolved recipe (``robustx.config.models.RecipeSettings``:
    ``recipe.train.epochs``; ``recipe.to_dict()`` for plain data; ``recipe["train"]`` still works, deprecated)."""
