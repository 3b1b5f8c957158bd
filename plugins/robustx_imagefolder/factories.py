"""The ``image_folder`` factory: torch-free signature, validated by robustx before anything loads."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional

from robustx.config.markers import Range
from robustx.host.declare import component

if TYPE_CHECKING:
    from robustx.datasets.bundle import DatasetBundle


@component("image_folder", kind="dataset", aliases=("imagefolder",),
           description="images in root/train/<class>/*.png and root/test|val/<class>/* (streamed from disk)")
def image_folder(*, root: str, download: bool = True, train_dir: str = "train",
                 test_dir: Optional[str] = None, image_size: Optional[Annotated[int, Range(ge=1)]] = None,
                 channels: Literal[1, 3] = 3, in_memory: Optional[bool] = None,
                 num_workers: Annotated[int, Range(ge=0)] = 2, mean: Optional[list] = None,
                 std: Optional[list] = None) -> "DatasetBundle":
    """Images in ROOT/<train_dir>/<class>/* and ROOT/<test_dir>/<class>/* (test_dir: test, else val).

    ROOT is ``data.root``. Arguments: image_size (resize to a square; default: the
    first image's size); channels (1 = grayscale, 3 = RGB); in_memory (default: only when the
    decoded images take at most 1 GiB); num_workers (DataLoader workers); mean/std (per channel,
    applied inside the model; default 0.5). ``download`` is ignored: a folder is never fetched.
    """
    from . import folder

    return folder.load(root, train_dir=train_dir, test_dir=test_dir, image_size=image_size,
                       channels=channels, in_memory=in_memory, num_workers=num_workers, mean=mean, std=std)


def missing_files(root: Path, *, train_dir: str = "train", **_params: Any) -> str | None:
    """What ``recipe validate`` reports before loading (data.root must hold the training folder)."""
    if not (Path(root) / train_dir).is_dir():
        return f"image_folder: no '{train_dir}' folder in {root}; set data.root to a folder with {train_dir}/<class>/*.png"
    return None


image_folder.missing_files = missing_files  # type: ignore[attr-defined]
