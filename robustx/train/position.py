"""Where an epoch stood when a preemption cut it: enough to continue it bitwise identically.

Why a separate record: the per-epoch checkpoint holds the state *between* epochs. A stop
requested mid-epoch (robustx.base.preemption) also needs the epoch's shuffled order, how many
batches were done, the loss and defense statistics accumulated so far and the learning rate the
epoch started with (its metrics line reports it). RNG states are stored by the run with the rest
of the checkpoint. ``extra`` is a dict for state other parts of the loop add (an EMA, AWP ...):
whatever is in it is stored and given back as is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class EpochPosition:
    """Epoch ``epoch`` was cut after ``batch`` batches (1 = the first batch done)."""

    epoch: int
    batch: int
    order: torch.Tensor | None  # the epoch's shuffled order (CPU); None when the epoch was not shuffled
    loss_total: torch.Tensor  # sum of the batch losses so far (the tensor the loop accumulates)
    stats: dict[str, float] = field(default_factory=dict)
    lr: float | None = None  # the learning rate when the epoch started
    extra: dict[str, Any] = field(default_factory=dict)

    def to_state(self) -> dict[str, Any]:
        """Plain values and tensors (robustx.base.checkpoint.pack stores them without pickle)."""
        return {"epoch": self.epoch, "batch": self.batch, "order": self.order,
                "loss_total": self.loss_total.detach().cpu().reshape(1), "stats": dict(self.stats), "lr": self.lr,
                "extra": self.extra}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> "EpochPosition":
        return cls(epoch=int(state["epoch"]), batch=int(state["batch"]), order=state.get("order"),
                   loss_total=state["loss_total"].reshape(()), stats=dict(state.get("stats") or {}),
                   lr=state.get("lr"), extra=dict(state.get("extra") or {}))


class EpochInterrupted(Exception):
    """Raised by the training loop after the batch in flight when a stop was requested."""

    def __init__(self, position: EpochPosition, signum: int) -> None:
        super().__init__(f"epoch {position.epoch} stopped after batch {position.batch}")
        self.position = position
        self.signum = signum
