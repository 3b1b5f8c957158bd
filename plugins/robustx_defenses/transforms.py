"""Registered model transforms (import-light; the module is built lazily)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from robustx.config.markers import Range
from robustx.host.declare import component

if TYPE_CHECKING:
    from torch import nn


@component("inference_noise", kind="transform", aliases=("noise_injection",),
           description="Predict f(x + N(0, sigma^2)) - randomized at inference (Araujo et al. 2020)")
def inference_noise(model: nn.Module, *, sigma: Annotated[float, Range(ge=0)] = 0.03, train: bool = False) -> nn.Module:
    """Araujo et al. 2020 noise injection: predict f(x + eta), eta ~ N(0, sigma^2), also in eval mode.

    ``train=True`` adds the noise during training too. The result is randomized on purpose,
    so robustx evaluates it with EOT attacks.
    """
    from .noise import InferenceNoise

    return InferenceNoise(model, sigma=sigma, noise_in_training=train)
