"""The dataset of a recipe, and the core's train/validation split and ``limit``s."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from robustx.datasets.bundle import DatasetBundle, DatasetInfo, ImageSet, open_dataset
from robustx.host.manager import PluginHost

if TYPE_CHECKING:
    import torch

    from robustx.config.models import DataSettings
    from robustx.datasets.batches import DeviceImageSet


def build_dataset(spec: "DataSettings", host: PluginHost, *, download: bool) -> DatasetBundle:
    """The registered dataset of a recipe's ``data`` section, rooted where ``resolve_data_root`` says."""
    return open_dataset(spec.name, spec.root, host, download=download, **spec.params)


@dataclass
class Splits:
    """Train, validation (possibly empty) and test images of a run, plus the dataset's facts."""

    train: ImageSet
    val: ImageSet
    test: ImageSet
    info: DatasetInfo
    num_workers: int = 2  # DataLoader workers of a dataset that stays on disk

    def on(self, device: "torch.device") -> tuple["DeviceImageSet", "DeviceImageSet | None", "DeviceImageSet"]:
        """The three splits moved to the training device once (validation is None when empty).

        A dataset that stays on disk (``robustx.datasets.loader.LazyImages``) streams through a
        DataLoader with ``num_workers`` workers instead.
        """
        from robustx.datasets.loader import on_device  # lazy: loads torch

        def put(images: ImageSet) -> Any:
            return on_device(images, device, num_workers=self.num_workers)

        return put(self.train), put(self.val) if len(self.val) else None, put(self.test)


def split(bundle: DatasetBundle, spec: "DataSettings", seed: int) -> Splits:
    """Hold out ``val_split`` of the training images (seeded), then apply ``limit`` / ``test_limit``."""
    import torch  # lazy: loads torch

    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(bundle.train), generator=generator)
    n_val = int(round(len(order) * spec.val_split))
    val_idx, train_idx = order[:n_val], order[n_val:]
    if spec.limit:
        train_idx = train_idx[: spec.limit]
        val_idx = val_idx[: max(1, spec.limit // 5)] if n_val else val_idx
    test = bundle.test
    test_limit = spec.test_limit or spec.limit
    if test_limit:
        test = ImageSet(test.x[:test_limit], test.y[:test_limit])
    return Splits(bundle.train.subset(train_idx), bundle.train.subset(val_idx), test, bundle.info,
                  num_workers=int(bundle.extra.get("num_workers", 2)))


def load_splits(spec: "DataSettings", seed: int, host: PluginHost) -> Splits:
    return split(build_dataset(spec, host, download=spec.download), spec, seed)
