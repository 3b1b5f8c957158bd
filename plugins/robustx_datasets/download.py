"""``download: true``: fetch the official files with torchvision's download utilities.

The URLs, mirrors and md5 sums are read from torchvision's own dataset classes, so they stay
as current as the installed torchvision. Only called on explicit request, never in tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.errors import DataError

from .locate import download_failed

if TYPE_CHECKING:
    from .cifar import CifarLayout
    from .idx import IdxDataset


def _torchvision() -> tuple[Any, Any]:
    """torchvision.datasets and its download helpers (made importable next to a CPU-only torch)."""
    from robustx.compat.torchvision_ops import ensure_torchvision_importable

    try:
        ensure_torchvision_importable()
        import torchvision.datasets as datasets
        import torchvision.datasets.utils as utils
    except ImportError as exc:
        raise DataError(f"data.download=true needs torchvision, which cannot be imported ({exc}); "
                        f"install it or put the files in place by hand") from None

    return datasets, utils


def fetch_idx(ds: IdxDataset, raw_dir: Path) -> None:
    """The four .gz files into ``raw_dir`` (extracted beside them), trying each mirror in turn."""
    datasets, utils = _torchvision()
    source = getattr(datasets, ds.torchvision_class)
    raw_dir.mkdir(parents=True, exist_ok=True)
    for filename, md5 in source.resources:
        errors = []
        for mirror in source.mirrors:
            url = f"{mirror}{filename}"
            try:
                utils.download_and_extract_archive(url, download_root=str(raw_dir), filename=filename, md5=md5)
                break
            except Exception as exc:  # noqa: BLE001 - URLError, HTTPError, RuntimeError (md5) ...
                errors.append((url, exc))
        else:
            url, exc = errors[-1] if errors else (filename, DataError("no mirror known"))
            raise download_failed(ds.name, url, exc, f"the four {ds.title} idx files", raw_dir)


def fetch_cifar(layout: CifarLayout, root: Path) -> None:
    """The python archive into ``root``, extracted there (the archive is kept, like torchvision)."""
    datasets, utils = _torchvision()
    source = getattr(datasets, layout.torchvision_class)
    try:
        utils.download_and_extract_archive(source.url, download_root=str(root), filename=source.filename,
                                           md5=source.tgz_md5)
    except Exception as exc:  # noqa: BLE001
        raise download_failed(layout.name, source.url, exc, layout.archive, root) from None


def fetch_svhn(root: Path) -> None:
    """train_32x32.mat and test_32x32.mat into ``root``."""
    datasets, utils = _torchvision()
    for split in ("train", "test"):
        url, filename, md5 = datasets.SVHN.split_list[split]
        try:
            utils.download_url(url, str(root), filename=filename, md5=md5)
        except Exception as exc:  # noqa: BLE001
            raise download_failed("svhn", url, exc, filename, root) from None
