"""Optimizers and learning-rate schedules named in recipes, built through their registries.

The factories live in plugins (built-ins: ``plugins/robustx_training``); the core only groups the
parameters, so weight-decay exemptions work for every optimizer, and passes the run's length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from robustx.host.manager import PluginHost, get_host

if TYPE_CHECKING:
    import torch


def no_weight_decay_names(model: Any) -> set[str]:
    """Full names of the parameters that modules exempt from weight decay (timm's convention).

    Any submodule may define ``no_weight_decay() -> set[str]`` with names relative to itself
    (NoiseNet's noise scales, for example): decaying them would shrink the noise toward zero.
    """
    names: set[str] = set()
    for prefix, module in model.named_modules():
        exempt = getattr(module, "no_weight_decay", None)
        if callable(exempt):
            names.update(f"{prefix}.{n}" if prefix else n for n in exempt())
    return names


def param_groups(model: Any) -> list[dict[str, Any]]:
    """One group of decayed parameters, plus one with ``weight_decay: 0`` when a module exempts some."""
    exempt = no_weight_decay_names(model)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    decay = [p for n, p in named if n not in exempt]
    no_decay = [p for n, p in named if n in exempt]
    groups: list[dict[str, Any]] = [{"params": decay}] if decay else []
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return groups


def _params(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k != "name"}


def build_optimizer(model: Any, spec: dict[str, Any], host: PluginHost | None = None) -> "torch.optim.Optimizer":
    """The recipe's ``train.optimizer`` for ``model`` (an ``nn.Module``, or an iterable of parameters)."""
    import torch  # lazy: loads torch

    groups = param_groups(model) if isinstance(model, torch.nn.Module) else model
    return (host or get_host()).registry("optimizer").create(spec["name"], groups, **_params(spec))


def build_schedule(optimizer: "torch.optim.Optimizer", spec: dict[str, Any], epochs: int,
                   steps_per_epoch: int, host: PluginHost | None = None) -> tuple[Any, bool]:
    """Return (scheduler or None, steps_per_batch) for the recipe's ``train.schedule``."""
    return (host or get_host()).registry("schedule").create(
        spec["name"], optimizer, epochs=epochs, steps_per_epoch=steps_per_epoch, **_params(spec))
