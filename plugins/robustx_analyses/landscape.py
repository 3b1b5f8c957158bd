"""Loss landscape in parameter space (Li et al. 2018, "Visualizing the loss landscape of neural nets").

Directions are filter-normalized: a Gaussian direction is rescaled filter by filter (one filter =
one slice along a weight's first dimension) to the norm of the matching filter of the trained
weights, so the plot is not distorted by the scale invariance of ReLU networks. Parameters with
at most one dimension (biases, BatchNorm scales and shifts) get a zero direction, as in the paper.
Buffers (BatchNorm running statistics) are never moved; the model is evaluated in eval mode.
"""

from __future__ import annotations

import torch
from torch.func import functional_call

from .margin import cross_entropy


def filter_normalized_direction(model: torch.nn.Module, generator: torch.Generator | None = None,
                                zero_bias_bn: bool = True) -> dict[str, torch.Tensor]:
    """A random direction with ``||d[i]|| = ||w[i]||`` for every filter i of every weight tensor."""
    direction: dict[str, torch.Tensor] = {}
    for name, weight in model.named_parameters():
        d = torch.randn(weight.shape, generator=generator).to(weight)
        if weight.dim() <= 1:
            if zero_bias_bn:
                d.zero_()
            else:
                d.mul_(weight.norm() / d.norm().clamp_min(1e-10))
        else:
            w_norms = weight.detach().flatten(1).norm(dim=1)
            d_norms = d.flatten(1).norm(dim=1).clamp_min(1e-10)
            d.mul_((w_norms / d_norms).view(-1, *([1] * (weight.dim() - 1))))
        direction[name] = d
    return direction


@torch.no_grad()
def param_loss_surface(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, radius: float = 1.0,
                       grid: int = 21, seed: int = 0, batch_size: int = 512) -> dict[str, torch.Tensor]:
    """CE loss and accuracy of ``theta + alpha d1 + beta d2`` over a (grid x grid) lattice on (x, y).

    ``loss[i, j]`` is at ``(alpha_j, beta_i)``. Each lattice point is a different network, so the
    loop runs over points; the batch is evaluated with ``torch.func.functional_call`` and the
    model's own parameters are never modified.
    """
    generator = torch.Generator().manual_seed(seed)
    d1 = filter_normalized_direction(model, generator)
    d2 = filter_normalized_direction(model, generator)
    params = {name: p.detach() for name, p in model.named_parameters()}
    buffers = {name: b for name, b in model.named_buffers()}
    axis = torch.linspace(-radius, radius, grid)
    if grid % 2 == 1:
        axis[grid // 2] = 0.0
    loss = torch.zeros(grid, grid)
    accuracy = torch.zeros(grid, grid)
    was_training = model.training
    model.eval()
    try:
        for i, beta in enumerate(axis.tolist()):
            for j, alpha in enumerate(axis.tolist()):
                moved = {n: p + alpha * d1[n] + beta * d2[n] for n, p in params.items()}
                total_loss, correct = 0.0, 0
                for start in range(0, x.shape[0], batch_size):
                    logits = functional_call(model, (moved, buffers), (x[start:start + batch_size],))
                    yb = y[start:start + batch_size]
                    total_loss += float(cross_entropy(logits, yb).sum())
                    correct += int((logits.argmax(1) == yb).sum())
                loss[i, j] = total_loss / x.shape[0]
                accuracy[i, j] = correct / x.shape[0]
    finally:
        model.train(was_training)
    return {"alpha": axis, "beta": axis.clone(), "loss": loss, "accuracy": accuracy}
