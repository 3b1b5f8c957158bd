"""The components that the core's own defaults name, owned by the core (issue 24).

Why: a recipe that names no augmentation, schedule, optimizer or defense gets ``none`` / ``none`` /
``sgd`` / ``standard``. If those lived only in plugins, ``ROBUSTX_DISABLE_PLUGINS=training`` would
break every recipe with "unknown augmentation 'none'", a name the user never wrote. So the core
registers them after the plugins have registered theirs, for each name no plugin claimed: a plugin
may still provide a richer ``sgd`` or ``standard`` (it wins), and disabling it falls back to these.
Import-light: torch is imported when a factory is called.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, Callable

from robustx.base.errors import DuplicateNameError, UnknownNameError
from robustx.config.markers import Range
from robustx.host.declare import component, declarations
from robustx.host.manager import CORE
from robustx.train.defense import Defense

if TYPE_CHECKING:
    import torch
    from torch import nn


LearningRate = Annotated[float, Range(gt=0)]
Momentum = Annotated[float, Range(ge=0, lt=1)]
WeightDecay = Annotated[float, Range(ge=0)]
LabelSmoothing = Annotated[float, Range(ge=0, lt=1)]


@component("none", kind="augmentation", description="no augmentation")
def no_augmentation() -> Callable[..., Any]:
    """``augment(x, generator) -> x`` unchanged."""
    return lambda x, generator: x


@component("none", kind="schedule", description="constant learning rate")
def constant_lr(optimizer: Any, *, epochs: int, steps_per_epoch: int) -> tuple[None, bool]:
    """No scheduler: the optimizer's learning rate throughout."""
    return None, False


@component("sgd", kind="optimizer", description="SGD with momentum (torch.optim.SGD)")
def sgd(param_groups: Any, *, lr: LearningRate = 0.1, momentum: Momentum = 0.9, weight_decay: WeightDecay = 5e-4,
        nesterov: bool = False) -> "torch.optim.Optimizer":
    """torch.optim.SGD (the default optimizer of every recipe)."""
    import torch  # lazy: loads torch

    return torch.optim.SGD(param_groups, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)


class StandardTraining(Defense):
    """Cross-entropy on clean inputs (optionally label-smoothed): the no-defense baseline."""

    name = "standard"

    def __init__(self, label_smoothing: float = 0.0) -> None:
        self.label_smoothing = float(label_smoothing)

    def loss(self, model: "nn.Module", x: "torch.Tensor", y: "torch.Tensor") -> "torch.Tensor":
        import torch.nn.functional as F  # lazy: loads torch

        return F.cross_entropy(model(x), y, label_smoothing=self.label_smoothing)


@component("standard", kind="defense", aliases=("natural",), description="Cross-entropy on clean inputs (no defense)")
def standard(*, label_smoothing: LabelSmoothing = 0.0) -> Defense:
    """Cross-entropy on clean inputs: the baseline every defense is compared with."""
    return StandardTraining(label_smoothing)


#: kind -> (name, factory, aliases, description): what the recipe defaults (robustx.config.recipe) name, declared
#: above with @component like any plugin's components
ESSENTIALS: dict[str, list[tuple[str, Callable[..., Any], tuple[str, ...], str]]] = {}
for _factory, _d in declarations(sys.modules[__name__]):
    ESSENTIALS.setdefault(_d.kind, []).append((_d.name, _factory, _d.aliases, _d.description))


def register_essentials(kind: str, registry: Any) -> list[str]:
    """Add the core's ``kind`` entries whose name (and aliases) no plugin registered; returns their names."""
    added = []
    for name, factory, aliases, description in ESSENTIALS.get(kind, []):
        if any(_taken(registry, key) for key in (name, *aliases)):
            continue
        registry.register(name, factory, aliases=aliases, description=description, plugin=CORE)
        added.append(name)
    return added


def _taken(registry: Any, key: str) -> bool:
    """Registered by a plugin, or refused because two plugins claim it (the core adds no third claimant)."""
    try:
        registry.resolve(key)
    except DuplicateNameError:
        return True
    except UnknownNameError:
        return False
    return True
