"""Safetensors checkpoints with JSON metadata, written atomically (write, fsync, rename).

Pickle is never used: optimizer/scheduler/RNG state is split into tensors (stored as
tensors) and JSON (stored in the safetensors header), so a kill at any moment leaves either
the previous complete file or the new complete file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from robustx.base.errors import CheckpointError
from robustx.base.files import atomic_target, reason
from robustx.base.files import write_text_atomic as write
from robustx.base.hub import download, is_hub

META_KEY = "robustx"


def pack(obj: Any, tensors: dict[str, torch.Tensor], prefix: str) -> Any:
    """Replace every tensor inside ``obj`` by {"__tensor__": key}, collecting them in ``tensors``."""
    if isinstance(obj, torch.Tensor):
        key = f"{prefix}"
        tensors[key] = obj.detach().cpu().contiguous().clone()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        return {"__dict__": [[pack(k, tensors, f"{prefix}.k{i}"), pack(v, tensors, f"{prefix}.{i}")]
                             for i, (k, v) in enumerate(obj.items())]}
    if isinstance(obj, tuple):
        return {"__tuple__": [pack(v, tensors, f"{prefix}.{i}") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [pack(v, tensors, f"{prefix}.{i}") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise CheckpointError(f"cannot store a {type(obj).__name__} in a checkpoint (at {prefix})")


def unpack(obj: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, dict):
        if "__tensor__" in obj:
            return tensors[obj["__tensor__"]]
        if "__dict__" in obj:
            return {unpack(k, tensors): unpack(v, tensors) for k, v in obj["__dict__"]}
        if "__tuple__" in obj:
            return tuple(unpack(v, tensors) for v in obj["__tuple__"])
    if isinstance(obj, list):
        return [unpack(v, tensors) for v in obj]
    return obj


def write_atomic(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, Any]) -> None:
    from safetensors.torch import save_file  # lazy: loads safetensors (and torch)


    with atomic_target(path) as tmp:  # a failed save (full disk) leaves no temporary and names the path
        save_file(tensors, str(tmp), metadata={META_KEY: json.dumps(metadata)})


def write_text_atomic(path: Path, text: str) -> None:
    write(path, text)


def read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    from safetensors import safe_open  # lazy: loads safetensors (and torch)

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = json.loads((handle.metadata() or {}).get(META_KEY, "{}"))
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}
    except Exception as exc:  # noqa: BLE001 - a corrupt file is a user-facing error

        raise CheckpointError(f"cannot read checkpoint {path}: {reason(exc)}; the file is truncated or not a "
                              "safetensors file: restore it, or re-create it (a run: `--resume` from an intact "
                              "checkpoint, or train again)") from None
    return tensors, meta


def read_metadata(path: Path) -> dict[str, Any] | None:
    """Only the JSON metadata of a safetensors file (no tensors loaded); None when missing or unreadable."""
    from safetensors import safe_open  # lazy: loads safetensors (and torch)

    try:
        with safe_open(str(path), framework="pt") as handle:
            return json.loads((handle.metadata() or {}).get(META_KEY, "{}"))
    except Exception:  # noqa: BLE001 - a missing or torn file reads as "no metadata"
        return None


def state_tensors(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the model's state dict that safetensors can store (no shared storage)."""
    return {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}


def save_training_state(path: Path, *, model: torch.nn.Module, optimizer: Any, scheduler: Any,
                        epoch: int, rng: dict[str, Any], extra: dict[str, Any]) -> None:
    tensors = {f"model.{k}": v for k, v in state_tensors(model).items()}
    state = {
        "epoch": epoch,
        "optimizer": pack(optimizer.state_dict(), tensors, "optimizer"),
        "scheduler": pack(scheduler.state_dict(), tensors, "scheduler") if scheduler is not None else None,
        "rng": pack(rng, tensors, "rng"),
        "extra": pack(extra, tensors, "extra"),
    }
    write_atomic(path, tensors, state)


def load_training_state(path: Path) -> dict[str, Any]:
    tensors, meta = read(path)
    return {
        "epoch": meta["epoch"],
        "model": {k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")},
        "optimizer": unpack(meta["optimizer"], tensors),
        "scheduler": unpack(meta["scheduler"], tensors) if meta.get("scheduler") is not None else None,
        "rng": unpack(meta["rng"], tensors),
        "extra": unpack(meta["extra"], tensors),
    }


def load_weights(path: "Path | str", *, allow_pickle: bool = False) -> dict[str, torch.Tensor]:
    """Weights from a .safetensors file (or ``hf://ORG/REPO/FILE``, through the Hub's cache: robustx.base.hub);
    pickled files (.pt/.pth/.bin) only with ``allow_pickle``."""

    path = download(path) if is_hub(path) else Path(path).expanduser()
    if not path.is_file():
        raise CheckpointError(f"weights file {path} does not exist")
    if path.suffix == ".safetensors":
        return read(path)[0]
    if not allow_pickle:
        raise CheckpointError(
            f"{path} is a pickled checkpoint; robustx never unpickles files unless asked: "
            "convert it to .safetensors or set model.allow_pickle=true if you trust its source"
        )
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    return state
