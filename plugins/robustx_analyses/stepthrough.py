"""PGD step-through (the visual tour): the adversarial image, the perturbation and the class
probabilities after every PGD step, for one or more models on the same images.

Step 0 is the clean image. Every model gets the same random start (same seed), so differences
between models come from the models, not from the noise.
"""

from __future__ import annotations

from typing import Any

import torch

from .trajectories import pgd_path


@torch.no_grad()
def _probs(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    return model(x).softmax(dim=1).cpu()


def pgd_stepthrough(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float = 8 / 255,
                    alpha: float | None = None, steps: int = 10, random_start: bool = True,
                    seed: int = 0) -> dict[str, torch.Tensor]:
    """``adv`` (S+1, N, C, H, W), ``delta`` (same), ``probs`` (S+1, N, K); index 0 = clean."""
    alpha = 2.5 * eps / steps if alpha is None else alpha
    generator = torch.Generator().manual_seed(seed)
    path = pgd_path(model, x, y, eps=eps, alpha=alpha, steps=steps, random_start=random_start, generator=generator)
    deltas = torch.cat([torch.zeros_like(path.deltas[:1]), path.deltas[1:]])  # step 0 = clean image
    adv = (x.cpu().unsqueeze(0) + deltas).clamp(0, 1)
    probs = torch.stack([_probs(model, adv[t].to(x.device)) for t in range(adv.shape[0])])
    return {"adv": adv, "delta": adv - x.cpu().unsqueeze(0), "probs": probs, "eps": torch.tensor(eps),
            "alpha": torch.tensor(alpha)}


def amplify(delta: torch.Tensor, eps: float) -> torch.Tensor:
    """Map a perturbation in [-eps, eps] to [0, 1] (0.5 = unchanged) so it is visible."""
    return (delta / (2 * max(eps, 1e-12)) + 0.5).clamp(0, 1)


def stepthrough_summary(result: dict[str, torch.Tensor], y: torch.Tensor) -> dict[str, Any]:
    """First step at which each image is misclassified (None if never) and final accuracy."""
    preds = result["probs"].argmax(dim=2)  # (S+1, N)
    wrong = preds != y.cpu().unsqueeze(0)
    first = [int(torch.nonzero(wrong[:, i]).min()) if bool(wrong[:, i].any()) else None for i in range(len(y))]
    return {"first_wrong_step": first, "final_accuracy": float((~wrong[-1]).float().mean()),
            "clean_accuracy": float((~wrong[0]).float().mean())}
