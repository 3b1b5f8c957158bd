"""Per-example certificates on disk, beside the attack outcomes: RUN_DIR/eval/certificates.{safetensors,json}.

Why a file of their own: a certificate (a proved radius per example) is checked against the attack
outcomes of the same examples, and ``robustx eval RUN --certify ...`` adds certifiers later without
re-running the old ones. Tensors go to safetensors (``labels``, ``<i>.<key>``), the rows and specs to
JSON, so nothing is ever unpickled. Writes happen under the outcomes' lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import torch

TENSORS = "certificates.safetensors"
INDEX = "certificates.json"
VERSION = 1


@dataclass
class CertOutcome:
    """One certifier's per-example certificates and its results.json row."""

    row: dict[str, Any]
    spec: dict[str, Any]
    tensors: dict[str, "torch.Tensor"]  # "radius" and any extras (prediction, p_lower ...)

    @property
    def radius(self) -> "torch.Tensor":
        return self.tensors["radius"]


def spec_key(spec: dict[str, Any]) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "label"}, sort_keys=True, default=str)


def save(directory: Path, labels: "torch.Tensor", found: list["CertOutcome"]) -> None:
    from robustx.base.checkpoint import write_atomic, write_text_atomic  # lazy: loads torch

    directory.mkdir(parents=True, exist_ok=True)
    tensors = {"labels": labels.cpu().clone()}
    index = []
    for i, c in enumerate(found):
        for key, value in c.tensors.items():
            tensors[f"{i}.{key}"] = value.float().cpu().clone()
        index.append({"index": i, "spec": c.spec, "row": c.row, "keys": sorted(c.tensors)})
    write_atomic(directory / TENSORS, tensors, {"certificates_version": str(VERSION)})
    write_text_atomic(directory / INDEX, json.dumps({"certificates_version": VERSION, "n": len(labels),
                                                     "certifiers": index}, indent=2))


def load(directory: Path) -> tuple["torch.Tensor", list["CertOutcome"]] | None:
    """(labels, certificates) saved in ``directory``, or None when absent or the two files disagree."""
    from safetensors.torch import load_file  # lazy: loads safetensors (and torch)

    if not (directory / TENSORS).is_file() or not (directory / INDEX).is_file():
        return None
    try:
        index = json.loads((directory / INDEX).read_text(encoding="utf-8"))
        tensors = load_file(str(directory / TENSORS))
        found = [CertOutcome(e["row"], e["spec"], {k: tensors[f"{e['index']}.{k}"] for k in e["keys"]})
                 for e in index["certifiers"]]
        return tensors["labels"], found
    except (KeyError, ValueError, OSError):
        return None


def merge_and_save(directory: Path, labels: "torch.Tensor", new: list["CertOutcome"]) -> list["CertOutcome"]:
    """Saved certificates on the same examples plus ``new`` (a re-run certifier replaces its old entry)."""
    import torch  # lazy: loads torch

    from robustx.evaluation.outcomes import locked  # lazy: loads torch

    with locked(directory):
        saved = load(directory)
        old = saved[1] if saved is not None and torch.equal(saved[0].cpu(), labels.cpu()) else []
        fresh = {spec_key(c.spec) for c in new}
        merged = [c for c in old if spec_key(c.spec) not in fresh] + new
        save(directory, labels, merged)
    return merged
