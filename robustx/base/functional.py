"""Small differentiable functions several plugins share (defenses, attacks, analyses)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def logit_margin(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Decision function of the decision-surface paper: g = z_y - max_{j != y} z_j (> 0 iff correct)."""
    true = logits.gather(1, y[:, None]).squeeze(1)
    is_true = F.one_hot(y, logits.shape[1]).bool()
    best_other = logits.masked_fill(is_true, float("-inf")).amax(dim=1)
    return true - best_other
