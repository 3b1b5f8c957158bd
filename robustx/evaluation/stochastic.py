"""Honest evaluation of randomized models: detect randomness, attack with EOT, predict by averaging.

A model whose repeated forward passes differ (noise injection, NoiseNet) would look robust to a
single-sample gradient attack only because its gradients are noisy. robustx therefore attacks
``EOTModel`` (the log of the expected softmax over ``samples`` independent passes, so the
attack's gradient is the Expectation-over-Transformation gradient of Athalye et al. 2018) and
reports accuracy as the mean over several stochastic predictions.

Three more things a randomized model needs, kept here so every plugin can use them:

* :func:`keep_worst`: attacks that keep an adversarial only when ONE stochastic check misclassifies
  it (torchattacks' APGD/MultiAttack) silently fall back to the clean image; candidates are instead
  compared by their expected loss over several draws.
* :func:`training_phase`: noise that is meant for inference only (``train: false``) must be off
  while the weights train, including inside the training-time attack, which runs in eval mode.
* :class:`FixedNoise`: analyses that difference two forward passes (finite-difference Hessians)
  must see the same noise draw in both, or they measure the noise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from robustx.evaluation.attack_guard import isolated_rng

_training_depth = 0


@contextmanager
def training_phase() -> Iterator[None]:
    """Mark a block as weight training (the loop and its training-time attacks), not inference."""
    global _training_depth
    _training_depth += 1
    try:
        yield
    finally:
        _training_depth -= 1


def in_training_phase() -> bool:
    """True inside :func:`training_phase`: inference-only noise must stay off, even in eval mode."""
    return _training_depth > 0


@torch.no_grad()
def is_stochastic(model: nn.Module, x: torch.Tensor, tries: int = 3) -> bool:
    """True when repeated eval-mode forward passes on the same input differ (NaN equals NaN here)."""
    was_training = model.training
    model.eval()
    try:
        first = model(x)
        return any(not torch.allclose(first, model(x), rtol=0, atol=0, equal_nan=True) for _ in range(tries - 1))
    finally:
        model.train(was_training)


class EOTModel(nn.Module):
    """log E[softmax(model(x))] over ``samples`` independent forward passes.

    ``randomized`` tells attack factories that they attack a randomized model (AutoAttack then
    runs its 'rand' version); ``predictions`` is how many stochastic predictions score a candidate.
    """

    randomized = True

    def __init__(self, model: nn.Module, samples: int, predictions: int = 10) -> None:
        super().__init__()
        self.model = model
        self.samples = samples
        self.predictions = predictions

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        probs = torch.stack([self.model(x).softmax(dim=1) for _ in range(self.samples)]).mean(0)
        return probs.clamp_min(1e-12).log()


def base_model(model: nn.Module) -> nn.Module:
    """The stochastic model inside an :class:`EOTModel` (the model itself otherwise)."""
    return model.model if isinstance(model, EOTModel) else model


@torch.no_grad()
def correct_fraction(model: nn.Module, x: torch.Tensor, y: torch.Tensor, predictions: int) -> torch.Tensor:
    """Per-example fraction of ``predictions`` stochastic forward passes that are correct."""
    hits = torch.zeros_like(y, dtype=torch.float32)
    for _ in range(predictions):
        hits += (model(x).argmax(1) == y).float()
    return hits / predictions


@torch.no_grad()
def expected_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, predictions: int) -> torch.Tensor:
    """Per-example (error rate + min(CE, 100) / 1e4) averaged over ``predictions`` stochastic passes.

    The error rate is what the reported accuracy measures; the small CE term only breaks ties
    between candidates that fool equally often (e.g. both never), preferring the more damaging one.
    """
    score = torch.zeros_like(y, dtype=torch.float32)
    for _ in range(predictions):
        logits = model(x)
        score += (logits.argmax(1) != y).float() + F.cross_entropy(logits, y, reduction="none").clamp_max(100) / 1e4
    return score / predictions


def keep_worst(model: nn.Module, candidates: list[torch.Tensor], y: torch.Tensor, predictions: int) -> torch.Tensor:
    """Per example, the candidate with the highest :func:`expected_loss` (never a silent clean fallback)."""
    scores = torch.stack([expected_loss(model, c, y, predictions) for c in candidates])
    best = scores.argmax(0)
    stacked = torch.stack(candidates)
    return stacked[best, torch.arange(len(y), device=y.device)]


class FixedNoise(nn.Module):
    """Runs ``model`` with the same random draw on every call (common random numbers).

    Each forward forks torch's RNG and seeds it with ``seed``, so two calls on inputs of the same
    shape see identical noise and their difference measures the model, not the noise.
    """

    def __init__(self, model: nn.Module, seed: int = 0) -> None:
        super().__init__()
        self.model = model
        self.seed = seed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with isolated_rng(self.seed):
            return self.model(x)
