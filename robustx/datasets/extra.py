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
from typing import TYPE_CHECKING, Any

from robustx.base.errors import CheckpointError, DataError
from robustx.config.extra_data import FOLDER_DATASET, resolve_path
from robustx.datasets.bundle import ImageSet, open_dataset
from robustx.host.manager import warn

if TYPE_CHECKING:
    from robustx.config.models import DataSettings, ExtraSettings
    from robustx.datasets.bundle import DatasetInfo, ImageSet
    from robustx.host.manager import PluginHost

def load_extra(spec: "ExtraSettings", info: "DatasetInfo", host: "PluginHost", data: "DataSettings") -> "ImageSet":
    """The extra images and labels (in memory), checked against the training data's shape and classes."""

    if spec.path is None:
        images = open_dataset(spec.name, data.root, host, download=data.download, **spec.params).train
    else:
        path = resolve_path(spec.path, data.root)
        if path.is_dir():
            images = open_dataset(FOLDER_DATASET, str(path.parent), host, download=False, in_memory=True,
                                  train_dir=path.name, test_dir=path.name,  # one split: PATH/<class>/*
                                  channels=info.in_channels, image_size=info.image_size).train
        else:
            images = read_tensor_file(path)
    x = images.x.materialize() if hasattr(images.x, "materialize") else images.x
    y = images.y.long()
    if spec.limit:
        x, y = x[: spec.limit], y[: spec.limit]
    shape = (info.in_channels, info.image_size, info.image_size)
    if tuple(x.shape[1:]) != shape:
        raise DataError(f"data.extra: images are {tuple(x.shape[1:])}, the training images {shape} (C, H, W)")
    if len(y) and (int(y.min()) < 0 or int(y.max()) >= info.num_classes):
        raise DataError(f"data.extra: labels must be in 0..{info.num_classes - 1}, got {int(y.min())}..{int(y.max())}")
    return ImageSet(x, y)


def read_tensor_file(path: Path) -> "ImageSet":
    """``images``/``labels`` from safetensors, or ``image``/``label`` (NHWC uint8) from an npz (no pickle)."""
    import torch  # lazy: loads torch


    if path.suffix == ".npz":
        import numpy as np  # lazy: loads numpy

        with np.load(path, allow_pickle=False) as arrays:
            names = set(arrays.files)
            if not {"image", "label"} <= names:
                raise DataError(f"data.extra.path: {path.name} needs arrays 'image' and 'label', has {sorted(names)}")
            x = torch.from_numpy(arrays["image"]).permute(0, 3, 1, 2).contiguous()
            y = torch.from_numpy(arrays["label"])
        return ImageSet(x, y)
    from robustx.base.checkpoint import read  # lazy: loads torch

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


def mix_extra(train: Any, spec: "ExtraSettings", info: "DatasetInfo", host: "PluginHost", data: "DataSettings") -> Any:
    """The run's training split with the extra source mixed into every batch (both on ``train.device``)."""
    from robustx.datasets.batches import DeviceImageSet  # lazy: loads torch
    from robustx.datasets.mixed import MixedImageSet  # lazy: loads torch

    if spec.path is not None and spec.optional and not resolve_path(spec.path, data.root).exists():
        warn(f"data.extra: {resolve_path(spec.path, data.root)} is not there (optional): "
             "training on the original data only")
        return train
    return MixedImageSet(train, DeviceImageSet(load_extra(spec, info, host, data), train.device), spec.fraction)
