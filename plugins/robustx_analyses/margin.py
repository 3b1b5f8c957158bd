"""The decision function of Yu et al. (2018) and the losses whose gradients give attack directions.

``g(x) = z_y(x) - max_{j != y} z_j(x)`` (the logit margin) is positive when ``x`` is classified
correctly; ``g = 0`` is the decision boundary. Unlike cross-entropy it does not saturate at
high confidence, so surfaces of ``g`` keep their geometry where loss surfaces go flat.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from robustx.base.functional import logit_margin

__all__ = ["cross_entropy", "least_likely", "logit_margin"]


def cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-example cross-entropy (no reduction)."""
    return F.cross_entropy(logits, y, reduction="none")


def least_likely(logits: torch.Tensor) -> torch.Tensor:
    """The least-likely class of each row: the target of the 'll' attack direction."""
    return logits.argmin(dim=1)
