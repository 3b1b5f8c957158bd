"""Reading an ImageFolder tree (torchvision's layout and file scan) into lazy or in-memory splits."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import torch

from robustx.base.errors import DataError
from robustx.datasets.bundle import DatasetBundle, DatasetInfo, ImageSet
from robustx.datasets.loader import LazyImages

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")  # ImageFolder's
IN_MEMORY_BYTES = 1 << 30  # decoded uint8 images up to this size are loaded whole (the fast path)


def read_image(path: str, *, mode: str, size: int | None) -> torch.Tensor:
    """One file as (C, H, W) uint8, converted to ``mode`` and resized to ``size`` x ``size``."""
    import numpy as np
    from PIL import Image

    with Image.open(path) as image:
        image = image.convert(mode)
        if size is not None and image.size != (size, size):
            image = image.resize((size, size), Image.BILINEAR)
        array = np.asarray(image, dtype=np.uint8)
    tensor = torch.from_numpy(array.copy())
    return tensor.unsqueeze(0) if tensor.dim() == 2 else tensor.permute(2, 0, 1).contiguous()


def scan(split_dir: Path, classes: list[str] | None) -> tuple[list[str], list[int], list[str]]:
    """Files and labels of one split, as torchvision's ImageFolder finds them: sorted class folders,
    sorted files with its image extensions. (Not torchvision's own class: this environment's
    torchvision build does not import against its torch, and the scan is ten lines.)"""
    found = sorted(d.name for d in split_dir.iterdir() if d.is_dir())
    if classes is not None and found != classes:
        raise DataError(f"image_folder: {split_dir} has classes {found}, the training folder {classes}")
    files, labels = [], []
    for label, name in enumerate(found):
        for path in sorted((split_dir / name).rglob("*")):
            if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS:
                files.append(str(path))
                labels.append(label)
    if not files:
        raise DataError(f"image_folder: no images in {split_dir}; expected {split_dir}/<class>/*.png")
    return files, labels, found


def split_dir(root: Path, name: str | None, fallbacks: tuple[str, ...]) -> Path:
    for candidate in ([name] if name else list(fallbacks)):
        if (root / candidate).is_dir():
            return root / candidate
    wanted = name or " or ".join(fallbacks)
    raise DataError(f"image_folder: no '{wanted}' folder in {root}; expected {root}/{wanted}/<class>/*.png")


def load(path: str, *, train_dir: str, test_dir: str | None, image_size: int | None, channels: int,
         in_memory: bool | None, num_workers: int, mean: Any, std: Any) -> DatasetBundle:
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"image_folder: {root} is not a folder; set data.root to the dataset's folder")
    train_files, train_y, classes = scan(split_dir(root, train_dir, ()), None)
    test_files, test_y, _ = scan(split_dir(root, test_dir, ("test", "val")), classes)
    mode = "L" if channels == 1 else "RGB"
    size = image_size or max(read_image(train_files[0], mode=mode, size=None).shape[1:])
    read = partial(read_image, mode=mode, size=size)  # a partial (not a closure): DataLoader workers pickle it
    chw = (channels, size, size)
    total = (len(train_files) + len(test_files)) * channels * size * size
    keep = in_memory if in_memory is not None else total <= IN_MEMORY_BYTES

    def images(files: list[str], labels: list[int]) -> ImageSet:
        lazy = LazyImages(files, read, chw)
        return ImageSet(lazy.materialize() if keep else lazy, torch.tensor(labels, dtype=torch.long))

    info = DatasetInfo(name=root.name, num_classes=len(classes), in_channels=channels, image_size=size,
                       mean=tuple(mean or (0.5,) * channels), std=tuple(std or (0.5,) * channels),
                       class_names=tuple(classes))
    return DatasetBundle(images(train_files, train_y), images(test_files, test_y), info,
                         extra={"num_workers": num_workers, "in_memory": keep})
