"""What ``robustx push`` sends to the Hugging Face Hub: model.safetensors, model.json and a model card.

The card (README.md) is written from the run's own files: its table is results.json's per-threat-model
results, then each attack, then the audit (or a line saying the run was not audited). Import-light.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from robustx.base.errors import RunFileError

SENT = ("model.safetensors", "model.json")  # + README.md, the card


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFileError(f"{path} is missing: push needs a finished run (model.safetensors, model.json, "
                           "results.json)") from None
    except ValueError as exc:
        raise RunFileError(f"{path}: not valid JSON ({exc})") from None


def _pct(value: Any) -> str:
    return f"{100 * value:.2f}%" if isinstance(value, (int, float)) else "-"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def card(run_dir: Path, repo_id: str) -> str:
    """The model card: front matter for the Hub, the results table, the attacks, the audit, how to load it."""
    results, meta = _read_json(run_dir / "results.json"), _read_json(run_dir / "model.json")
    arch, data = meta.get("architecture", {}), meta.get("dataset", {})
    n = results.get("n")
    lines = ["---", "library_name: robustx", "tags:", "- robustx", "- adversarial-robustness",
             "- image-classification", "---", "", f"# {results.get('recipe') or meta.get('recipe') or repo_id}", "",
             f"A `{arch.get('name')}` trained on `{data.get('name')}` with [robustx](https://pypi.org/project/robustx/) "
             f"(recipe `{meta.get('recipe')}`, {meta.get('checkpoint', 'best')} checkpoint of epoch {meta.get('epoch')}). "
             "Inputs are images in [0, 1]; the normalization is inside the model.", "",
             "## Robustness per threat model", "",
             "| threat model | accuracy | attacks (worst case over) | examples |", "|---|---|---|---|",
             f"| clean | {_pct(results.get('clean_accuracy'))} | - | {n} |"]
    for group in results.get("threat_models") or []:
        lines.append(f"| {group['norm']} eps={group['eps']:.6g} | {_pct(group.get('robust_accuracy'))} | "
                     f"{_cell(', '.join(group.get('attacks') or []))} | {n} |")
    lines += ["", "## Attacks", "", "| attack | threat model | parameters | accuracy | examples |",
              "|---|---|---|---|---|"]
    for row in results.get("attacks") or []:
        params = ", ".join(f"{k}={v}" for k, v in (row.get("params") or {}).items())
        lines.append(f"| {_cell(row.get('label', row['name']))} | {row.get('threat_model', '-')} | {_cell(params) or '-'} "
                     f"| {_pct(row.get('robust_accuracy'))} | {row.get('n', n)} |")
    lines += ["", "## Audit", ""]
    audit = results.get("audit") or []
    if audit:
        lines += ["| check | status | evidence |", "|---|---|---|"]
        lines += [f"| {_cell(f['check'])} | {f['status']} | {_cell(f.get('evidence', ''))} |" for f in audit]
    else:
        lines.append("Not audited (`robustx audit RUN_DIR` checks these numbers for gradient masking and weak attacks).")
    lines += ["", "## Use", "", "```bash",
              f"robustx eval --model {arch.get('name')} --weights hf://{repo_id}/model.safetensors "
              f"--dataset {data.get('name')} --attack \"pgd\"", "```", "",
              "`model.json` records the architecture, its parameters, transforms and the dataset's shape and "
              "normalization.", ""]
    return "\n".join(lines)


def stage(run_dir: Path, repo_id: str, folder: Path) -> list[Path]:
    """Write exactly the files push uploads into ``folder`` (emptied first); return them."""
    for name in SENT:
        if not (run_dir / name).is_file():
            raise RunFileError(f"{run_dir / name} is missing: push needs a finished run")
    text = card(run_dir, repo_id)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name in SENT:
        shutil.copyfile(run_dir / name, folder / name)
    (folder / "README.md").write_text(text, encoding="utf-8")
    return [folder / name for name in (*SENT, "README.md")]
