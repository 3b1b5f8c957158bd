"""Standard (natural) training: the no-defense baseline."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from robustx.train.defense import Defense


class StandardTraining(Defense):
    """Cross-entropy on clean inputs (optionally with label smoothing)."""

    name = "standard"

    def __init__(self, label_smoothing: float = 0.0) -> None:
        self.label_smoothing = float(label_smoothing)

    def loss(self, model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(model(x), y, label_smoothing=self.label_smoothing)
