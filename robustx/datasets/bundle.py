"""What a dataset plugin returns: whole splits as tensors, plus the facts models need.

A dataset factory is ``factory(*, root: str, download: bool = False, **params) -> DatasetBundle``.
Images are ``(N, C, H, W)`` tensors, either ``uint8`` in 0..255 or ``float32`` in [0, 1];
robustx batches, converts, splits (validation, ``limit``) and augments them itself, on the
training device, which is faster than a per-sample DataLoader for these image sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from robustx.config.data_source import downloads_allowed, resolve_data_root

if TYPE_CHECKING:
    import torch

    from robustx.host.manager import PluginHost

def open_dataset(name: str, root: str | None, host: PluginHost, *, download: bool = True,
                 **params: Any) -> "DatasetBundle":
    """The registered dataset ``name`` under ``resolve_data_root(root)``, downloading only when allowed."""
    return host.registry("dataset").create(name, root=str(resolve_data_root(root)),
                                           download=downloads_allowed(download), **params)


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
        import torch  # lazy: loads torch

        x = self.x if index is None else self.x[index]
        return x.float().div_(255.0) if x.dtype == torch.uint8 else x.float()


@dataclass
class DatasetBundle:
    """A dataset plugin's result: a train and a test split, and the dataset's facts."""

    train: ImageSet
    test: ImageSet
    info: DatasetInfo
    extra: dict[str, Any] = field(default_factory=dict)
