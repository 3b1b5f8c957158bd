"""The training-method contract: a defense turns a batch into a loss.

A defense factory is ``factory(**params) -> Defense``. The engine owns the loop (batches,
device, optimizer, schedule, checkpoints, validation); a defense owns only what differs
between training methods. Parameters named ``attack`` (one attack component) or
``attacks`` (a list of them) are validated by robustx like ``evaluate.attacks`` and are
built with :meth:`TrainContext.create_attack`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import torch
    from torch import nn

    from robustx.datasets.bundle import DatasetInfo

Attack = Callable[["torch.Tensor", "torch.Tensor"], "torch.Tensor"]


@dataclass
class TrainContext:
    """What the engine gives a defense: the model, data facts, a seeded RNG and attack building."""

    model: "nn.Module"
    device: "torch.device"
    info: "DatasetInfo"
    epochs: int
    generator: "torch.Generator"
    create_attack: Callable[[dict[str, Any], "nn.Module"], Attack]
    epoch: int = 0
    step: int = 0
    #: optimizer steps in one epoch (0 when unknown); lets a defense ramp over epochs (eps warm-up)
    steps_per_epoch: int = 0
    stats: dict[str, float] = field(default_factory=dict)

    def log(self, key: str, value: float) -> None:
        """Accumulate a per-epoch statistic (averaged over the epoch's batches in metrics.jsonl)."""
        self.stats[key] = self.stats.get(key, 0.0) + float(value)


class Defense:
    """Base class: override :meth:`loss`; the other hooks are optional."""

    #: short name shown in logs; set by subclasses
    name: str = "defense"

    def setup(self, ctx: TrainContext) -> None:
        """Called once before training (build attacks here with ``ctx.create_attack``)."""
        self.ctx = ctx

    def loss(self, model: "nn.Module", x: "torch.Tensor", y: "torch.Tensor") -> "torch.Tensor":
        """Return the scalar training loss of one batch (x in [0,1], model in train mode)."""
        raise NotImplementedError

    def on_epoch_end(self, epoch: int, metrics: dict[str, Any]) -> None:
        """Called after each epoch's validation, with that epoch's metrics."""
