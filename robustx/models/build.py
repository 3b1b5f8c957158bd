"""Build models from registry names (normalization inside), and rebuild them from model.json."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.base.errors import CheckpointError
from robustx.datasets.bundle import DatasetInfo
from robustx.host.manager import PluginHost, get_host

if TYPE_CHECKING:
    from torch import nn

    from robustx.config.models import ModelSettings

MODEL_FORMAT = 1


def create_model(name: str, *, num_classes: int = 10, in_channels: int = 3, image_size: int = 32,
                 mean: Any = None, std: Any = None, transforms: list[dict[str, Any]] | tuple = (),
                 host: PluginHost | None = None, **params: Any) -> "nn.Module":
    """Create a registered architecture that takes [0,1] images.

    With ``mean``/``std`` the model normalizes internally (robustx.models.nn.NormalizedModel); every
    model built by a recipe has them, from its dataset.
    """
    from robustx.models.nn import NormalizedModel  # lazy: loads torch

    host = host or get_host()
    net = host.registry("architecture").create(
        name, num_classes=num_classes, in_channels=in_channels, image_size=image_size, **params)
    if mean is None or getattr(net, "normalizes_inputs", False):  # e.g. a RobustBench zoo model: its own inside
        mean, std = (0.0,) * in_channels, (1.0,) * in_channels
    model: nn.Module = NormalizedModel(net, mean, std)
    for spec in transforms:
        spec = dict(spec)
        model = host.registry("transform").create(spec.pop("name"), model, **spec)
    return model


def model_metadata(model_spec: "ModelSettings | dict[str, Any]", info: DatasetInfo, **extra: Any) -> dict[str, Any]:
    """What model.json holds: enough to rebuild the exact module and load its weights.

    ``model_spec``: a recipe's typed ``model`` section (a mapping of one is read into it)."""
    if isinstance(model_spec, dict):
        from robustx.config.models import ModelSettings, read_section  # lazy: loads pydantic

        model_spec = read_section(ModelSettings, model_spec, "model")
    return {
        "format": MODEL_FORMAT,
        "architecture": {"name": model_spec.name, "params": model_spec.params},
        "transforms": list(model_spec.transforms),
        "dataset": info.to_json(),
        "normalization": {"mean": list(info.mean), "std": list(info.std), "inside_model": True},
        "input_range": [0.0, 1.0],
        **extra,
    }


def read_model_json(path: Path) -> dict[str, Any]:
    """``model.json`` as a dict; a corrupt or hand-edited file is one line naming it, not a JSONDecodeError."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise CheckpointError(f"{path} is not a text file; is it a robustx model.json?") from None
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    missing = [k for k in ("architecture", "dataset") if not isinstance(meta, dict) or k not in meta]
    if missing:
        raise CheckpointError(f"{path} lacks '{missing[0]}'; is it a robustx model.json?")
    return meta


def _short_mismatch(line: str) -> str:
    """'size mismatch for w: copying a param with shape torch.Size([16]) ...' -> 'w is [16] in the file, [32] in the model'."""
    shapes = re.findall(r"torch\.Size\((\[[^\]]*\])\)", line)
    name = line.strip().removeprefix("size mismatch for ").split(":")[0]
    return f"{name} is {shapes[0]} in the file, {shapes[1]} in the model" if len(shapes) == 2 else line.strip()


def build_from_metadata(meta: dict[str, Any], host: PluginHost | None = None) -> "nn.Module":
    info = DatasetInfo.from_json(meta["dataset"])
    arch = meta["architecture"]
    return create_model(arch["name"], num_classes=info.num_classes, in_channels=info.in_channels,
                        image_size=info.image_size, mean=info.mean, std=info.std,
                        transforms=meta.get("transforms", []), host=host, **arch.get("params", {}))


def load_model(run_dir: str | Path, *, device: str = "cpu", file: str = "model.safetensors",
               host: PluginHost | None = None) -> "nn.Module":
    """Rebuild a run's model from ``model.json`` and load ``model.safetensors`` (eval mode)."""
    from robustx.base.checkpoint import read  # lazy: loads torch

    run_dir = Path(run_dir).expanduser()
    meta_path, weights_path = run_dir / "model.json", run_dir / file
    if not meta_path.is_file() or not weights_path.is_file():
        raise CheckpointError(
            f"{run_dir} has no trained model (looked for model.json and {file}); "
            "pass the directory printed at the end of `robustx recipe run`"
        )
    meta = read_model_json(meta_path)
    model = build_from_metadata(meta, host)
    tensors, _ = read(weights_path)
    try:
        missing, unexpected = model.load_state_dict(tensors, strict=False)
    except RuntimeError as exc:  # shape mismatches: torch's message is one line per tensor
        detail = next((_short_mismatch(line) for line in str(exc).splitlines() if "size mismatch" in line), "")
        raise CheckpointError(f"{weights_path} does not fit the architecture model.json names "
                              f"('{meta['architecture'].get('name')}'): {detail or 'incompatible weights'}") from None
    if missing or unexpected:
        raise CheckpointError(f"{weights_path} does not match model.json (missing {missing[:3]}, "
                              f"unexpected {unexpected[:3]})")
    return model.to(device).eval()
