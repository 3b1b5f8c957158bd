"""Attack iterates, recorded for visualization, and their projection onto a surface's plane.

robustx attacks return only the final adversarial image, so these are small loops that keep
every iterate (for pictures, not for evaluation). Coordinates are the least-squares fit
``delta_t ~ a_t u + b_t v``; the part of ``delta_t`` the plane cannot show is reported as
the residual (its L2 and Linf norms).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from .margin import cross_entropy, logit_margin


@dataclass
class Trajectory:
    """Iterates of one attack on one batch: ``deltas`` (T+1, N, C, H, W), ``deltas[0]`` = start."""

    attack: str
    deltas: torch.Tensor
    margins: torch.Tensor  # (T+1, N): g(x + delta_t)


def _ce_grad(model: torch.nn.Module, x_adv: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    x_adv = x_adv.detach().requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(cross_entropy(model(x_adv), y).sum(), x_adv)
    return grad


@torch.no_grad()
def _margins(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, deltas: list[torch.Tensor]) -> torch.Tensor:
    return torch.stack([logit_margin(model(x + d), y).cpu() for d in deltas])


def fgsm_path(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float) -> Trajectory:
    """FGSM: one step of size eps along the sign of the CE gradient."""
    x_adv = (x + eps * _ce_grad(model, x, y).sign()).clamp(0, 1)
    deltas = [torch.zeros_like(x), x_adv - x]
    return Trajectory("fgsm", torch.stack(deltas).cpu(), _margins(model, x, y, deltas))


def pgd_path(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float, alpha: float,
             steps: int, random_start: bool = True, generator: torch.Generator | None = None) -> Trajectory:
    """Linf PGD (Madry et al.), keeping ``x_t - x`` after the start and after every step."""
    delta = torch.zeros_like(x)
    if random_start:
        noise = torch.rand(x.shape, generator=generator).to(x) * 2 - 1
        delta = ((x + eps * noise).clamp(0, 1) - x)
    deltas = [delta]
    for _ in range(steps):
        x_adv = x + deltas[-1]
        x_adv = x_adv + alpha * _ce_grad(model, x_adv, y).sign()
        x_adv = (x + (x_adv - x).clamp(-eps, eps)).clamp(0, 1)
        deltas.append((x_adv - x).detach())
    return Trajectory("pgd", torch.stack(deltas).cpu(), _margins(model, x, y, deltas))


def cw_path(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, c: float = 1.0, kappa: float = 0.0,
            steps: int = 50, lr: float = 0.01) -> Trajectory:
    """C&W L2 (Carlini & Wagner 2017): Adam on ``w`` with ``x' = (tanh w + 1)/2``, minimizing
    ``||x' - x||_2^2 + c * max(g(x'), -kappa)``."""
    w = torch.atanh((x * 2 - 1).clamp(-1 + 1e-6, 1 - 1e-6)).detach().requires_grad_(True)
    optimizer = torch.optim.Adam([w], lr=lr)
    deltas = [torch.zeros_like(x)]
    with torch.enable_grad():
        for _ in range(steps):
            x_adv = (torch.tanh(w) + 1) / 2
            distance = (x_adv - x).flatten(1).pow(2).sum(1)
            loss = (distance + c * logit_margin(model(x_adv), y).clamp_min(-kappa)).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            deltas.append(((torch.tanh(w) + 1) / 2 - x).detach())
    return Trajectory("cw", torch.stack(deltas).cpu(), _margins(model, x, y, deltas))


def project(deltas: torch.Tensor, u: torch.Tensor, v: torch.Tensor) -> dict[str, torch.Tensor]:
    """Least-squares plane coordinates of ``deltas`` (T, C, H, W) for one image's ``u``, ``v``.

    Returns ``a``, ``b`` (T,) and the off-plane residual norms ``residual_l2``/``residual_linf``.
    """
    basis = torch.stack([u.flatten(), v.flatten()], dim=1).double()  # (D, 2)
    flat = deltas.flatten(1).double()  # (T, D)
    gram = basis.T @ basis
    coeffs = (torch.linalg.pinv(gram) @ (basis.T @ flat.T)).T  # (T, 2); pinv: safe if u, v are parallel
    residual = flat - coeffs @ basis.T
    return {
        "a": coeffs[:, 0].float(), "b": coeffs[:, 1].float(),
        "residual_l2": residual.norm(dim=1).float(), "residual_linf": residual.abs().amax(dim=1).float(),
        "delta_l2": flat.norm(dim=1).float(), "delta_linf": flat.abs().amax(dim=1).float(),
    }


def projected_paths(trajectory: Trajectory, u: torch.Tensor, v: torch.Tensor, index: int) -> dict[str, Any]:
    """JSON-able projection of image ``index`` of a batch trajectory onto its (u, v) plane."""
    coords = project(trajectory.deltas[:, index], u, v)
    out = {k: [round(float(t), 5) for t in val] for k, val in coords.items()}
    out["margin"] = [round(float(m), 5) for m in trajectory.margins[:, index]]
    out["attack"] = trajectory.attack
    return out
