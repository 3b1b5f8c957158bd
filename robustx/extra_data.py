"""``data.extra``: a second labelled source mixed into every training batch (validated, then loaded).

The source is one of
- ``name``: another registered dataset (its training split; any other keys are its parameters),
- ``path`` to a folder of ``PATH/<class>/*`` images (read by the ``image_folder`` dataset; classes sorted),
- ``path`` to a ``.safetensors`` file with ``images`` (N, C, H, W; uint8, or float in [0, 1]) and
  ``labels`` (N,), or an ``.npz`` file with ``image`` (N, H, W, C uint8) and ``label``, the format of
  the generated CIFAR-10 sets of Wang et al. 2023 (read with ``allow_pickle=False``).

``fraction`` (default 0.7, the papers' share) of every batch comes from it; ``limit`` keeps its
first N images; ``optional: true`` trains without it (after a warning) when ``path`` does not
exist, so one recipe serves users with and without the extra data. A relative ``path`` that is
not in the working directory is looked up in the data root. Import-light: validation runs before
any work starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

from .errors import DataError, ParamError, did_you_mean
from .params import Range, coerce

if TYPE_CHECKING:
    from .data import DatasetInfo, ImageSet
    from .recipe_models import DataSettings
    from .plugins import PluginHost

KEYS: dict[str, tuple[Any, Any]] = {
    "name": (Optional[str], None),
    "path": (Optional[str], None),
    "fraction": (Annotated[float, Range(gt=0, lt=1)], 0.7),
    "limit": (Optional[Annotated[int, Range(ge=1)]], None),
    "optional": (bool, False),
}
TENSOR_SUFFIXES = (".safetensors", ".npz")
FOLDER_DATASET = "image_folder"


def validate_extra(spec: Any, host: "PluginHost", data_root: str | None) -> dict[str, Any]:
    """``data.extra`` with defaults filled; one-line errors naming the field (and a did-you-mean)."""
    where = "data.extra"
    if isinstance(spec, str):
        spec = {"path": spec} if ("/" in spec or spec.endswith(TENSOR_SUFFIXES)) else {"name": spec}
    if not isinstance(spec, dict):
        raise ParamError(f"{where}: expected a mapping like {{path: generated.safetensors, fraction: 0.7}}, got {spec!r}")
    out = {key: coerce(spec[key], tp, f"{where}.{key}") if key in spec else default
           for key, (tp, default) in KEYS.items()}
    params = {k: v for k, v in spec.items() if k not in KEYS}
    if (out["name"] is None) == (out["path"] is None):
        raise ParamError(f"{where}: give exactly one of 'name' (a registered dataset) or 'path' "
                         "(a .safetensors/.npz file or an image folder)")
    if out["path"] is not None:
        if params:
            first = next(iter(params))
            raise ParamError(f"{where}.{first}: unknown key{did_you_mean(first, KEYS)}; accepted: {', '.join(KEYS)}")
        path = resolve_path(out["path"], data_root)
        if not path.exists():
            if out["optional"]:
                return out
            raise DataError(f"{where}.path: {path} does not exist (set data.extra.optional: true to train without it)")
        if path.is_file() and path.suffix not in TENSOR_SUFFIXES:
            raise ParamError(f"{where}.path: {path.name} is neither a folder nor a {' / '.join(TENSOR_SUFFIXES)} file")
        if path.is_dir():
            host.registry("dataset").resolve(FOLDER_DATASET)  # a clear error when the folder plugin is off
        return out
    from .params import validate_params

    factory = host.registry("dataset").resolve(out["name"]).entry.factory
    return {**out, **validate_params(factory, params, where, provided=("root", "download"))}


def resolve_path(text: str, data_root: str | None) -> Path:
    """``~`` expanded; a relative path that is not in the working directory is looked up in the data root."""
    from .data import resolve_data_root

    path = Path(text).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return resolve_data_root(data_root) / path


def load_extra(spec: dict[str, Any], info: "DatasetInfo", host: "PluginHost", data: "DataSettings") -> "ImageSet":
    """The extra images and labels (in memory), checked against the training data's shape and classes."""
    from .data import ImageSet, open_dataset

    if spec["path"] is None:
        params = {k: v for k, v in spec.items() if k not in KEYS}
        images = open_dataset(spec["name"], data.root, host, download=data.download, **params).train
    else:
        path = resolve_path(spec["path"], data.root)
        if path.is_dir():
            images = open_dataset(FOLDER_DATASET, str(path.parent), host, download=False, in_memory=True,
                                  train_dir=path.name, test_dir=path.name,  # one split: PATH/<class>/*
                                  channels=info.in_channels, image_size=info.image_size).train
        else:
            images = read_tensor_file(path)
    x = images.x.materialize() if hasattr(images.x, "materialize") else images.x
    y = images.y.long()
    if spec["limit"]:
        x, y = x[: spec["limit"]], y[: spec["limit"]]
    shape = (info.in_channels, info.image_size, info.image_size)
    if tuple(x.shape[1:]) != shape:
        raise DataError(f"data.extra: images are {tuple(x.shape[1:])}, the training images {shape} (C, H, W)")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= info.num_classes):
        raise DataError(f"data.extra: labels must be in 0..{info.num_classes - 1}, got {int(y.min())}..{int(y.max())}")
    return ImageSet(x, y)


def read_tensor_file(path: Path) -> "ImageSet":
    """``images``/``labels`` from safetensors, or ``image``/``label`` (NHWC uint8) from an npz (no pickle)."""
    import torch

    from .data import ImageSet

    if path.suffix == ".npz":
        import numpy as np

        with np.load(path, allow_pickle=False) as arrays:
            names = set(arrays.files)
            if not {"image", "label"} <= names:
                raise DataError(f"data.extra.path: {path.name} needs arrays 'image' and 'label', has {sorted(names)}")
            x = torch.from_numpy(arrays["image"]).permute(0, 3, 1, 2).contiguous()
            y = torch.from_numpy(arrays["label"])
        return ImageSet(x, y)
    from .engine.checkpoint import read
    from .errors import CheckpointError

    try:
        tensors, _meta = read(path)
    except CheckpointError as exc:
        raise DataError(f"data.extra.path: {exc}") from None
    if not {"images", "labels"} <= set(tensors):
        raise DataError(f"data.extra.path: {path.name} needs tensors 'images' and 'labels', has {sorted(tensors)}")
    x = tensors["images"]
    if x.dtype != torch.uint8 and (x.min() < 0 or x.max() > 1):
        raise DataError(f"data.extra.path: float images must be in [0, 1], got [{float(x.min()):g}, {float(x.max()):g}]")
    return ImageSet(x, tensors["labels"])


def mix_extra(train: Any, spec: dict[str, Any], info: "DatasetInfo", host: "PluginHost", data: "DataSettings") -> Any:
    """The run's training split with the extra source mixed into every batch (both on ``train.device``)."""
    from .engine.batches import DeviceImageSet
    from .engine.mixed import MixedImageSet

    if spec["path"] is not None and spec["optional"] and not resolve_path(spec["path"], data.root).exists():
        from .plugins import warn

        warn(f"data.extra: {resolve_path(spec['path'], data.root)} is not there (optional): "
             "training on the original data only")
        return train
    return MixedImageSet(train, DeviceImageSet(load_extra(spec, info, host, data), train.device), spec["fraction"])
