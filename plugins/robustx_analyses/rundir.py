"""What analyses and reports read from a run: a small ``ReportInput`` and thin loaders.

``ReportInput`` holds already-loaded things (model, metrics, results, tracked images), so
reports and tests can inject a model directly. ``from_run`` adapts the core's
``robustx.run.Run``; ``from_files`` reads the run-directory files itself (the format written by
the pipeline) and takes the model as an argument.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.errors import RobustxError

from .errors import AnalysisError

if TYPE_CHECKING:
    import torch
    from torch import nn

EvalData = Callable[[int], "tuple[torch.Tensor, torch.Tensor]"]


@dataclass
class ReportInput:
    """One run, loaded: everything an analysis may need, any part of which may be missing."""

    name: str
    model: "nn.Module | None" = None
    metrics: list[dict[str, Any]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)
    tracked_x: "torch.Tensor | None" = None
    tracked_y: "torch.Tensor | None" = None
    tracked_probs: list[dict[str, Any]] = field(default_factory=list)
    class_names: list[str] = field(default_factory=list)
    eval_data: EvalData | None = None
    path: Path | None = None

    def require_model(self, what: str) -> "nn.Module":
        if self.model is None:
            raise AnalysisError(f"{what} needs the model of run '{self.name}', which was not loaded")
        return self.model

    def require_tracked(self, what: str) -> "tuple[torch.Tensor, torch.Tensor]":
        if self.tracked_x is None or self.tracked_y is None:
            raise AnalysisError(f"{what} needs tracking/examples.safetensors in run '{self.name}'")
        return self.tracked_x, self.tracked_y

    def sample(self, n: int, what: str) -> "tuple[torch.Tensor, torch.Tensor]":
        """The first ``n`` test images (the tracked ones when the dataset is not available)."""
        if self.eval_data is not None:
            return self.eval_data(n)
        x, y = self.require_tracked(what)
        return x[:n], y[:n]

    def labels(self, num_classes: int) -> list[str]:
        names = list(self.class_names)
        return names if len(names) == num_classes else [str(k) for k in range(num_classes)]

    def default_eps(self, fallback: float = 8 / 255) -> float:
        """The eps of the first evaluated attack that has one (results.json, then the recipe)."""
        attacks = list(self.results.get("attacks", []))
        attacks += list((self.recipe.get("evaluate") or {}).get("attacks", []) or [])
        for attack in attacks:
            params = attack.get("params", attack) if isinstance(attack, dict) else {}
            eps = params.get("eps") if isinstance(params, dict) else None
            if eps is not None:
                from robustx.params import parse_number

                value = parse_number(eps, "eps")
                if isinstance(value, (int, float)) and value > 0:
                    return float(value)
        return fallback

    # -- loaders -----------------------------------------------------------------------
    @classmethod
    def from_run(cls, run: Any, device: Any = "cpu", name: str | None = None, load_model: bool = True) -> "ReportInput":
        """Adapt a core ``Run`` (``robustx.run.load_run``)."""
        path = Path(run.path)
        x = y = None
        probs: list[dict[str, Any]] = []
        try:
            x, y, epoch_probs = run.tracked()
            probs = normalize_probs(epoch_probs)
        except (FileNotFoundError, AttributeError, RobustxError):  # a run without tracking/ files
            pass
        try:
            info = getattr(run, "info", None)
        except RobustxError:  # no model.json: no class names, the rest still works
            info = None

        def eval_data(n: int) -> "tuple[torch.Tensor, torch.Tensor]":
            test = run.dataset().test
            return test.as_float(slice(0, n)).to(device), test.y[:n].to(device)

        return cls(
            name=name or path.name, model=run.model(device=device) if load_model else None,
            metrics=list(run.metrics or []), results=dict(run.results or {}), recipe=dict(run.recipe or {}),
            tracked_x=None if x is None else x.to(device), tracked_y=None if y is None else y.to(device),
            tracked_probs=probs, class_names=list(getattr(info, "class_names", ()) or ()),
            eval_data=eval_data, path=path,
        )

    @classmethod
    def from_files(cls, run_dir: str | Path, model: "nn.Module | None" = None, name: str | None = None,
                   device: Any = "cpu", eval_data: EvalData | None = None) -> "ReportInput":
        """Read a run directory's files directly; the model (if any) is given, not loaded."""
        path = Path(run_dir)
        if not path.is_dir():
            raise AnalysisError(f"run directory '{path}' does not exist")
        x = y = None
        examples = path / "tracking" / "examples.safetensors"
        if examples.exists():
            from safetensors.torch import load_file

            tensors = load_file(str(examples))
            x, y = tensors["x"].float().to(device), tensors["y"].long().to(device)
        return cls(
            name=name or path.name, model=model, metrics=read_jsonl(path / "metrics.jsonl"),
            results=read_json(path / "results.json"), recipe=read_yaml(path / "recipe.yaml"),
            tracked_x=x, tracked_y=y, tracked_probs=read_jsonl(path / "tracking" / "probs.jsonl"),
            class_names=_class_names(path), eval_data=eval_data, path=path,
        )


def load_report_input(run_dir: str | Path, device: Any = "cpu", load_model: bool = True) -> ReportInput:
    """Load a run through the core's ``robustx.run.load_run``."""
    path = Path(run_dir)
    if not path.is_dir():
        raise AnalysisError(f"run directory '{path}' does not exist")
    try:
        from robustx.run import load_run
    except ImportError as exc:
        raise AnalysisError(f"cannot load runs: robustx.run.load_run is unavailable ({exc})") from None
    return ReportInput.from_run(load_run(path), device=device, load_model=load_model)


def normalize_probs(epoch_probs: Any) -> list[dict[str, Any]]:
    """Accept [{"epoch", "probs"}, ...] or [probs_epoch0, probs_epoch1, ...]."""
    out = []
    for i, item in enumerate(epoch_probs or []):
        if isinstance(item, dict):
            out.append({"epoch": item.get("epoch", i), "probs": _as_list(item["probs"])})
        else:
            out.append({"epoch": i, "probs": _as_list(item)})
    return out


def _as_list(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else value


def read_json(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise AnalysisError(f"{path}: invalid JSON ({exc})") from None


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise AnalysisError(f"{path}:{number}: invalid JSON ({exc})") from None
    return rows


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def _class_names(path: Path) -> list[str]:
    meta = read_json(path / "model.json")
    for key in ("info", "dataset", "dataset_info"):
        value = meta.get(key)
        if isinstance(value, dict) and value.get("class_names"):
            return [str(c) for c in value["class_names"]]
    return [str(c) for c in meta.get("class_names", [])]
