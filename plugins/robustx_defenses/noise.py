"""Gaussian noise injection at the model input (Araujo et al. 2020; seed report 3.2.1)."""

from __future__ import annotations

import torch
from torch import nn

from robustx.evaluation.stochastic import in_training_phase


class InferenceNoise(nn.Module):
    """``model(x + sigma * N(0, I))``, stochastic in eval mode (that is the defense).

    The noisy input is deliberately *not* clamped to [0, 1]: clamping would turn the
    Gaussian into a biased, non-Gaussian perturbation exactly on the saturated pixels
    (MNIST's black background: half the noise would be cut away and the mean would shift
    to ~+0.4 sigma), which changes what the model sees and breaks the Gaussian-noise
    reasoning the method relies on. Models see normalized inputs anyway, so values
    slightly outside [0, 1] are harmless. Noise comes from torch's global RNG, so
    ``torch.manual_seed`` reproduces a run and EOT gets fresh noise per call.
    """

    def __init__(self, model: nn.Module, sigma: float = 0.03, noise_in_training: bool = False) -> None:
        super().__init__()
        self.model = model
        self.sigma = float(sigma)
        self.noise_in_training = noise_in_training

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # off while weights train (training-time attacks run in eval mode, inside training_phase)
        if self.sigma > 0 and (self.noise_in_training or not (self.training or in_training_phase())):
            x = x + self.sigma * torch.randn_like(x)
        return self.model(x)

    def extra_repr(self) -> str:
        return f"sigma={self.sigma:g}, noise_in_training={self.noise_in_training}"
