"""Decision and loss surfaces in input space: ``g(x + a*u + b*v)`` over a 2-D grid.

All grid points of one image are evaluated as batches (``chunk`` points per forward pass),
never one Python call per point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from .directions import RandomKind, make_direction, random_direction
from .margin import cross_entropy, logit_margin


@dataclass
class Surface:
    """One image's surfaces: ``margin[i, j] = g(x + a[j] u + b[i] v)`` (rows follow ``b``)."""

    a: torch.Tensor  # (G,) coordinates along u
    b: torch.Tensor  # (G,) coordinates along v
    margin: torch.Tensor  # (G, G) decision surface g
    loss: torch.Tensor  # (G, G) cross-entropy surface
    u: torch.Tensor  # (C, H, W)
    v: torch.Tensor
    label: int
    meta: dict[str, Any] = field(default_factory=dict)

    def to_json(self, digits: int = 4) -> dict[str, Any]:
        return {
            "a": _rounded(self.a, digits), "b": _rounded(self.b, digits),
            "margin": _rounded(self.margin, digits), "loss": _rounded(self.loss, digits),
            "label": self.label, **self.meta,
        }


def _rounded(t: torch.Tensor, digits: int) -> Any:
    return [round(float(v), digits) for v in t.tolist()] if t.dim() == 1 else [_rounded(r, digits) for r in t]


@torch.no_grad()
def evaluate_plane(model: torch.nn.Module, x: torch.Tensor, y: int, u: torch.Tensor, v: torch.Tensor,
                   a: torch.Tensor, b: torch.Tensor, *, clip: bool = False,
                   chunk: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """Margin and CE loss of one image ``x`` (C,H,W) at every ``x + a_j u + b_i v``; (len(b), len(a)) each."""
    bb, aa = torch.meshgrid(b, a, indexing="ij")
    coeff_a, coeff_b = aa.reshape(-1), bb.reshape(-1)
    margins, losses = [], []
    for start in range(0, coeff_a.numel(), chunk):
        ca = coeff_a[start:start + chunk].view(-1, 1, 1, 1).to(x)
        cb = coeff_b[start:start + chunk].view(-1, 1, 1, 1).to(x)
        points = x.unsqueeze(0) + ca * u.unsqueeze(0) + cb * v.unsqueeze(0)
        if clip:
            points = points.clamp(0.0, 1.0)
        logits = model(points)
        labels = torch.full((points.shape[0],), int(y), dtype=torch.long, device=x.device)
        margins.append(logit_margin(logits, labels).float().cpu())
        losses.append(cross_entropy(logits, labels).float().cpu())
    shape = (b.numel(), a.numel())
    return torch.cat(margins).view(shape), torch.cat(losses).view(shape)


def grid_axis(radius: float, points: int) -> torch.Tensor:
    """``points`` evenly spaced values in [-radius, radius] (odd ``points`` include 0 exactly)."""
    axis = torch.linspace(-radius, radius, points)
    if points % 2 == 1:
        axis[points // 2] = 0.0
    return axis


def decision_surfaces(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, direction: str = "ce",
                      random_kind: RandomKind = "sign", radius: float = 0.1, grid: int = 41,
                      seed: int = 0, clip: bool = False, chunk: int = 1024) -> list[Surface]:
    """Surfaces of a batch ``x`` (N,C,H,W): u = ``direction`` (``random`` or ce/ll/cw), v = random.

    v is always random; when u is random too the two are independent draws. An image whose
    attack gradient is exactly zero gets a random u, flagged ``meta["zero_gradient"]``. Directions are
    drawn from a seeded generator, so two models analysed with the same seed share the
    random axis (the adversarial axis is each model's own gradient sign).
    """
    generator = torch.Generator().manual_seed(seed)
    u, zero_gradient = make_direction(model, x, y, direction, random_kind, generator)
    v = random_direction(x.shape, random_kind, generator).to(x.device)
    axis = grid_axis(radius, grid)
    surfaces = []
    for i in range(x.shape[0]):
        margin, loss = evaluate_plane(model, x[i], int(y[i]), u[i], v[i], axis, axis, clip=clip, chunk=chunk)
        surfaces.append(Surface(axis.clone(), axis.clone(), margin, loss, u[i].cpu(), v[i].cpu(), int(y[i]),
                                {"direction": direction, "random_kind": random_kind, "radius": radius,
                                 "clip": clip, "zero_gradient": bool(zero_gradient[i])}))
    return surfaces


def boundary_distance_along_u(surface: Surface) -> float | None:
    """Smallest |a| on the b=0 line where g changes sign (the arrows of Fig. 4); None if none in range."""
    row = surface.margin[surface.b.abs().argmin()]
    signs = torch.sign(row)
    crossings = torch.nonzero(signs[:-1] * signs[1:] <= 0).flatten()
    if crossings.numel() == 0:
        return None
    a = surface.a
    dists = []
    for k in crossings.tolist():
        g0, g1 = float(row[k]), float(row[k + 1])
        t = 0.5 if g0 == g1 else g0 / (g0 - g1)
        dists.append(abs(float(a[k]) + t * float(a[k + 1] - a[k])))
    return min(dists)


def zero_contour(surface: Surface) -> list[dict[str, list[float]]]:
    """The decision boundary g = 0 in plane coordinates: polylines ``{"a": [...], "b": [...]}``.

    Uses contourpy (matplotlib's contouring engine), so the 2-D figure and the 3-D report
    draw exactly the same line.
    """
    import contourpy

    margin = surface.margin.double().numpy()
    if not (margin.min() < 0 < margin.max()):
        return []
    generator = contourpy.contour_generator(surface.a.double().numpy(), surface.b.double().numpy(), margin,
                                            line_type=contourpy.LineType.Separate)
    return [{"a": [round(float(v), 5) for v in line[:, 0]], "b": [round(float(v), 5) for v in line[:, 1]]}
            for line in generator.lines(0.0)]
