"""Write a small run directory by hand (the pipeline's format), for tests and demos of analyses.

The model itself is not saved (its checkpoint format belongs to the core); pass the model to
``ReportInput.from_files(path, model=...)`` instead. Metrics and tracked probabilities are
synthetic but shaped exactly like the pipeline's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


def write_fake_run(path: str | Path, model: "torch.nn.Module", x: "torch.Tensor", y: "torch.Tensor", *,
                   epochs: int = 3, robust_accuracy: float = 0.1, eps: float = 0.1, defense: str = "standard") -> Path:
    """recipe.yaml, metrics.jsonl, results.json and tracking/ for ``model`` on test images (x, y)."""
    import torch
    from safetensors.torch import save_file

    path = Path(path)
    (path / "tracking").mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        probs = model(x[:10]).softmax(1).cpu()
        clean = float((model(x).argmax(1) == y).float().mean())
    save_file({"x": x[:10].cpu().contiguous(), "y": y[:10].cpu().contiguous()},
              str(path / "tracking" / "examples.safetensors"))
    uniform = torch.full_like(probs, 1.0 / probs.shape[1])
    lines = [json.dumps({"epoch": e, "probs": (uniform + (probs - uniform) * e / epochs).tolist()})
             for e in range(epochs + 1)]
    (path / "tracking" / "probs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    metrics = [{"epoch": e, "train_loss": 2.3 / e, "train_accuracy": clean * e / epochs,
                "val_accuracy": clean * e / epochs, "val_robust_accuracy": robust_accuracy * e / epochs,
                "lr": 0.01, "seconds": 1.0} for e in range(1, epochs + 1)]
    (path / "metrics.jsonl").write_text("\n".join(json.dumps(m) for m in metrics) + "\n", encoding="utf-8")
    results = {"clean_accuracy": clean, "worst_case_accuracy": robust_accuracy, "stochastic": False,
               "attacks": [{"name": "pgd", "params": {"eps": eps, "steps": 10}, "robust_accuracy": robust_accuracy,
                            "n": int(y.shape[0]), "seconds": 1.0}]}
    (path / "results.json").write_text(json.dumps(results), encoding="utf-8")
    (path / "recipe.yaml").write_text(
        f"name: {path.name}\ndata: {{name: digits}}\nmodel: {{name: tiny}}\n"
        f"train: {{epochs: {epochs}, defense: {{name: {defense}}}}}\n", encoding="utf-8")
    return path
