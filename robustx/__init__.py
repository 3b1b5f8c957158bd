"""robustx: adversarial robustness research, orchestrated through plugins.

Importing robustx is cheap (no torch): the functions below import heavy libraries when called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from robustx.base.errors import RobustxError
from robustx.base.version import __version__
from robustx.config.markers import Range
from robustx.datasets.bundle import DatasetBundle, DatasetInfo, ImageSet
from robustx.host.declare import component, register_declared
from robustx.host.hookspecs import hookimpl, hookspec
from robustx.train.defense import Defense, TrainContext

if TYPE_CHECKING:
    from pathlib import Path

    from torch import nn


__all__ = [
    "DatasetBundle", "DatasetInfo", "Defense", "ImageSet", "Range", "RobustxError", "TrainContext",
    "__version__", "component", "create_attack", "create_model", "evaluate", "hookimpl", "hookspec", "list_components",
    "load_model", "load_run", "register_declared", "register_plugin", "run_recipe",
]


def run_recipe(name_or_path: str | None, overrides: list[str] | tuple[str, ...] = (),
               **options: Any) -> dict[str, Any]:
    """Run a recipe (registered name or YAML path) with ``key=value`` overrides; return its results.

    Options: ``out`` (runs folder), ``device`` (auto|cpu|cuda), ``resume`` (a run directory robustx
    created; ``name_or_path`` may then be None), ``progress``, ``echo`` (callable for status lines).
    """
    from robustx.runs.entry import run_recipe as _run  # lazy: loads torch

    return _run(name_or_path, overrides, **options)


def create_model(name: str, **kwargs: Any) -> "nn.Module":
    """``create_model("resnet20", num_classes=10, in_channels=3, image_size=32, mean=..., std=...)``.

    Architecture parameters and ``transforms`` are checked the way a recipe's ``model:`` is
    (robustx.config.components.check_spec).
    """
    from robustx.config.components import check_model_kwargs  # lazy: loads pydantic
    from robustx.models.build import create_model as _create  # lazy: keeps `import robustx` light

    return _create(name, **check_model_kwargs(name, kwargs))


def create_attack(name: str, model: "nn.Module", **params: Any) -> Any:
    """``create_attack("pgd", model, eps=8/255)`` -> ``attack(x, y) -> x_adv``; params are validated."""
    from robustx.config.components import check_attack_params  # lazy: loads pydantic
    from robustx.host.manager import get_host  # lazy: keeps `import robustx` light

    checked = check_attack_params(name, params, f"attack {name}")  # the recipe's rules, budgets included
    return get_host().registry("attack").create(name, model, **checked)


def evaluate(model: "nn.Module", data: Any, attacks: Any = ("clean",), **options: Any) -> dict[str, Any]:
    """Evaluate any model on a dataset name or ``(x, y)`` tensors; results per threat model (schema 2).

    ``evaluate(model, "mnist", attacks=["clean", {"name": "pgd", "eps": 0.3}], audit="quick")``.
    Options: ``audit``, ``device``, ``limit``, ``data_root``, ``batch_size``, ``eot_samples``, ``n_predictions``.
    """
    from robustx.evaluation.anymodel import evaluate as _evaluate  # lazy: loads pydantic

    return _evaluate(model, data, attacks, **options)


def load_model(run_dir: "str | Path", device: str = "cpu") -> "nn.Module":
    """The trained model of a run directory (rebuilt from model.json + model.safetensors)."""
    from robustx.models.build import load_model as _load  # lazy: keeps `import robustx` light

    return _load(run_dir, device=device)


def load_run(run_dir: "str | Path") -> Any:
    """A finished run: recipe, metrics, results, model(), dataset(), tracked()."""
    from robustx.runs.rundir import load_run as _load  # lazy: PyYAML costs --help ~30 ms

    return _load(run_dir)


def register_plugin(plugin: Any, name: str | None = None) -> str:
    """Register a plugin object or module in this process (scripting); returns its name."""
    from robustx.host.manager import get_host  # lazy: keeps `import robustx` light

    return get_host().register_plugin(plugin, name)


def list_components(kind: str) -> list[str]:
    """Registered names of one kind: attack, defense, transform, architecture, dataset, recipe, analysis."""
    from robustx.host.manager import get_host  # lazy: keeps `import robustx` light

    return get_host().registry(kind).names()
