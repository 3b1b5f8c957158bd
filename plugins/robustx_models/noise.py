"""Parametric Noise Injection (Rakin, He & Fan, 2018, "Parametric Noise Injection: Trainable
Randomness to Improve Deep Neural Network Robustness against Adversarial Attack").

A noisy layer computes with ``w + alpha * eta``, ``eta ~ N(0, std(w)^2)`` (PNI-W) and/or adds
``alpha * eta``, ``eta ~ N(0, std(out)^2)``, to its output (PNI-A). ``alpha`` is one trainable
scalar per layer and per noise site. As in the paper the noise stays on at test time (it is
part of the defense); switch it off for analysis with :func:`noise_disabled` or :func:`set_noise`.
The standard deviation is taken without gradient, as in the authors' code, so ``alpha`` alone
learns the noise scale.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

NoiseSite = Literal["weights", "activations", "both"]


class _ParametricNoise:
    """Mixed into nn.Conv2d / nn.Linear; state_dict keys stay ``weight``/``bias`` plus the alphas."""

    weight: nn.Parameter
    noise_enabled: bool

    def _init_noise(self, on: NoiseSite, alpha_init: float, device=None, dtype=None) -> None:
        if on not in ("weights", "activations", "both"):
            raise ValueError(f"noise site must be 'weights', 'activations' or 'both', got {on!r}")
        self.noise_on = on
        self.noise_enabled = True
        self.alpha_w = self.alpha_a = None
        if on in ("weights", "both"):
            self.alpha_w = nn.Parameter(torch.full((), float(alpha_init), device=device, dtype=dtype))
        if on in ("activations", "both"):
            self.alpha_a = nn.Parameter(torch.full((), float(alpha_init), device=device, dtype=dtype))

    def noisy_weight(self) -> torch.Tensor:
        if not self.noise_enabled or self.alpha_w is None:
            return self.weight
        std = self.weight.detach().std()
        return self.weight + self.alpha_w * torch.randn_like(self.weight) * std

    def noisy_output(self, out: torch.Tensor) -> torch.Tensor:
        if not self.noise_enabled or self.alpha_a is None:
            return out
        std = out.detach().std()
        return out + self.alpha_a * torch.randn_like(out) * std

    def no_weight_decay(self) -> set[str]:
        """The alphas (timm convention): decay would pull the noise scale to 0, as the PNI code avoids."""
        return {name for name in ("alpha_w", "alpha_a") if getattr(self, name) is not None}

    def extra_repr(self) -> str:  # type: ignore[misc]
        return f"{super().extra_repr()}, noise_on={self.noise_on}, noise_enabled={self.noise_enabled}"  # type: ignore[misc]


class NoisyConv2d(_ParametricNoise, nn.Conv2d):
    """``nn.Conv2d`` with PNI on its weights and/or its output."""

    def __init__(self, *args, on: NoiseSite = "weights", alpha_init: float = 0.25, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_noise(on, alpha_init, self.weight.device, self.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.noisy_output(self._conv_forward(x, self.noisy_weight(), self.bias))

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, on: NoiseSite, alpha_init: float) -> "NoisyConv2d":
        """A noisy layer that shares ``conv``'s weight and bias Parameters (no copy, no re-init)."""
        new = cls(
            conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride, padding=conv.padding,
            dilation=conv.dilation, groups=conv.groups, bias=conv.bias is not None,
            padding_mode=conv.padding_mode, device="meta", on=on, alpha_init=alpha_init,
        )
        new.weight, new.bias = conv.weight, conv.bias
        new._init_noise(on, alpha_init, conv.weight.device, conv.weight.dtype)
        new.train(conv.training)
        return new


class NoisyLinear(_ParametricNoise, nn.Linear):
    """``nn.Linear`` with PNI on its weights and/or its output."""

    def __init__(self, *args, on: NoiseSite = "weights", alpha_init: float = 0.25, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._init_noise(on, alpha_init, self.weight.device, self.weight.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.noisy_output(F.linear(x, self.noisy_weight(), self.bias))

    @classmethod
    def from_linear(cls, linear: nn.Linear, on: NoiseSite, alpha_init: float) -> "NoisyLinear":
        """A noisy layer that shares ``linear``'s weight and bias Parameters."""
        new = cls(linear.in_features, linear.out_features, bias=linear.bias is not None, device="meta",
                  on=on, alpha_init=alpha_init)
        new.weight, new.bias = linear.weight, linear.bias
        new._init_noise(on, alpha_init, linear.weight.device, linear.weight.dtype)
        new.train(linear.training)
        return new


def _noisy_version(module: nn.Module, on: NoiseSite, alpha_init: float) -> nn.Module | None:
    # exact types only: subclasses (e.g. attention's out_proj) may not call forward with .weight
    if type(module) is nn.Conv2d:
        return NoisyConv2d.from_conv(module, on, alpha_init)
    if type(module) is nn.Linear:
        return NoisyLinear.from_linear(module, on, alpha_init)
    return None


def add_parametric_noise(model: nn.Module, on: NoiseSite = "weights", alpha_init: float = 0.25) -> nn.Module:
    """Replace every ``nn.Conv2d``/``nn.Linear`` of ``model`` in place by its noisy version.

    Weights are shared, not copied, so an optimizer built before or after still sees them.
    Returns ``model`` (or the noisy layer, when ``model`` itself is a single layer).
    """
    root = _noisy_version(model, on, alpha_init)
    if root is not None:
        return root
    converted = 0
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            noisy = _noisy_version(child, on, alpha_init)
            if noisy is not None:
                setattr(parent, name, noisy)
                converted += 1
    if converted == 0:
        from robustx.base.errors import RobustxError

        raise RobustxError(f"noisenet: {type(model).__name__} has no nn.Conv2d or nn.Linear layer to make noisy")
    return model


def noise_layers(model: nn.Module) -> Iterator[_ParametricNoise]:
    """Every noisy layer of ``model``."""
    return (m for m in model.modules() if isinstance(m, _ParametricNoise))


def noise_alphas(model: nn.Module) -> list[nn.Parameter]:
    """The trainable noise scales (e.g. to give them their own optimizer group)."""
    return [a for layer in noise_layers(model) for a in (layer.alpha_w, layer.alpha_a) if a is not None]


def set_noise(model: nn.Module, enabled: bool) -> int:
    """Switch the noise of every noisy layer on or off; returns how many layers were switched."""
    count = 0
    for layer in noise_layers(model):
        layer.noise_enabled = enabled
        count += 1
    return count


@contextmanager
def noise_disabled(model: nn.Module) -> Iterator[nn.Module]:
    """``with noise_disabled(model): ...`` runs the model deterministically, then restores each layer."""
    layers = list(noise_layers(model))
    previous = [layer.noise_enabled for layer in layers]
    for layer in layers:
        layer.noise_enabled = False
    try:
        yield model
    finally:
        for layer, state in zip(layers, previous):
            layer.noise_enabled = state
