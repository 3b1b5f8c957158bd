"""The nn.Module ART's classifier wraps (kept apart so the factories stay import-light)."""

from __future__ import annotations

import torch
from torch import nn


class CastInput(nn.Module):
    """Casts inputs to the model's dtype: some ART attacks (HopSkipJump) query with float64 arrays."""

    def __init__(self, model: nn.Module, dtype: torch.dtype) -> None:
        super().__init__()
        self.model = model
        self.dtype = dtype

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x.to(self.dtype))
