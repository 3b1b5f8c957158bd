"""Run the audit checks on a model and the evaluation results it got."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

from robustx.config.components import attack_builder
from robustx.config.models import EVAL_BATCH_SIZE
from robustx.datasets.bundle import ImageSet
from robustx.evaluation.audit.checklist import all_checks
from robustx.evaluation.audit.finding import Finding
from robustx.evaluation.audit.levels import audit_level
from robustx.host.manager import get_host

if TYPE_CHECKING:
    import torch
    from torch import nn

    from robustx.datasets.batches import DeviceImageSet
    from robustx.host.manager import PluginHost


def _as_image_set(data: "DeviceImageSet | tuple[torch.Tensor, torch.Tensor]", limit: int | None) -> "DeviceImageSet":
    from robustx.datasets.batches import DeviceImageSet  # lazy: loads torch

    if isinstance(data, tuple):
        x, y = data
        data = DeviceImageSet(ImageSet(x, y), x.device)
    if limit is not None and len(data) > limit:
        data = DeviceImageSet(ImageSet(data.x[:limit], data.y[:limit]), data.device)
    return data


def run_audit(model: "nn.Module", data: "DeviceImageSet | tuple[torch.Tensor, torch.Tensor]",
              results: dict[str, Any], *, level: str = "quick", create_attack: Callable[..., Any] | None = None,
              host: "PluginHost | None" = None, batch_size: int = EVAL_BATCH_SIZE, eot_samples: int | None = None,
              n_predictions: int | None = None, seed: int = 0,
              echo: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Audit ``results`` (an evaluation of ``model`` on ``data``); returns ``[{check, status, evidence, advice}]``.

    ``data``: the evaluated examples (a DeviceImageSet or ``(x, y)`` in [0,1]); the quick level audits
    the first 200. ``create_attack(spec, model)`` defaults to the registry of ``host``. EOT settings
    default to the evaluation's own, so the audit attacks the model the way the evaluation did.
    """

    from robustx.evaluation.attack_guard import isolated_rng  # lazy: loads torch
    from robustx.evaluation.audit.context import AuditContext  # lazy: loads torch
    from robustx.evaluation.evaluator import EvalConfig  # lazy: loads torch

    spec_level = audit_level(level)
    if create_attack is None:
        create_attack = attack_builder(host or get_host())

    config = EvalConfig(batch_size=batch_size, progress=False)  # its eot_samples/n_predictions: the recipe defaults
    config.eot_samples = eot_samples or results.get("eot_samples") or config.eot_samples
    config.n_predictions = n_predictions or results.get("n_predictions") or config.n_predictions
    ctx = AuditContext(model=model.eval(), data=_as_image_set(data, spec_level.max_examples), results=results,
                       create_attack=create_attack, config=config, level=spec_level, echo=echo or (lambda _m: None))
    findings: list[dict[str, Any]] = []
    with isolated_rng(seed):
        for check in all_checks():
            start = time.perf_counter()
            found: Finding = check.run(ctx)
            found.check, found.reference = check.name, check.reference
            found.seconds = round(time.perf_counter() - start, 2)
            findings.append({"id": check.id, **found.as_dict()})
    return findings


def audit_fields(model: "nn.Module", data: Any, results: dict[str, Any], level: str, **kwargs: Any) -> dict[str, Any]:
    """``{audit, audit_level, audit_seconds}`` for results.json (kwargs as :func:`run_audit`)."""
    start = time.perf_counter()
    findings = run_audit(model, data, results, level=level, **kwargs)
    return {"audit": findings, "audit_level": level, "audit_seconds": round(time.perf_counter() - start, 2)}
