"""Evaluate any model, not only robustx runs: ``robustx.evaluate(model, data, attacks=[...])``.

Why the checks: robustx's budgets are in [0,1] pixel units and assume normalization inside the
model. A model fed standardized images, or one that standardizes twice, would be attacked in the
wrong units and its numbers would look fine while being meaningless; so bad shapes, inputs outside
[0,1] and a missing (or doubled) normalization stop the evaluation with one line each.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.base.device import resolve_device
from robustx.base.errors import CheckpointError, DataError, RobustxError
from robustx.config.certifiers import validate_certifiers
from robustx.config.components import attack_builder, check_spec
from robustx.config.models import EVAL_BATCH_SIZE, evaluation_default
from robustx.config.threat import threat_resolver
from robustx.datasets.bundle import ImageSet, open_dataset
from robustx.evaluation.audit import audit_level
from robustx.evaluation.audit import run_audit as _audit
from robustx.evaluation.certification import certify_results
from robustx.host.manager import get_host
from robustx.models.build import create_model

if TYPE_CHECKING:
    import torch
    from torch import nn

    from robustx.datasets.bundle import DatasetInfo
    from robustx.host.manager import PluginHost

#: accuracy gain (absolute) that convicts a model of expecting differently normalized inputs: a model
#: that gets its inputs right only loses accuracy when they are shifted and rescaled, never gains 5 points
NORMALIZATION_GAP = 0.05
CHECK_EXAMPLES = 512


class ModelInputError(RobustxError):
    """A model and data that do not fit robustx's [0,1]-input contract."""


def load_data(data: Any, *, data_root: str | None = None, limit: int | None = None,
              host: "PluginHost | None" = None) -> tuple["torch.Tensor", "torch.Tensor", "DatasetInfo | None"]:
    """``data`` is a registered dataset name (its test split) or an ``(x, y)`` pair of tensors."""
    import torch  # lazy: loads torch


    info = None
    if isinstance(data, str):
        bundle = open_dataset(data, data_root, host or get_host())
        x, y, info = bundle.test.as_float(), bundle.test.y, bundle.info
    elif isinstance(data, Sequence) and len(data) == 2 and all(isinstance(t, torch.Tensor) for t in data):
        x, y = data
        x = x.float() / 255 if x.dtype == torch.uint8 else x
    else:
        raise DataError(f"data: expected a dataset name or an (x, y) pair of tensors, got {type(data).__name__}")
    if limit is not None:
        if limit < 1:
            raise DataError(f"limit: expected a positive number of examples, got {limit}")
        x, y = x[:limit], y[:limit]
    check_data(x, y)
    return x, y, info


def check_data(x: "torch.Tensor", y: "torch.Tensor") -> None:
    if x.ndim != 4 or not x.is_floating_point():
        raise DataError(f"data x: expected float images of shape (N, C, H, W), got {x.dtype} {tuple(x.shape)}"
                        + ("; add a channel axis with x.unsqueeze(1)" if x.ndim == 3 else ""))
    if y.ndim != 1 or y.is_floating_point() or len(y) != len(x):
        raise DataError(f"data y: expected {len(x)} integer labels of shape (N,), got {y.dtype} {tuple(y.shape)}")
    if len(x) == 0:
        raise DataError("data: no examples")
    low, high = float(x.min()), float(x.max())
    if low < 0 or high > 1:
        raise DataError(f"data x: inputs outside [0,1] (min {low:.3g}, max {high:.3g}); pass unnormalized images in "
                        "[0,1] and put the normalization inside the model (robustx.models.nn.NormalizedModel)")


def _accuracy(model: "nn.Module", x: "torch.Tensor", y: "torch.Tensor") -> float:
    import torch  # lazy: loads torch

    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def check_model(model: "nn.Module", x: "torch.Tensor", y: "torch.Tensor", info: "DatasetInfo | None") -> None:
    """Output shape, then (when the dataset declares mean/std) a behavioural normalization check.

    Two robustx Normalize layers are an error outright. The behavioural check: accuracy on the [0,1] images against accuracy on the same images standardized with the
    dataset's mean/std (as a model without internal normalization expects) and de-standardized (as a
    model that normalizes twice expects). If either beats the [0,1] accuracy by more than
    NORMALIZATION_GAP, the model's normalization is wrong. It needs no knowledge of the architecture.
    """
    import torch  # lazy: loads torch

    x, y = x[:CHECK_EXAMPLES], y[:CHECK_EXAMPLES]
    with torch.no_grad():
        out = model(x)
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != len(x):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ModelInputError(f"model output: expected logits of shape ({len(x)}, num_classes), got {shape}")
    if int(y.max()) >= out.shape[1]:
        raise ModelInputError(f"model output: {out.shape[1]} classes, but the labels go up to {int(y.max())}")
    from robustx.models.nn import Normalize  # lazy: loads torch

    if sum(isinstance(m, Normalize) for m in model.modules()) > 1:
        raise ModelInputError("model normalizes twice (two robustx.models.nn.Normalize layers); keep one "
                              "(CLI: --no-normalize for weights that include their own)")
    if info is None or (all(m == 0 for m in info.mean) and all(s == 1 for s in info.std)):
        return
    mean = torch.tensor(info.mean, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    std = torch.tensor(info.std, dtype=x.dtype, device=x.device).view(1, -1, 1, 1)
    plain = _accuracy(model, x, y)
    standardized = _accuracy(model, (x - mean) / std, y)
    doubled = _accuracy(model, x * std + mean, y)
    if standardized > plain + NORMALIZATION_GAP:
        raise ModelInputError(
            f"model has no normalization: {100 * plain:.0f}% accurate on [0,1] images but {100 * standardized:.0f}% "
            f"on images standardized with {info.name}'s mean/std; wrap it: robustx.models.nn.NormalizedModel(model, mean, std)")
    if doubled > plain + NORMALIZATION_GAP:
        raise ModelInputError(
            f"model normalizes twice: {100 * plain:.0f}% accurate on [0,1] images but {100 * doubled:.0f}% once "
            f"{info.name}'s mean/std are undone; remove one normalization (CLI: --no-normalize)")


def _specs(attacks: Sequence[Any], host: "PluginHost") -> list[dict[str, Any]]:
    return [check_spec("attack", a, f"attacks[{i}]", host) for i, a in enumerate(attacks)]


def run_audit(level: str, model: "nn.Module", data: Any, results: dict[str, Any], **options: Any) -> Any:
    """The audit's own entry point, ``robustx.evaluation.audit.run_audit`` (its checks, levels and advice)."""

    return _audit(model, data, results, level=level, **options)


def evaluate(model: "nn.Module", data: Any, attacks: Sequence[Any] = ("clean",), *, audit: str | None = None,
             device: str = "cpu", limit: int | None = None, data_root: str | None = None,
             batch_size: int = EVAL_BATCH_SIZE, eot_samples: int = evaluation_default("eot_samples"),
             n_predictions: int = evaluation_default("n_predictions"), progress: bool = False,
             dataset_info: "DatasetInfo | None" = None, host: "PluginHost | None" = None,
             certify: Sequence[Any] = ()) -> dict[str, Any]:
    """results.json content (schema 2) for any ``model`` taking [0,1] images, on a dataset name or (x, y).

    ``dataset_info``: the facts of the dataset (x, y) come from, for the normalization check.
    ``certify``: certifier specs (``[{"name": "ibp", "eps": 0.1}]``): ``certified_accuracy`` per threat model.
    """
    from robustx.datasets.batches import DeviceImageSet  # lazy: loads torch
    from robustx.evaluation.evaluator import EvalConfig, evaluate_outcomes, results_from  # lazy: loads torch

    host = host or get_host()
    if audit:
        audit_level(audit, "audit")  # a typo fails before any work
    specs = _specs(attacks, host)

    certifiers = validate_certifiers(list(certify), "certify", host)
    x, y, info = load_data(data, data_root=data_root, limit=limit, host=host)
    info = info or dataset_info
    where = resolve_device(device)
    model = model.to(where).eval()
    check_model(model, x.to(where), y.to(where), info)
    images = DeviceImageSet(ImageSet(x, y), where)
    config = EvalConfig(batch_size=batch_size, eot_samples=eot_samples, n_predictions=n_predictions,
                        progress=progress)

    create_attack = attack_builder(host)
    outcomes = evaluate_outcomes(model, images, specs, create_attack, config, threat_of=threat_resolver(host))
    results = results_from(outcomes)
    if info is not None:
        results["dataset"] = info.name
    if certifiers:
        results = certify_results(results, model, images, certifiers, host, batch_size=batch_size,
                                  progress=progress, outcomes=outcomes)
    if audit:
        results["audit"] = run_audit(audit, model, images, results, create_attack=create_attack, host=host,
                                     batch_size=batch_size)
    return results


def load_any_model(name: str, weights: "str | None", info: "DatasetInfo", *, normalize: bool = True,
                   host: "PluginHost | None" = None) -> "nn.Module":
    """Registered architecture ``name`` sized for ``info``, with ``weights`` (.safetensors) loaded.

    ``normalize``: put the dataset's mean/std inside the model (for weights trained on standardized
    inputs, the usual case). Weights saved by robustx (``net.*`` keys) or of the bare network both load.
    """

    from robustx.base.checkpoint import load_weights  # lazy: loads torch

    model = create_model(name, num_classes=info.num_classes, in_channels=info.in_channels,
                         image_size=info.image_size, mean=info.mean if normalize else None,
                         std=info.std if normalize else None, host=host)
    if weights is None:  # an architecture that loads its own weights (a RobustBench zoo model)
        return model.eval()
    tensors = load_weights(weights if str(weights).startswith("hf://") else Path(weights))
    whole = any(k.startswith(("net.", "normalize.")) for k in tensors)
    target = model if whole else model.net
    missing, unexpected = target.load_state_dict(tensors, strict=False)
    if whole:
        missing = [k for k in missing if not k.startswith("normalize.")]
    if missing or unexpected:
        raise CheckpointError(f"--weights {weights} does not fit model '{name}' for {info.name} "
                              f"(missing {list(missing)[:3]}, unexpected {list(unexpected)[:3]})")
    return model.eval()
