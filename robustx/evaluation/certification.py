"""Certified accuracy beside robust accuracy: run ``evaluate.certify`` and join it to the threat models.

Every attacked accuracy is an upper bound on the true robust accuracy; a certifier gives a lower bound
no attack can break. A certifier factory is ``factory(model, **params) -> certifier`` with

    certifier.norm      "Linf" | "L2" | "L1"
    certifier.budgets   the eps / radii at which certified accuracy is reported
    certifier.smoothed  True when it certifies another classifier than the model (randomized smoothing)
    certifier(x, y, index) -> {"radius": (B,) tensor, ...}   index: the examples' positions in the data

``radius`` is per example the largest budget at which the prediction is proved correct (0: correct but
not certified at any listed budget; -1: wrong or abstained). Certified accuracy at eps is mean(radius >=
eps). Deterministic certifiers (IBP) join the (norm, eps) threat model of the base model beside its
attacks, giving the bracket ``certified <= true <= attacked``; a smoothed classifier is another
classifier, so it gets its own labelled group and never enters the base model's bracket.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from robustx.base.distributed import is_main
from robustx.base.errors import PluginError
from robustx.base.progress import progress_bar
from robustx.evaluation import certificates as store
from robustx.evaluation.certificates import CertOutcome

if TYPE_CHECKING:
    from pathlib import Path

    import torch
    from torch import nn

    from robustx.evaluation.worstcase import Outcomes
    from robustx.host.manager import PluginHost

#: slack when comparing a certified radius with a budget (both float32 / float64 views of one number)
RADIUS_TOLERANCE = 1e-9


def _params(spec: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in spec.items() if k not in ("name", "label")}


def run_certifiers(model: "nn.Module", data: Any, specs: list[dict[str, Any]], host: "PluginHost", *,
                   batch_size: int = 256, progress: bool = False) -> list[CertOutcome]:
    """Run every certifier spec on ``data`` (a DeviceImageSet) in order; the model is put in eval mode."""
    import torch  # lazy: loads torch


    model.eval()
    found = []
    for spec in specs:
        certifier = host.registry("certifier").create(spec["name"], model, **_params(spec))
        parts: dict[str, list[torch.Tensor]] = {}
        start, offset = time.perf_counter(), 0
        bar = progress_bar(total=len(data), desc=f"certify {spec['name']}", enabled=progress, unit="img")
        for x, y in data.batches(batch_size):
            index = torch.arange(offset, offset + len(y))
            for key, value in certifier(x, y, index).items():
                parts.setdefault(key, []).append(value.detach().float().cpu())
            offset += len(y)
            bar.update(len(y))
        bar.close()
        tensors = {k: torch.cat(v) for k, v in parts.items()}
        if "radius" not in tensors:
            raise PluginError(f"certifier '{spec['name']}' returned no 'radius' (see docs/plugin-hooks.md)")
        found.append(CertOutcome(_row(spec, certifier, tensors, time.perf_counter() - start), dict(spec), tensors))
    return found


def _row(spec: dict[str, Any], certifier: Any, tensors: dict[str, "torch.Tensor"], seconds: float) -> dict[str, Any]:
    radius = tensors["radius"]
    budgets = sorted(float(b) for b in getattr(certifier, "budgets", ()))
    smoothed = bool(getattr(certifier, "smoothed", False))
    row: dict[str, Any] = {
        "name": spec["name"], "label": spec.get("label") or spec["name"], "params": _params(spec),
        "norm": certifier.norm, "smoothed": smoothed,
        "classifier": getattr(certifier, "classifier", "smoothed" if smoothed else "base model"),
        "certified_accuracy": {f"{b:g}": accuracy_at(radius, b) for b in budgets},
        # the certifier's own classifier, unperturbed (for smoothing: the smoothed classifier's accuracy)
        "clean_accuracy": accuracy_at(radius, 0.0),
        "n": len(radius), "seconds": round(seconds, 3),
    }
    if "abstain" in tensors:
        row["abstain_rate"] = float(tensors["abstain"].mean())
    return row


def accuracy_at(radius: "torch.Tensor", eps: float) -> float:
    """Certified accuracy at budget ``eps``: the fraction proved correct within eps."""
    return float((radius >= eps - RADIUS_TOLERANCE).float().mean()) if len(radius) else 0.0


def certified_radius(found: list[CertOutcome], norm: str) -> "torch.Tensor | None":
    """Per example, the largest radius any deterministic certifier of ``norm`` proved (None: none ran).

    A union is sound: an example proved robust by one method is robust, whatever the others say.
    """
    import torch  # lazy: loads torch

    radii = [c.radius for c in found if c.row["norm"] == norm and not c.row["smoothed"]]
    return torch.stack(radii).amax(0) if radii else None


def attach(results: dict[str, Any], found: list[CertOutcome], outcomes: "Outcomes | None" = None) -> dict[str, Any]:
    """Add ``certified`` rows and, per threat model of the base model, ``certified_accuracy`` beside
    ``robust_accuracy`` with the bracket width. With the per-example attack ``outcomes``, count the
    examples that are certified yet broken by an attack (always 0 unless a certifier or attack is wrong)."""
    if not found:
        return results
    results["certified"] = [c.row for c in found]
    for group in results.get("threat_models", []):
        radius = certified_radius(found, group["norm"])
        if radius is None:
            continue
        certified = radius >= group["eps"] - RADIUS_TOLERANCE
        group["certified_accuracy"] = float(certified.float().mean())
        group["certified_by"] = [c.row["label"] for c in found if c.row["norm"] == group["norm"]
                                 and not c.row["smoothed"]]
        group["bracket_width"] = group["robust_accuracy"] - group["certified_accuracy"]
        if outcomes is not None and len(outcomes.labels) == len(radius):
            from robustx.evaluation.worstcase import group_correct  # lazy: loads torch

            worst, _ = group_correct(outcomes, group["norm"], group["eps"])
            group["certified_but_broken"] = int((certified & (worst < 0.5)).sum())
    return results


def certify_results(results: dict[str, Any], model: "nn.Module", data: Any, specs: list[dict[str, Any]],
                    host: "PluginHost", *, batch_size: int = 256, progress: bool = False,
                    eval_dir: "Path | None" = None, outcomes: "Outcomes | None" = None,
                    reuse: bool = True) -> dict[str, Any]:
    """Run ``specs`` (reusing certificates saved in ``eval_dir`` for the same spec and examples), save
    every certificate there (rank 0), and attach them to ``results`` (checked against the attack outcomes)."""
    import torch  # lazy: loads torch


    if not specs:
        return results
    labels = torch.cat([y.cpu() for _, y in data.batches(batch_size)])
    saved = store.load(eval_dir) if eval_dir is not None and reuse else None
    kept = {store.spec_key(c.spec): c for c in saved[1]} if saved and torch.equal(saved[0], labels) else {}
    todo = [s for s in specs if store.spec_key(s) not in kept]
    ran = run_certifiers(model, data, todo, host, batch_size=batch_size, progress=progress)
    fresh = {store.spec_key(c.spec): c for c in ran}
    found = []
    for s in specs:
        key = store.spec_key(s)
        c = fresh.get(key) or kept[key]
        found.append(c if key in fresh else CertOutcome({**c.row, "reused": True}, c.spec, c.tensors))
    if eval_dir is not None:
        if outcomes is None:
            from robustx.evaluation.outcomes import load  # lazy: loads torch

            outcomes = load(eval_dir)
        if is_main() and ran:
            store.merge_and_save(eval_dir, labels, ran)
    return attach(results, found, outcomes)
