"""A real run directory for the analyses tests: the recipe below, run by the pipeline once per session.

Analyses read runs only through the core's ``RunDir``, so their tests read a run the pipeline
itself wrote: there is no hand-made run format to drift from the real one. Three epochs on 8x8
digits (so training curves have a middle epoch), 64 test images, about 3 s on one CPU thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

RECIPE: dict[str, Any] = {
    "name": "natural",
    "description": "tiny natural training on digits for the analyses tests",
    "seed": 0,
    "data": {"name": "digits", "batch_size": 64, "val_split": 0.1, "test_limit": 64},
    "model": {"name": "small_cnn"},
    "train": {"epochs": 3, "optimizer": {"name": "adam", "lr": 0.01}, "val_limit": 64},
    "evaluate": {"attacks": ["clean", {"name": "fgsm", "eps": 0.1}, {"name": "pgd", "eps": 0.1, "steps": 3}]},
}
_runs: dict[str, Path] = {}  # one training per test session, whichever test module asks first


def tiny_run(tmp_path_factory: Any) -> Path:
    """The run directory of ``RECIPE`` (trained on the first call of the session)."""
    if "natural" not in _runs:
        import yaml

        import robustx

        root = tmp_path_factory.mktemp("tiny_run")
        (root / "natural.yaml").write_text(yaml.safe_dump(RECIPE, sort_keys=False), encoding="utf-8")
        robustx.run_recipe(str(root / "natural.yaml"), out=str(root / "runs"), device="cpu")
        (_runs["natural"],) = (root / "runs").iterdir()
    return _runs["natural"]
