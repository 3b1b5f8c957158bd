"""Factories of the example plugin; torch is imported only when they are called."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from robustx import Range, component

if TYPE_CHECKING:
    import torch
    from torch import nn


class UniformNoise:
    """x + eps * sign(u), u ~ U(-1, 1), clipped to [0, 1]: what an attack without gradients does."""

    norm = "Linf"

    def __init__(self, model: "nn.Module", eps: float) -> None:
        self.model, self.eps = model, eps

    def __call__(self, x: "torch.Tensor", y: "torch.Tensor") -> "torch.Tensor":
        import torch

        noise = torch.empty_like(x).uniform_(-1, 1).sign()
        return (x + self.eps * noise).clamp(0, 1).detach()


# The declaration sits on the factory: name, aliases, description (default: the docstring's first line) and
# the cheap parameters robustx's registry-driven contract tests use (tests/contracts/test_attack_contract.py).
@component("example:uniform_noise", kind="attack", smoke={"eps": 0.5})  # noise needs a large budget to hurt
def uniform_noise(model: "nn.Module", *, eps: Annotated[float, Range(ge=0, le=1)] = 0.1) -> UniformNoise:
    """random-sign noise at the Linf budget (baseline)"""
    return UniformNoise(model, eps)


@component("example_mlp", kind="architecture", aliases=("example:mlp",), description="two-layer MLP")
def example_mlp(*, num_classes: int, in_channels: int, image_size: int,
                hidden: Annotated[int, Range(ge=1)] = 128) -> "nn.Module":
    from torch import nn

    return nn.Sequential(nn.Flatten(), nn.Linear(in_channels * image_size * image_size, hidden), nn.ReLU(),
                         nn.Linear(hidden, num_classes))
