"""The adversarial robustness indicator of Yu et al. (2018, section 4).

A second-order Taylor expansion of the decision function ``g`` (logit margin) around ``x``
bounds how much a perturbation can change it::

    |g(x + d) - g(x)| <= |J . d| + 1/2 |d^T H d| <= eps ||J||_1 + 1/2 eps^2 D max|lambda(H)|

for ``||d||_inf <= eps`` in D input dimensions. Small Jacobian norms and small Hessian
eigenvalues (a flat, wide plateau of g) therefore indicate robustness without running attacks.

Definitions used here:

* Jacobian ``J = dg/dx`` per example, norms L1, L2, Linf.
* Jacobian sparsity: fraction of entries with ``|J_i| <= sparsity_tol * max_k |J_k|``. The
  threshold is *relative* (default 1%) so it does not depend on the logit scale of a model;
  the paper's absolute thresholds are not comparable across models.
* Hessian eigenvalues of g w.r.t. the input, from Hessian-vector products (never a dense
  Hessian): Lanczos with full reorthogonalization, batched over examples; the top ``k`` by
  magnitude are reported (signs kept). ``power_iteration`` gives the top one alone.
* ReLU networks are piecewise linear: their exact input Hessian is zero almost everywhere.
  ``hessian="auto"`` uses double backprop and, if that gives exactly zero, switches to a
  finite-difference HVP ``(grad g(x + h v) - grad g(x - h v)) / 2h`` with step ``h``
  (``fd_step``, L2 pixel units), which measures the curvature at that scale instead.
  The method used is recorded in the result.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import torch

from .errors import AnalysisError
from .margin import logit_margin

HVP = Callable[[torch.Tensor], torch.Tensor]
HessianMode = Literal["auto", "autograd", "finite_difference"]


def margin_and_jacobian(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor,
                        create_graph: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(g, dg/dx, x_leaf) for a batch; examples are independent, so one backward gives all rows."""
    x = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        g = logit_margin(model(x), y)
        (jac,) = torch.autograd.grad(g.sum(), x, create_graph=create_graph)
    return g, jac, x


def autograd_hvp(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> HVP:
    """Per-example ``H_i v_i`` of g by double backprop (one batched backward per call)."""
    _, jac, leaf = margin_and_jacobian(model, x, y, create_graph=True)

    def hvp(v: torch.Tensor) -> torch.Tensor:
        if not jac.requires_grad:
            return torch.zeros_like(v)
        with torch.enable_grad():
            (hv,) = torch.autograd.grad((jac * v).sum(), leaf, retain_graph=True, allow_unused=True)
        return torch.zeros_like(v) if hv is None else hv.detach()

    return hvp


def finite_difference_hvp(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, step: float = 1e-2) -> HVP:
    """Central differences of the gradient: curvature at scale ``step`` (for piecewise-linear nets)."""

    def hvp(v: torch.Tensor) -> torch.Tensor:
        norms = v.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (v.dim() - 1)))
        unit = v / norms
        _, plus, _ = margin_and_jacobian(model, x + step * unit, y)
        _, minus, _ = margin_and_jacobian(model, x - step * unit, y)
        return (plus - minus) / (2 * step) * norms

    return hvp


def _dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return (a.flatten(1) * b.flatten(1)).sum(1)


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.flatten(1).norm(dim=1).clamp_min(1e-12).view(-1, *([1] * (v.dim() - 1)))


def power_iteration(hvp: HVP, shape: Sequence[int], iters: int = 50, seed: int = 0,
                    device: torch.device | str = "cpu") -> torch.Tensor:
    """Largest-magnitude eigenvalue (signed) of each example's Hessian, by power iteration."""
    generator = torch.Generator().manual_seed(seed)
    v = _unit(torch.randn(tuple(shape), generator=generator).to(device))
    eigenvalue = torch.zeros(shape[0], device=device)
    for _ in range(iters):
        hv = hvp(v)
        eigenvalue = _dot(v, hv)
        if bool((hv.flatten(1).norm(dim=1) == 0).all()):
            break
        v = _unit(hv)
    return eigenvalue


def lanczos(hvp: HVP, shape: Sequence[int], steps: int = 20, k: int = 3, seed: int = 0,
            device: torch.device | str = "cpu", tol: float = 1e-6) -> torch.Tensor:
    """Top ``k`` eigenvalues by magnitude (N, k) of each example's Hessian, by batched Lanczos.

    Vectors are kept in float64 with full reorthogonalization. An example whose Krylov space is
    exhausted (``beta <= tol * scale``, common for the low-rank Hessians of small nets) stops
    there: its remaining Lanczos vectors are zero, which only adds zero Ritz values.
    """
    n, dim = shape[0], int(torch.tensor(shape[1:]).prod())
    steps = max(1, min(steps, dim))
    generator = torch.Generator().manual_seed(seed)
    q = _unit(torch.randn(tuple(shape), generator=generator)).flatten(1).double().to(device)
    basis = torch.zeros(n, steps, dim, dtype=torch.float64, device=device)
    alphas = torch.zeros(n, steps, dtype=torch.float64, device=device)
    betas = torch.zeros(n, steps, dtype=torch.float64, device=device)
    scale = torch.zeros(n, dtype=torch.float64, device=device)
    q_prev = torch.zeros_like(q)
    beta_prev = torch.zeros(n, dtype=torch.float64, device=device)
    for j in range(steps):
        basis[:, j] = q
        w = hvp(q.view(tuple(shape)).float()).flatten(1).double()
        alphas[:, j] = (w * q).sum(1)
        w = w - alphas[:, j, None] * q - beta_prev[:, None] * q_prev
        for _ in range(2):  # full reorthogonalization, twice for stability
            w = w - torch.einsum("nj,njd->nd", torch.einsum("njd,nd->nj", basis[:, : j + 1], w), basis[:, : j + 1])
        beta = w.norm(dim=1)
        scale = torch.maximum(scale, alphas[:, j].abs() + beta)
        alive = (beta > tol * scale) & (q.norm(dim=1) > 0)
        betas[:, j] = torch.where(alive, beta, torch.zeros_like(beta))
        q_prev, beta_prev = q, betas[:, j]
        q = torch.where(alive[:, None], w / beta.clamp_min(1e-300)[:, None], torch.zeros_like(w))
    tri = torch.diag_embed(alphas) + torch.diag_embed(betas[:, :-1], 1) + torch.diag_embed(betas[:, :-1], -1)
    ritz = torch.linalg.eigvalsh(tri)
    order = ritz.abs().argsort(dim=1, descending=True)
    top = ritz.gather(1, order)[:, :k].float()
    if top.shape[1] < k:
        top = torch.cat([top, torch.zeros(n, k - top.shape[1], device=top.device)], dim=1)
    return top


def jacobian_stats(jac: torch.Tensor, sparsity_tol: float = 1e-2) -> dict[str, torch.Tensor]:
    """Per-example L1/L2/Linf norms and relative sparsity of a batch of Jacobians."""
    flat = jac.flatten(1)
    linf = flat.abs().amax(dim=1)
    sparse = (flat.abs() <= sparsity_tol * linf[:, None]).float().mean(dim=1)
    return {"l1": flat.abs().sum(1), "l2": flat.norm(dim=1), "linf": linf, "sparsity": sparse}


def robustness_indicator(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, *, eps: float = 8 / 255,
                         top_k: int = 3, lanczos_steps: int = 20, hessian: HessianMode = "auto",
                         fd_step: float = 1e-2, sparsity_tol: float = 1e-2, batch_size: int = 64,
                         seed: int = 0) -> dict[str, Any]:
    """Per-example Jacobian/Hessian statistics of ``g`` and their means over the sample.

    Returns ``{"summary": {...}, "per_example": {...}, "jacobian": Tensor (N,C,H,W), "method": ...}``.
    """
    from robustx.evaluation.stochastic import FixedNoise, is_stochastic

    randomized = is_stochastic(model, x[:8])
    if randomized:  # one noise draw for every pass, or finite differences would measure the noise
        model = FixedNoise(model, seed)
    per: dict[str, list[torch.Tensor]] = {}
    jacobians = []
    method = hessian
    for start in range(0, x.shape[0], batch_size):
        xb, yb = x[start:start + batch_size], y[start:start + batch_size]
        with torch.no_grad():
            logits = model(xb)
        g, jac, _ = margin_and_jacobian(model, xb, yb)
        jacobians.append(jac.detach().cpu())
        stats = jacobian_stats(jac.detach(), sparsity_tol)
        if method in ("auto", "autograd"):
            hvp = autograd_hvp(model, xb, yb)
            if method == "auto":
                probe = hvp(torch.randn(xb.shape, generator=torch.Generator().manual_seed(seed)).to(xb))
                method = "autograd" if bool(probe.abs().amax() > 0) else "finite_difference"
        if method == "finite_difference":
            hvp = finite_difference_hvp(model, xb, yb, fd_step)
        eig = lanczos(hvp, xb.shape, steps=lanczos_steps, k=top_k, seed=seed, device=xb.device)
        dim = xb[0].numel()
        bound = eps * stats["l1"] + 0.5 * eps**2 * dim * eig.abs().amax(dim=1)
        correct = logits.argmax(1) == yb
        rows = {**{f"jacobian_{k}": v for k, v in stats.items()}, "margin": g.detach(),
                "correct": correct.float(), "hessian_top_abs": eig.abs().amax(dim=1), "taylor_bound": bound,
                "predicted_robust": (correct & (g.detach() > bound)).float()}
        for key, value in rows.items():
            per.setdefault(key, []).append(value.detach().cpu())
        per.setdefault("hessian_eigenvalues", []).append(eig.detach().cpu())
    merged = {k: torch.cat(v) for k, v in per.items()}
    summary = {f"{k}_mean": float(v.mean()) for k, v in merged.items() if v.dim() == 1}
    summary.update({"n": int(x.shape[0]), "eps": eps, "hessian_method": method, "fd_step": fd_step,
                    "sparsity_tol": sparsity_tol, "top_k": top_k, "lanczos_steps": lanczos_steps,
                    "noise": f"randomized model: one fixed noise draw (seed {seed})" if randomized else "none"})
    return {"summary": summary, "per_example": {k: v.tolist() for k, v in merged.items()},
            "jacobian": torch.cat(jacobians), "method": method}


def rank_correlation(indicator_values: Sequence[float], robust_accs: Sequence[float]) -> dict[str, float]:
    """Spearman rank correlation between an indicator and robust accuracies across models.

    A useful indicator (lower = more robust) gives a strongly negative rho.
    """
    from scipy.stats import spearmanr

    if len(indicator_values) != len(robust_accs):
        raise AnalysisError("indicator_values and robust_accs must have the same length")
    if len(indicator_values) < 3:
        raise AnalysisError("a rank correlation needs at least 3 models")
    result = spearmanr(list(indicator_values), list(robust_accs))
    return {"spearman_rho": float(result.statistic), "p_value": float(result.pvalue), "n": len(indicator_values)}
