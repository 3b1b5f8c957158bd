"""Everything a run builds before its first epoch: the model, the optimizer and schedule, the defense."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from robustx.datasets.bundle import DatasetInfo
from robustx.host.manager import PluginHost
from robustx.models.build import create_model
from robustx.train.defense import Defense, TrainContext
from robustx.train.optim import build_optimizer, build_schedule

if TYPE_CHECKING:
    import torch
    from torch import nn

    from robustx.config.models import ModelSettings, RecipeSettings


def build_model(spec: "ModelSettings", info: DatasetInfo, host: PluginHost) -> "nn.Module":
    """The recipe's architecture (normalizing inside, with its transforms), with ``weights`` loaded."""
    from robustx.base.checkpoint import load_weights  # lazy: loads torch

    model = create_model(spec.name, num_classes=info.num_classes, in_channels=info.in_channels,
                         image_size=info.image_size, mean=info.mean, std=info.std, transforms=spec.transforms,
                         host=host, **spec.params)
    if spec.weights:
        state = load_weights(spec.weights, allow_pickle=spec.allow_pickle)
        target = model if any(k.startswith("net.") for k in state) else model.net  # type: ignore[union-attr]
        target.load_state_dict(state)
    return model


@dataclass
class Training:
    """What the epoch loop steps: optimizer, schedule (per batch or per epoch), defense and its context."""

    optimizer: "torch.optim.Optimizer"
    scheduler: Any
    per_batch: bool
    defense: Defense
    ctx: TrainContext
    precision: Any = None  # robustx.train.precision.StepPrecision (autocast, fp16 loss scaling) set by the run
    ema: Any = None  # robustx.train.ema.WeightAverage when the recipe has train.ema, set by the run

    def end_epoch(self) -> None:
        """Step an epoch-wise schedule (a per-batch one was stepped inside the epoch)."""
        if self.scheduler is not None and not self.per_batch:
            self.scheduler.step()


def build_training(model: "nn.Module", cfg: "RecipeSettings", info: DatasetInfo, device: "torch.device",
                   steps_per_epoch: int, create_attack: Callable[..., Any], host: PluginHost) -> Training:
    """Optimizer, schedule and defense of the recipe's ``train`` section; the defense is set up here."""
    import torch  # lazy: loads torch


    train = cfg.train
    optimizer = build_optimizer(model, train.optimizer, host)
    scheduler, per_batch = build_schedule(optimizer, train.schedule, train.epochs, steps_per_epoch, host)
    spec = dict(train.defense)
    defense = host.registry("defense").create(spec.pop("name"), **spec)
    ctx = TrainContext(model=model, device=device, info=info, epochs=train.epochs,
                       generator=torch.Generator().manual_seed(cfg.seed), create_attack=create_attack,
                       steps_per_epoch=steps_per_epoch)
    defense.setup(ctx)
    return Training(optimizer, scheduler, per_batch, defense, ctx)
