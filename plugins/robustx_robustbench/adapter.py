"""Feed a zoo model [0,1] images of another shape: repeat grey channels, resize to the zoo's size."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class ZooInput(nn.Module):
    """Wraps a RobustBench model; ``normalizes_inputs`` tells robustx to add no normalization in front."""

    normalizes_inputs = True  # RobustBench models take [0,1] images and normalize inside

    def __init__(self, model: nn.Module, *, in_channels: int, image_size: int, channels: int, size: int) -> None:
        super().__init__()
        self.model = model
        self.repeat = channels // in_channels if in_channels != channels else 1
        if in_channels != channels and channels % in_channels:
            raise ValueError(f"cannot feed {in_channels}-channel images to a {channels}-channel zoo model")
        self.size = size if image_size != size else None

    def forward(self, x: torch.Tensor) -> Any:
        if self.repeat > 1:
            x = x.repeat(1, self.repeat, 1, 1)
        if self.size is not None:
            x = nn.functional.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return self.model(x)
