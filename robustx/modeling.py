"""Build models from registry names (normalization inside), and rebuild them from model.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data import DatasetInfo
from .errors import CheckpointError
from .plugins import PluginHost, get_host

if TYPE_CHECKING:
    from torch import nn

MODEL_FORMAT = 1


def create_model(name: str, *, num_classes: int = 10, in_channels: int = 3, image_size: int = 32,
                 mean: Any = None, std: Any = None, transforms: list[dict[str, Any]] | tuple = (),
                 host: PluginHost | None = None, **params: Any) -> "nn.Module":
    """Create a registered architecture that takes [0,1] images.

    With ``mean``/``std`` the model normalizes internally (robustx.nn.NormalizedModel); every
    model built by a recipe has them, from its dataset.
    """
    from .nn import NormalizedModel

    host = host or get_host()
    net = host.registry("architecture").create(
        name, num_classes=num_classes, in_channels=in_channels, image_size=image_size, **params)
    if mean is None:
        mean, std = (0.0,) * in_channels, (1.0,) * in_channels
    model: nn.Module = NormalizedModel(net, mean, std)
    for spec in transforms:
        spec = dict(spec)
        model = host.registry("transform").create(spec.pop("name"), model, **spec)
    return model


def model_metadata(model_spec: dict[str, Any], info: DatasetInfo, **extra: Any) -> dict[str, Any]:
    """What model.json holds: enough to rebuild the exact module and load its weights."""
    from .recipe import MODEL_KEYS, factory_params

    arch_params = factory_params(model_spec, MODEL_KEYS)
    return {
        "format": MODEL_FORMAT,
        "architecture": {"name": model_spec["name"], "params": arch_params},
        "transforms": model_spec.get("transforms", []),
        "dataset": info.to_json(),
        "normalization": {"mean": list(info.mean), "std": list(info.std), "inside_model": True},
        "input_range": [0.0, 1.0],
        **extra,
    }


def build_from_metadata(meta: dict[str, Any], host: PluginHost | None = None) -> "nn.Module":
    info = DatasetInfo.from_json(meta["dataset"])
    arch = meta["architecture"]
    return create_model(arch["name"], num_classes=info.num_classes, in_channels=info.in_channels,
                        image_size=info.image_size, mean=info.mean, std=info.std,
                        transforms=meta.get("transforms", []), host=host, **arch.get("params", {}))


def load_model(run_dir: str | Path, *, device: str = "cpu", file: str = "model.safetensors",
               host: PluginHost | None = None) -> "nn.Module":
    """Rebuild a run's model from ``model.json`` and load ``model.safetensors`` (eval mode)."""
    from .engine.checkpoint import read

    run_dir = Path(run_dir).expanduser()
    meta_path, weights_path = run_dir / "model.json", run_dir / file
    if not meta_path.is_file() or not weights_path.is_file():
        raise CheckpointError(
            f"{run_dir} has no trained model (looked for model.json and {file}); "
            "pass the directory printed at the end of `robustx recipe run`"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    model = build_from_metadata(meta, host)
    tensors, _ = read(weights_path)
    missing, unexpected = model.load_state_dict(tensors, strict=False)
    if missing or unexpected:
        raise CheckpointError(f"{weights_path} does not match model.json (missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]})")
    return model.to(device).eval()
