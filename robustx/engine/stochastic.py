"""Honest evaluation of randomized models: detect randomness, attack with EOT, predict by averaging.

A model whose repeated forward passes differ (noise injection, NoiseNet) would look robust to a
single-sample gradient attack only because its gradients are noisy. robustx therefore attacks
``EOTModel`` (the log of the expected softmax over ``samples`` independent passes, so the
attack's gradient is the Expectation-over-Transformation gradient of Athalye et al. 2018) and
reports accuracy as the mean over several stochastic predictions.
"""

from __future__ import annotations

import torch
from torch import nn


@torch.no_grad()
def is_stochastic(model: nn.Module, x: torch.Tensor, tries: int = 3) -> bool:
    """True when repeated eval-mode forward passes on the same input differ."""
    was_training = model.training
    model.eval()
    try:
        first = model(x)
        return any(not torch.equal(first, model(x)) for _ in range(tries - 1))
    finally:
        model.train(was_training)


class EOTModel(nn.Module):
    """log E[softmax(model(x))] over ``samples`` independent forward passes."""

    def __init__(self, model: nn.Module, samples: int) -> None:
        super().__init__()
        self.model = model
        self.samples = samples

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = torch.stack([self.model(x).softmax(dim=1) for _ in range(self.samples)]).mean(0)
        return probs.clamp_min(1e-12).log()


@torch.no_grad()
def correct_fraction(model: nn.Module, x: torch.Tensor, y: torch.Tensor, predictions: int) -> torch.Tensor:
    """Per-example fraction of ``predictions`` stochastic forward passes that are correct."""
    hits = torch.zeros_like(y, dtype=torch.float32)
    for _ in range(predictions):
        hits += (model(x).argmax(1) == y).float()
    return hits / predictions
