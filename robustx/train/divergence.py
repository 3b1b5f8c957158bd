"""Stop training the moment it diverges, naming the epoch and the first bad batch.

A diverged run (learning rate far too high) otherwise trains on with ``loss nan``, checkpoints
NaN weights and reports chance accuracy under every attack. Two signs count as divergence:

* a non-finite batch loss, or non-finite weights after an epoch (Inf/NaN cannot recover);
* a batch loss above ``EXPLOSION_FACTOR`` (1e6) times the run's first batch loss (at least 1):
  cross-entropy-based losses start near log(classes) and a healthy run never grows them a
  millionfold, while e.g. Adam at ``lr: 1000`` reaches 1e11 without ever being NaN.

Reading the loss on the host every batch would stall an accelerator, so the first bad batch is
recorded on the device and read every ``CHECK_EVERY`` batches and at the end of the epoch.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from robustx.base.errors import DivergenceError

EXPLOSION_FACTOR = 1e6
CHECK_EVERY = 16
ADVICE = "lower train.optimizer.lr or set train.grad_clip"


class DivergenceGuard:
    """Watches batch losses (``observe``) and weights (``check_weights``); raises ``DivergenceError``."""

    def __init__(self, reference: float | None = None) -> None:
        self.reference = reference  # the run's first finite batch loss; kept in the checkpoint
        self.epoch = 0
        self._first: torch.Tensor | None = None  # first bad batch of the epoch (-1: none yet), on the device
        self._value: torch.Tensor | None = None

    def start_epoch(self, epoch: int) -> None:
        self.epoch, self._first, self._value = epoch, None, None

    def observe(self, loss: torch.Tensor, batch: int) -> None:
        """Record batch ``batch`` (1-based) of the epoch; check on the host every CHECK_EVERY batches."""
        loss = loss.detach().float()
        if self.reference is None and bool(torch.isfinite(loss)):  # one host read per run
            self.reference = float(loss)
        limit = EXPLOSION_FACTOR * max(1.0, self.reference or 1.0)
        bad = ~torch.isfinite(loss) | (loss > limit)
        if self._first is None:
            self._first = torch.full((), -1, dtype=torch.long, device=loss.device)
            self._value = torch.zeros((), device=loss.device)
        new = bad & (self._first < 0)
        self._first = torch.where(new, torch.full_like(self._first, batch), self._first)
        self._value = torch.where(new, loss, self._value)
        if batch % CHECK_EVERY == 0:
            self.check()

    def check(self) -> None:
        if self._first is None or int(self._first) < 0:
            return
        value = float(self._value)
        why = "is not finite" if not math.isfinite(value) else (
            f"exceeds {EXPLOSION_FACTOR:.0e} x the first loss ({self.reference:.4g})")
        raise DivergenceError(f"training diverged at epoch {self.epoch}, batch {int(self._first)}: "
                              f"loss {value:.4g} {why}; {ADVICE}")

    def check_weights(self, model: nn.Module) -> None:
        """After an epoch: every floating parameter and buffer finite (one host read)."""
        tensors = [t for t in (*model.parameters(), *model.buffers()) if t.is_floating_point()]
        if not tensors or bool(torch.stack([torch.isfinite(t).all() for t in tensors]).all()):
            return
        name = next(n for n, t in (*model.named_parameters(), *model.named_buffers())
                    if t.is_floating_point() and not bool(torch.isfinite(t).all()))
        raise DivergenceError(f"training diverged at epoch {self.epoch}: weights '{name}' are not finite "
                              f"after its last batch; {ADVICE}")
