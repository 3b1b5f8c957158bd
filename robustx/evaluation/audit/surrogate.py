"""A small differentiable stand-in for the audited model, for transfer attacks (check e).

It is distilled on the audited examples themselves (and noisy copies inside the threat ball)
to imitate the model's predictions, so it needs no training data, no architecture of its own
choosing, and none of the model's gradients: a masked model cannot hide from it.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

HIDDEN = 256


@torch.no_grad()
def _soft_labels(model: nn.Module, x: torch.Tensor, draws: int) -> torch.Tensor:
    return torch.stack([model(x).softmax(1) for _ in range(draws)]).mean(0)


def distill(model: nn.Module, x: torch.Tensor, eps: float, steps: int, *, draws: int = 1,
            seed: int = 0) -> nn.Module:
    """An MLP trained for ``steps`` Adam steps to match ``model``'s probabilities around ``x``."""
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    classes = int(model(x[:1]).shape[1])
    surrogate = nn.Sequential(nn.Flatten(), nn.Linear(x[0].numel(), HIDDEN), nn.ReLU(),
                              nn.Linear(HIDDEN, classes)).to(x.device)
    optimizer = torch.optim.Adam(surrogate.parameters(), lr=1e-3)
    noise = (torch.rand(x.shape, generator=generator).to(x.device) * 2 - 1) * eps
    inputs = torch.cat([x, (x + noise).clamp(0, 1)])
    targets = _soft_labels(model, inputs, draws)
    for _ in range(steps):
        loss = F.kl_div(surrogate(inputs).log_softmax(1), targets, reduction="batchmean")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return surrogate.eval()
