"""RobustBench zoo models through RobustBench's own loader (``robustbench.utils.load_model``).

Installation (see the ``robustbench`` extra): RobustBench pins ``timm==1.0.9``, so robustx installs it
with ``pip install --no-deps robustbench==1.1.1`` and installs only what its model definitions and
loader import (gdown, geotorch, torchdiffeq). Its package ``__init__`` also imports its evaluation
stack (pandas, autoattack, and ``pkg_resources``, gone from recent setuptools), which the loader does
not need, so :func:`import_zoo` imports ``robustbench.utils`` and ``robustbench.model_zoo`` without
running that ``__init__`` (when robustbench is not already imported).

Weights: ``model_dir`` (else ``$ROBUSTX_MODEL_DIR``, else ``~/.cache/robustx/models``), laid out the
way RobustBench stores them: ``MODEL_DIR/<dataset>/<threat_model>/<Name>.pt`` (ensembles:
``<Name>.pt_m0.pt``, ``_m1.pt``, ...). A missing file is downloaded by RobustBench (Google Drive)
only when online and ``download`` is true; otherwise one line names the file and the folder.
RobustBench reads these pickled checkpoints with ``torch.load``, whose default on torch >= 2.6 is
``weights_only=True``: tensors only, no arbitrary code.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import types
from pathlib import Path
from typing import Any, Literal, Optional

from robustx.base.errors import CheckpointError, RobustxError, UnknownNameError, did_you_mean
from robustx.host.declare import component

DEFAULT_MODEL_DIR = "~/.cache/robustx/models"
MODEL_DIR_ENV = "ROBUSTX_MODEL_DIR"
INPUT = {"cifar10": (3, 32, 10), "cifar100": (3, 32, 100), "imagenet": (3, 224, 1000)}  # channels, size, classes
INSTALL = 'pip install "robustx[robustbench]" && pip install --no-deps robustbench==1.1.1'


def import_zoo() -> tuple[Any, Any, Any]:
    """(robustbench.utils, model_dicts, enums) without executing robustbench/__init__.py."""
    from robustx.base.compat.torchvision_ops import ensure_torchvision_importable

    ensure_torchvision_importable()  # RobustBench's models import torchvision
    if "robustbench" not in sys.modules:
        spec = importlib.util.find_spec("robustbench")
        if spec is None or not spec.submodule_search_locations:
            raise RobustxError(f"robustbench:... models need RobustBench, which is not installed; {INSTALL}")
        package = types.ModuleType("robustbench")
        package.__path__ = list(spec.submodule_search_locations)
        package.__spec__ = spec
        package.__file__ = spec.origin
        sys.modules["robustbench"] = package
    try:
        from robustbench import utils
        from robustbench.model_zoo import enums, model_dicts
    except ImportError as exc:
        raise RobustxError(f"RobustBench's model zoo cannot be imported ({exc}); {INSTALL}") from None
    return utils, model_dicts, enums


def resolve_model_dir(given: str | None) -> Path:
    return Path(given or os.environ.get(MODEL_DIR_ENV) or DEFAULT_MODEL_DIR).expanduser()


def weight_files(entry: dict[str, Any], folder: Path, name: str) -> list[Path]:
    """Where RobustBench reads this model's checkpoint(s) from."""
    path = folder / f"{name}.pt"
    ids = entry.get("gdrive_id")
    if isinstance(ids, list):
        return [Path(f"{path}_m{i}.pt") for i in range(len(ids))]
    return [path]


def zoo_entry(model_name: str, dataset: str, threat_model: str) -> dict[str, Any]:
    _, model_dicts, enums = import_zoo()
    models = model_dicts[enums.BenchmarkDataset(dataset)][enums.ThreatModel(threat_model)]
    if model_name not in models:
        raise UnknownNameError(f"robustbench:{model_name}: RobustBench has no {dataset} {threat_model} model "
                               f"'{model_name}'{did_you_mean(model_name, list(models))}")
    return models[model_name]


def load(model_name: str, dataset: str, threat_model: str, folder: Path, download: bool) -> Any:
    """The zoo model with its weights, by RobustBench's loader; offline, a missing file is one line."""
    from robustx.base.network import offline

    utils, _, _ = import_zoo()
    entry = zoo_entry(model_name, dataset, threat_model)
    lower = f"{model_name.lower().replace('-', '_')}_{dataset}_{threat_model.lower()}"
    import timm

    if not timm.is_model(lower):  # timm-hosted zoo models come through the Hub's cache instead
        missing = [p for p in weight_files(entry, folder / dataset / threat_model, model_name) if not p.is_file()]
        if missing and (offline() or not download):
            why = "ROBUSTX_OFFLINE=1" if offline() else "download: false"
            raise CheckpointError(f"robustbench:{model_name}: weights file {missing[0].name} is missing from "
                                  f"{missing[0].parent} and {why}; put RobustBench's checkpoint there (or set "
                                  f"model_dir / ${MODEL_DIR_ENV})")
    try:
        return utils.load_model(model_name, model_dir=str(folder), dataset=dataset, threat_model=threat_model)
    except RuntimeError as exc:
        raise CheckpointError(f"robustbench:{model_name}: its checkpoint does not fit the model "
                              f"({str(exc).splitlines()[0]})") from None


def default_zoo(model_name: str, num_classes: int, dataset: str | None,
                threat_model: str | None) -> tuple[str, str]:
    """The zoo section when not given: the dataset by the data's class count (100: cifar100, 1000:
    imagenet, else cifar10), the threat model as the first of Linf, L2, corruptions listing the name."""
    dataset = dataset or {100: "cifar100", 1000: "imagenet"}.get(num_classes, "cifar10")
    if threat_model is None:
        _, model_dicts, enums = import_zoo()
        by_threat = model_dicts[enums.BenchmarkDataset(dataset)]
        threat_model = next((t for t in ("Linf", "L2", "corruptions")
                             if model_name in by_threat.get(enums.ThreatModel(t), {})), "Linf")
    return dataset, threat_model


@component("robustbench:{model_name}", kind="architecture",
           description="a RobustBench zoo model with its weights (dataset, threat_model, model_dir)")
def robustbench_model(*, model_name: str, num_classes: int, in_channels: int, image_size: int,
                      dataset: Optional[Literal["cifar10", "cifar100", "imagenet"]] = None,
                      threat_model: Optional[Literal["Linf", "L2", "corruptions"]] = None,
                      model_dir: Optional[str] = None, download: bool = True) -> Any:
    """A RobustBench zoo model (``robustbench:<Name>``), weights from ``model_dir``; takes [0,1] images.

    ``dataset`` defaults by the data's class count, ``threat_model`` to the first zoo section listing
    the name (so ``robustx eval --model robustbench:<Name> --dataset cifar100`` needs nothing else).
    Zoo models normalize inside (RobustBench's contract), so robustx adds no normalization of its
    own. Data of another shape (1-channel 8x8 digits, 28x28 MNIST) is adapted on the way in: channels
    repeated, images resized to the zoo's size (for smoke tests; the numbers mean little).
    """
    from .adapter import ZooInput

    dataset, threat_model = default_zoo(model_name, num_classes, dataset, threat_model)
    channels, size, classes = INPUT[dataset]
    if num_classes != classes:
        raise RobustxError(f"robustbench:{model_name} ({dataset}) has {classes} classes; the data has {num_classes}")
    net = load(model_name, dataset, threat_model, resolve_model_dir(model_dir), download)
    return ZooInput(net, in_channels=in_channels, image_size=image_size, channels=channels, size=size)


def check_name(model_name: str) -> None:
    """Validation: the name exists in the zoo (for some dataset / threat model)."""
    _, model_dicts, _ = import_zoo()
    names = {name for by_threat in model_dicts.values() for models in by_threat.values() for name in models}
    if model_name not in names:
        raise UnknownNameError(f"RobustBench has no model '{model_name}'{did_you_mean(model_name, sorted(names))}")


robustbench_model.check_name = check_name  # type: ignore[attr-defined]
robustbench_model.loads_weights = True  # type: ignore[attr-defined]  # `robustx eval --model` needs no --weights
