"""Randomized smoothing (Cohen, Rosenfeld & Kolter 2019, "Certified Adversarial Robustness via Randomized
Smoothing", ICML; arXiv:1902.02918): PREDICT and CERTIFY exactly as the paper's pseudocode.

The smoothed classifier g(x) = argmax_c P(f(x + N(0, sigma^2 I)) = c). CERTIFY draws n0 noisy copies to
guess the top class c_A, then n fresh copies to count it, takes the one-sided Clopper-Pearson lower bound
p_A of P(f(x + noise) = c_A) at level 1 - alpha, and returns c_A with L2 radius sigma * Phi^-1(p_A), or
abstains when p_A < 1/2. PREDICT abstains unless a two-sided binomial test of the top two counts has
p-value <= alpha. The noise is not clipped to [0,1] (the paper's guarantee is for Gaussian noise).

Why not ART's ``RandomizedSmoothing``: it draws noise from numpy's global RNG one example at a time
(so a certificate depends on everything run before it) and needs statsmodels; here every example has its
own generator seeded by (seed, example index), so the same command gives the same certificates, whatever
the batch size or --limit. bench/bench_certify.py compares the two.
"""

from __future__ import annotations

import torch
from scipy.stats import beta, binomtest, norm
from torch import nn

ABSTAIN = -1
#: seeds of different examples are spread apart so (seed, index) pairs never collide
_STRIDE = 1_000_003


def lower_confidence_bound(count: int, n: int, alpha: float) -> float:
    """One-sided (1 - alpha) Clopper-Pearson lower bound on a binomial proportion (Cohen et al.'s
    ``proportion_confint(count, n, alpha=2 * alpha, method="beta")[0]``)."""
    return 0.0 if count <= 0 else float(beta.ppf(alpha, count, n - count + 1))


def radius(p_lower: float, sigma: float) -> float:
    """sigma * Phi^-1(p_lower): the certified L2 radius (Cohen et al., Theorem 1 with p_B = 1 - p_A)."""
    return float(sigma * norm.ppf(p_lower))


class Smoothed:
    """The smoothed classifier around ``model`` (logits in, argmax counted); seeded per example."""

    def __init__(self, model: nn.Module, num_classes: int, sigma: float, batch_size: int = 1000,
                 seed: int = 0) -> None:
        self.model, self.num_classes, self.sigma = model, num_classes, float(sigma)
        self.batch_size, self.seed = batch_size, seed

    def generator(self, index: int, draw: int, device: torch.device) -> torch.Generator:
        """The noise of example ``index``'s ``draw``-th sampling (0: selection, 1: estimation, 2: predict)."""
        gen = torch.Generator(device=device)
        gen.manual_seed((self.seed * _STRIDE + index) * 3 + draw)
        return gen

    @torch.no_grad()
    def sample_counts(self, x: torch.Tensor, num: int, generator: torch.Generator) -> torch.Tensor:
        """Class counts of f(x + noise) over ``num`` noise draws (x: one image, C x H x W)."""
        counts = torch.zeros(self.num_classes, dtype=torch.long)
        remaining = num
        while remaining > 0:
            size = min(self.batch_size, remaining)
            batch = x.unsqueeze(0).expand(size, *x.shape)
            noise = torch.randn(batch.shape, generator=generator, device=x.device, dtype=x.dtype) * self.sigma
            predictions = self.model(batch + noise).argmax(1)
            counts += torch.bincount(predictions.cpu(), minlength=self.num_classes)
            remaining -= size
        return counts

    def certify(self, x: torch.Tensor, index: int, n0: int, n: int, alpha: float) -> tuple[int, float, float]:
        """CERTIFY: (class or ABSTAIN, certified L2 radius, p_A lower bound); radius 0 on abstain."""
        top = int(self.sample_counts(x, n0, self.generator(index, 0, x.device)).argmax())
        counts = self.sample_counts(x, n, self.generator(index, 1, x.device))
        p_lower = lower_confidence_bound(int(counts[top]), n, alpha)
        if p_lower < 0.5:
            return ABSTAIN, 0.0, p_lower
        return top, radius(p_lower, self.sigma), p_lower

    def predict(self, x: torch.Tensor, index: int, n: int, alpha: float) -> int:
        """PREDICT: the top class, or ABSTAIN unless its count beats the runner-up's at level alpha."""
        counts = self.sample_counts(x, n, self.generator(index, 2, x.device))
        (n_a, n_b), (c_a, _) = counts.topk(2)
        if binomtest(int(n_a), int(n_a + n_b), 0.5).pvalue <= alpha:
            return int(c_a)
        return ABSTAIN
