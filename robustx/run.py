"""Read a finished run directory back: recipe, metrics, results, model, data, tracked examples."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from .data import DatasetInfo
from .errors import CheckpointError
from .plugins import PluginHost, get_host

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .data import DatasetBundle


@dataclass
class RunDir:
    """A run directory written by ``robustx recipe run``."""

    path: Path
    host: PluginHost = field(default_factory=get_host, repr=False)

    @cached_property
    def recipe(self) -> dict[str, Any]:
        file = self.path / "recipe.yaml"
        return yaml.safe_load(file.read_text(encoding="utf-8")) if file.is_file() else {}

    @cached_property
    def metrics(self) -> list[dict[str, Any]]:
        file = self.path / "metrics.jsonl"
        if not file.is_file():
            return []
        return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]

    @cached_property
    def results(self) -> dict[str, Any]:
        file = self.path / "results.json"
        return json.loads(file.read_text(encoding="utf-8")) if file.is_file() else {}

    @cached_property
    def model_meta(self) -> dict[str, Any]:
        file = self.path / "model.json"
        if not file.is_file():
            raise CheckpointError(f"{self.path} has no model.json; is it a finished robustx run directory?")
        return json.loads(file.read_text(encoding="utf-8"))

    @property
    def info(self) -> DatasetInfo:
        return DatasetInfo.from_json(self.model_meta["dataset"])

    @property
    def name(self) -> str:
        return self.recipe.get("name", self.path.name)

    def model(self, device: str = "cpu", file: str = "model.safetensors") -> "nn.Module":
        from .modeling import load_model

        return load_model(self.path, device=device, file=file, host=self.host)

    def dataset(self) -> "DatasetBundle":
        """Rebuild the run's dataset from its recipe (same root, same params)."""
        import os

        from .pipeline import DEFAULT_DATA_ROOT
        from .recipe import DATA_KEYS, factory_params

        spec = dict(self.recipe["data"])
        root = spec.get("root") or os.environ.get("ROBUSTX_DATA", DEFAULT_DATA_ROOT)
        return self.host.registry("dataset").create(spec["name"], root=str(Path(root).expanduser()),
                                                    download=False, **factory_params(spec, DATA_KEYS))

    def tracked(self) -> tuple["torch.Tensor", "torch.Tensor", list[list[list[float]]]]:
        """(x, y, probs per epoch) of the fixed example images recorded during training."""
        from .engine.checkpoint import read

        tensors, _ = read(self.path / "tracking" / "examples.safetensors")
        lines = (self.path / "tracking" / "probs.jsonl").read_text(encoding="utf-8").splitlines()
        return tensors["x"], tensors["y"], [json.loads(line)["probs"] for line in lines if line.strip()]


def load_run(run_dir: str | Path, host: PluginHost | None = None) -> RunDir:
    path = Path(run_dir).expanduser()
    if not path.is_dir():
        raise CheckpointError(f"run directory {path} does not exist")
    return RunDir(path, host or get_host())


@dataclass
class AnalysisContext:
    """What an analysis receives when a recipe's ``report.analyses`` runs it."""

    run_dir: Path
    run: RunDir
    device: str
    out_dir: Path
    cache: dict[str, Any] = field(default_factory=dict)  # shared by the analyses of one report (loaded model, data)
