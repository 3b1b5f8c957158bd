"""The image_folder dataset plugin and the DataLoader path for data that stays on disk (issue 9 item 4).

The test writes a small folder of PNGs (real 8x8 digits, 3 classes) in torchvision's ImageFolder
layout. Streaming it from disk through DataLoader workers must train exactly like loading it into
memory: same seeded order, same on-device augmentation, same numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

import robustx
from robustx.base.errors import DataError

CLASSES = ("d0", "d1", "d2")  # sorted like ImageFolder sorts them, so class i is digit i


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """root/train/<class>/*.png (120 images) and root/val/<class>/*.png (45 images), from the digits."""
    from PIL import Image
    from robustx_datasets.digits import load

    bundle = load()
    root = tmp_path_factory.mktemp("pngs")
    for split, data, per_class in (("train", bundle.train, 40), ("val", bundle.test, 15)):
        for label, name in enumerate(CLASSES):
            (root / split / name).mkdir(parents=True)
            rows = (data.y == label).nonzero().flatten()[:per_class]
            for i in rows.tolist():
                Image.fromarray(data.x[i, 0].numpy()).save(root / split / name / f"{i}.png")
    return root


def recipe(folder: Path, tmp_path: Path, **data: Any) -> Path:
    spec = {"name": "folder_tiny", "description": "digits as PNG files", "seed": 1,
            "data": {"name": "image_folder", "root": str(folder), "channels": 1, "batch_size": 32,
                     "val_split": 0.1, "augment": {"name": "crop", "padding": 1}, **data},
            "model": {"name": "small_cnn"},
            "train": {"epochs": 2, "optimizer": {"name": "adam", "lr": 0.01}, "track_examples": 3,
                      "val_attack": {"name": "fgsm", "eps": 0.1}},
            "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}]}}
    path = tmp_path / "folder_tiny.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run(path: Path, out: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    res = robustx.run_recipe(str(path), out=out, device="cpu")
    lines = (Path(res["run_dir"]) / "metrics.jsonl").read_text().splitlines()
    return res, [json.loads(line) for line in lines]


def test_the_plugin_reads_the_folder_lazily_or_whole(folder):
    from robustx.datasets.loader import LazyImages
    from robustx.host.manager import get_host

    create = get_host().registry("dataset").create
    lazy = create("image_folder", root=str(folder), channels=1, in_memory=False)
    whole = create("image_folder", root=str(folder), channels=1)  # small: loaded whole by default
    assert isinstance(lazy.train.x, LazyImages) and not isinstance(whole.train.x, LazyImages)
    assert lazy.info.num_classes == 3 and lazy.info.class_names == CLASSES and lazy.info.image_size == 8
    assert (len(lazy.train), len(lazy.test)) == (120, 45)
    assert torch.equal(lazy.train.x[[0, 57, 119]].materialize(), whole.train.x[[0, 57, 119]])
    assert torch.equal(lazy.train.y, whole.train.y) and whole.train.x.dtype == torch.uint8


def test_streaming_from_disk_trains_exactly_like_memory(folder, tmp_path):
    res_disk, disk = run(recipe(folder, tmp_path, in_memory=False, num_workers=1), tmp_path / "disk")
    res_mem, mem = run(recipe(folder, tmp_path, in_memory=True), tmp_path / "mem")
    assert [m["train_loss"] for m in disk] == pytest.approx([m["train_loss"] for m in mem], rel=1e-6)
    assert [m["val_robust_accuracy"] for m in disk] == [m["val_robust_accuracy"] for m in mem]
    assert res_disk["n"] == res_mem["n"] == 45
    assert res_disk["clean_accuracy"] == res_mem["clean_accuracy"] > 1 / 3  # it learned from the files


def test_loader_batches_follow_the_in_memory_order_and_shards(folder):
    from robustx.base.distributed import Shard
    from robustx.datasets.batches import DeviceImageSet
    from robustx.datasets.loader import LoaderImageSet
    from robustx.host.manager import get_host

    create = get_host().registry("dataset").create
    lazy = create("image_folder", root=str(folder), channels=1, in_memory=False).train
    whole = create("image_folder", root=str(folder), channels=1, in_memory=True).train
    cpu = torch.device("cpu")
    for shard in (None, Shard(1, 2, seed=4, epoch=1)):
        a = list(LoaderImageSet(lazy, cpu, num_workers=0).batches(
            25, shuffle=True, generator=torch.Generator().manual_seed(3), shard=shard))
        b = list(DeviceImageSet(whole, cpu).batches(25, shuffle=True, generator=torch.Generator().manual_seed(3),
                                                    shard=shard))
        assert len(a) == len(b) == LoaderImageSet(lazy, cpu).num_batches(25, shard=shard)
        assert all(torch.equal(xa, xb) and torch.equal(ya, yb) for (xa, ya), (xb, yb) in zip(a, b))


def test_a_missing_or_mismatched_folder_is_a_one_line_error(folder, tmp_path):
    from robustx.host.manager import get_host

    create = get_host().registry("dataset").create
    with pytest.raises(DataError, match="image_folder: .* is not a folder"):
        create("image_folder", root=str(tmp_path / "nowhere"))
    (tmp_path / "bad" / "train" / "a").mkdir(parents=True)
    (tmp_path / "bad" / "train" / "a" / "x.png").write_bytes((folder / "train" / "d1").iterdir().__next__()
                                                            .read_bytes())
    with pytest.raises(DataError, match="no 'test or val' folder in .*bad; expected"):
        create("image_folder", root=str(tmp_path / "bad"))
