"""The two certifiers as robustx's certifier contract wants them (see robustx.evaluation.certification)."""

from __future__ import annotations

import torch
from torch import nn

from . import ibp as interval
from .smoothing import ABSTAIN, Smoothed


class IBPCertifier:
    """Per example, the largest listed eps at which IBP proves the label (0: correct only; -1: wrong)."""

    norm = "Linf"
    smoothed = False
    classifier = "base model"

    def __init__(self, model: nn.Module, budgets: list[float]) -> None:
        self.model, self.budgets = model, budgets
        was = model.training
        model.eval()
        try:  # refuse an unsupported model now, with the layer's name, before any work
            interval._graph(model)
        finally:
            model.train(was)

    @torch.no_grad()
    def __call__(self, x: torch.Tensor, y: torch.Tensor, index: torch.Tensor) -> dict[str, torch.Tensor]:
        correct = self.model(x).argmax(1) == y
        radius = torch.where(correct, 0.0, -1.0).float()
        for eps in self.budgets:
            if eps > 0:
                proved = interval.certified(self.model, x, y, eps) & correct
                radius = torch.where(proved, torch.full_like(radius, eps), radius)
        return {"radius": radius}


class SmoothingCertifier:
    """Cohen et al.'s CERTIFY for each example: radius = sigma * Phi^-1(p_A lower) if the class is right."""

    norm = "L2"
    smoothed = True

    def __init__(self, model: nn.Module, *, sigma: float, n0: int, n: int, alpha: float, radii: list[float],
                 batch_size: int, seed: int, num_classes: int | None) -> None:
        self.model, self.sigma, self.n0, self.n, self.alpha = model, sigma, n0, n, alpha
        self.budgets, self.batch_size, self.seed, self.num_classes = radii, batch_size, seed, num_classes
        self.classifier = f"smoothed (sigma={sigma:g})"

    def __call__(self, x: torch.Tensor, y: torch.Tensor, index: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.num_classes is None:
            with torch.no_grad():
                self.num_classes = int(self.model(x[:1]).shape[1])
        smooth = Smoothed(self.model, self.num_classes, self.sigma, self.batch_size, self.seed)
        out = {k: torch.empty(len(y)) for k in ("radius", "prediction", "p_lower", "abstain")}
        for i in range(len(y)):
            top, r, p_lower = smooth.certify(x[i], int(index[i]), self.n0, self.n, self.alpha)
            out["prediction"][i], out["p_lower"][i], out["abstain"][i] = top, p_lower, float(top == ABSTAIN)
            out["radius"][i] = r if top == int(y[i]) else -1.0
        return out
