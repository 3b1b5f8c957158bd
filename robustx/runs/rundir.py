"""Read a finished run directory back: recipe, metrics, results, model, data, tracked examples."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.base.errors import CheckpointError, RunFileError
from robustx.base.files import read_json, read_jsonl
from robustx.base.safe_yaml import load_file
from robustx.datasets.bundle import DatasetInfo
from robustx.datasets.splits import build_dataset
from robustx.host.manager import PluginHost, get_host
from robustx.models.build import load_model, read_model_json
from robustx.runs.directory import MARKER

if TYPE_CHECKING:
    import torch
    from torch import nn

    from robustx.config.models import RecipeSettings
    from robustx.datasets.bundle import DatasetBundle


@dataclass
class RunDir:
    """A run directory written by ``robustx recipe run``."""

    path: Path
    host: PluginHost = field(default_factory=get_host, repr=False)

    @cached_property
    def recipe(self) -> dict[str, Any]:
        file = self.path / "recipe.yaml"
        return load_file(file, hint="restore it from the recipe the run was started with") if file.is_file() else {}

    @cached_property
    def settings(self) -> "RecipeSettings":
        """The run's recipe.yaml, typed (``run.settings.evaluate.attacks``); what an older robustx did not write
        has its default, what it wrote that this one lacks is dropped."""
        from robustx.config.models import saved_settings  # lazy: loads pydantic

        if not isinstance(self.recipe, dict):
            raise RunFileError(f"{self.path / 'recipe.yaml'} does not hold a recipe mapping; restore it from the "
                               "recipe the run was started with")
        return saved_settings(self.recipe, str(self.path / "recipe.yaml"))

    @cached_property
    def metrics(self) -> list[dict[str, Any]]:
        file = self.path / "metrics.jsonl"
        if not file.is_file():
            return []
        return read_jsonl(file, hint="delete the damaged lines (one JSON object per epoch) or restore the file")

    @cached_property
    def results(self) -> dict[str, Any]:
        file = self.path / "results.json"
        if not file.is_file():
            return {}
        results = read_json(file, hint=f"restore it, or move it away and re-evaluate with `robustx eval {self.path}`")
        if not isinstance(results, dict):
            raise RunFileError(f"{file} does not hold a results object; restore it, or move it away and "
                               f"re-evaluate with `robustx eval {self.path}`")
        return results

    @cached_property
    def model_meta(self) -> dict[str, Any]:
        file = self.path / "model.json"
        if not file.is_file():
            raise CheckpointError(f"{self.path} has no model.json; is it a finished robustx run directory?")
        return read_model_json(file)

    @property
    def info(self) -> DatasetInfo:
        return DatasetInfo.from_json(self.model_meta["dataset"])

    @property
    def name(self) -> str:
        return self.settings.name or self.path.name

    def model(self, device: str = "cpu", file: str = "model.safetensors") -> "nn.Module":
        return load_model(self.path, device=device, file=file, host=self.host)

    def dataset(self) -> "DatasetBundle":
        """Rebuild the run's dataset from its recipe (same root, same params; never downloads)."""

        return build_dataset(self.settings.data, self.host, download=False)

    def tracked(self) -> tuple["torch.Tensor", "torch.Tensor", list[list[list[float]]]]:
        """(x, y, probs per epoch) of the fixed example images recorded during training."""
        from robustx.base.checkpoint import read  # lazy: loads torch

        tensors, _ = read(self.path / "tracking" / "examples.safetensors")
        lines = (self.path / "tracking" / "probs.jsonl").read_text(encoding="utf-8").splitlines()
        return tensors["x"], tensors["y"], [json.loads(line)["probs"] for line in lines if line.strip()]


def load_run(run_dir: str | Path, host: PluginHost | None = None) -> RunDir:
    """A run directory; a folder robustx did not write raises (rather than reading as an empty run)."""

    path = Path(run_dir).expanduser()
    if not path.is_dir():
        raise CheckpointError(f"run directory {path} does not exist")
    if not any((path / name).is_file() for name in (MARKER, "model.json", "results.json")):
        raise CheckpointError(f"{path} is not a robustx run directory (no {MARKER}, model.json or results.json); "
                              "pass the directory printed by `robustx recipe run`")
    return RunDir(path, host or get_host())


@dataclass
class AnalysisContext:
    """What an analysis receives: where the run lives, the loaded run, the device, where to write.

    The one definition shared by the pipeline and the analyses plugin. ``run`` may be None (the
    analysis then loads ``run_dir`` itself); ``out_dir`` defaults to ``run_dir/analysis``.
    """

    run_dir: Path
    run: RunDir | None = None
    device: Any = "cpu"
    out_dir: Path | None = None
    cache: dict[str, Any] = field(default_factory=dict)  # shared by the analyses of one report (loaded model, data)

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        self.out_dir = Path(self.out_dir) if self.out_dir is not None else self.run_dir / "analysis"
