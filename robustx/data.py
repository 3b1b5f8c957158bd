"""What a dataset plugin returns: whole splits as tensors, plus the facts models need.

A dataset factory is ``factory(*, root: str, download: bool = False, **params) -> DatasetBundle``.
Images are ``(N, C, H, W)`` tensors, either ``uint8`` in 0..255 or ``float32`` in [0, 1];
robustx batches, converts, splits (validation, ``limit``) and augments them itself, on the
training device, which is faster than a per-sample DataLoader for these image sizes.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DataError

if TYPE_CHECKING:
    import torch

    from .plugins import PluginHost
    from .recipe_models import DataSettings

#: where datasets live when neither data.root nor $ROBUSTX_DATA says otherwise
DEFAULT_DATA_ROOT = "~/.cache/robustx/data"


def resolve_data_root(root: str | None) -> Path:
    """The one place that decides the data folder: ``data.root``, else $ROBUSTX_DATA, else the cache.

    Nothing is created here (validation must not leave folders behind); the dataset plugin
    creates the folder on demand, when it downloads into it.
    """
    chosen = root or os.environ.get("ROBUSTX_DATA") or DEFAULT_DATA_ROOT
    return Path(chosen).expanduser()


def offline() -> bool:
    """ROBUSTX_OFFLINE=1 (or any value but 0/empty): never touch the network."""
    return os.environ.get("ROBUSTX_OFFLINE", "").strip() not in ("", "0")


def downloads_allowed(download: bool) -> bool:
    """What a dataset factory receives as ``download``: the recipe's wish, vetoed by ROBUSTX_OFFLINE."""
    return bool(download) and not offline()


def open_dataset(name: str, root: str | None, host: PluginHost, *, download: bool = True,
                 **params: Any) -> "DatasetBundle":
    """The registered dataset ``name`` under ``resolve_data_root(root)``, downloading only when allowed."""
    return host.registry("dataset").create(name, root=str(resolve_data_root(root)),
                                           download=downloads_allowed(download), **params)


def check_data_available(spec: "DataSettings | dict[str, Any]", host: PluginHost) -> None:
    """Validation: fail in one line when the data is missing and may not be downloaded.

    A dataset factory may define ``missing_files(root, **params) -> str | None`` (the one-line
    reason, or None when the files are there). Without it, a factory whose ``root`` has no
    default reads files, so only the folder's existence is checked; one with a default
    (embedded data, like ``digits``) is not checked at all. ``spec``: a recipe's typed ``data`` section
    (a mapping of one is read into it).
    """
    if isinstance(spec, dict):
        from .recipe_models import DataSettings, read_section

        spec = read_section(DataSettings, spec, "data")
    if downloads_allowed(spec.download):
        return
    factory = host.registry("dataset").resolve(spec.name).entry.factory
    root = resolve_data_root(spec.root)
    missing_files = getattr(factory, "missing_files", None)
    if callable(missing_files):
        reason = missing_files(root, **spec.params)
        if reason:
            raise DataError(reason)
        return
    param = inspect.signature(factory).parameters.get("root")
    if param is not None and param.default is inspect.Parameter.empty and not root.is_dir():
        why = "ROBUSTX_OFFLINE=1" if offline() else "data.download=false"
        raise DataError(f"data.root {root} does not exist and downloading is off ({why}); "
                        f"create it and put the {spec.name} files there, or set data.root=DIR")


@dataclass(frozen=True)
class DatasetInfo:
    """Shape and statistics of a dataset; recorded in model.json so a model can be rebuilt."""

    name: str
    num_classes: int
    in_channels: int
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    class_names: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "num_classes": self.num_classes,
            "in_channels": self.in_channels,
            "image_size": self.image_size,
            "mean": list(self.mean),
            "std": list(self.std),
            "class_names": list(self.class_names),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "DatasetInfo":
        return cls(
            data["name"], int(data["num_classes"]), int(data["in_channels"]), int(data["image_size"]),
            tuple(data["mean"]), tuple(data["std"]), tuple(data.get("class_names", ())),
        )


@dataclass
class ImageSet:
    """One split: ``x`` (N, C, H, W) uint8 or float in [0,1]; ``y`` (N,) int64 labels."""

    x: "torch.Tensor"
    y: "torch.Tensor"

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def subset(self, index: "torch.Tensor") -> "ImageSet":
        return ImageSet(self.x[index], self.y[index])

    def as_float(self, index: "torch.Tensor | slice | None" = None) -> "torch.Tensor":
        """Images of ``index`` as float32 in [0, 1]."""
        import torch

        x = self.x if index is None else self.x[index]
        return x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()


@dataclass
class DatasetBundle:
    """A dataset plugin's result: a train and a test split, and the dataset's facts."""

    train: ImageSet
    test: ImageSet
    info: DatasetInfo
    extra: dict[str, Any] = field(default_factory=dict)
