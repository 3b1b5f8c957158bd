"""RobustBench's per-model leaderboard entry (``model_info/<dataset>/<threat_model>/<Name>.json``) from a run.

The fields are those of RobustBench's ``robustbench.utils.ModelInfo`` (its repository's model_info
files hold exactly these): accuracies as strings in percent with two decimals, ``eps`` as RobustBench
writes it ("8/255" for Linf, "0.5" for L2). ``autoattack_acc`` is the run's robust accuracy at that
threat model (the worst case over its attacks); the footnote says which attacks, on how many test
examples, and the audit's verdict, since ModelInfo has no field for them. Import-light (json only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from robustx.base.errors import RobustxError, RunFileError

FIELDS = ("link", "name", "authors", "additional_data", "number_forward_passes", "dataset", "venue",
          "architecture", "eps", "clean_acc", "reported", "corruptions_acc", "corruptions_acc_3d",
          "corruptions_mce", "corruptions_mce_3d", "autoattack_acc", "footnote")
STANDARD_EPS = {("cifar10", "Linf"): 8 / 255, ("cifar100", "Linf"): 8 / 255, ("imagenet", "Linf"): 4 / 255,
                ("cifar10", "L2"): 0.5, ("cifar100", "L2"): 0.5}


def eps_text(norm: str, eps: float) -> str:
    """8/255 as RobustBench writes it (Linf budgets of k/255), other budgets as plain numbers."""
    steps = eps * 255
    if norm == "Linf" and abs(steps - round(steps)) < 1e-6 and round(steps) > 0:
        return f"{round(steps)}/255"
    return f"{eps:g}"


def _pct(value: float) -> str:
    return str(round(100 * value, 2))


def _read(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFileError(f"{path} is missing: export needs a finished run") from None


def audit_verdict(results: dict[str, Any]) -> str:
    audit = results.get("audit") or []
    if not audit:
        return "not audited"
    order = ["skip", "pass", "warn", "fail"]
    return max((f.get("status", "skip") for f in audit), key=lambda s: order.index(s) if s in order else 0)


def pick_group(results: dict[str, Any], dataset: str, norm: str | None, eps: float | None) -> dict[str, Any]:
    """The threat-model group to export: the given norm/eps, else the standard budget, else the only one."""
    groups = [g for g in results.get("threat_models") or [] if g["norm"] in ("Linf", "L2")]
    norm = norm or (results.get("worst_case_threat_model") or {}).get("norm") or (groups[0]["norm"] if groups else None)
    same = [g for g in groups if g["norm"] == norm]
    if not same:
        have = ", ".join(f"{g['norm']} {g['eps']:g}" for g in groups) or "none"
        raise RobustxError(f"--threat-model {norm}: the run has no {norm} results (its threat models: {have})")
    if eps is not None:
        chosen = [g for g in same if abs(g["eps"] - eps) < 1e-9]
    elif len(same) == 1:
        chosen = same
    else:
        chosen = [g for g in same if abs(g["eps"] - STANDARD_EPS.get((dataset, norm), -1)) < 1e-9]
    if len(chosen) != 1:
        budgets = ", ".join(f"{g['eps']:g}" for g in same)
        raise RobustxError(f"--eps: the run has no single {norm} budget to export ({budgets}); name one with --eps")
    return chosen[0]


def model_info(run_dir: Path, *, norm: str | None = None, eps: float | None = None,
               **paper: Any) -> tuple[dict[str, Any], str, str]:
    """(the JSON dict, dataset, threat model) of one leaderboard entry for ``run_dir``."""
    results, meta = _read(run_dir / "results.json"), _read(run_dir / "model.json")
    dataset = meta["dataset"]["name"]
    group = pick_group(results, dataset, norm, eps)
    attacks = [a for a in results.get("attacks") or [] if a.get("threat_model") and
               a.get("norm") == group["norm"] and abs(a.get("eps", -1) - group["eps"]) < 1e-9]
    n = min([a["n"] for a in attacks] or [results.get("n")])
    arch = meta["architecture"]
    params = ", ".join(f"{k}={v}" for k, v in (arch.get("params") or {}).items())
    names = ", ".join(a.get("label", a["name"]) for a in attacks) or ", ".join(group.get("attacks") or [])
    footnote = (f"robustx evaluation: worst case of {names} at {group['norm']} eps={eps_text(group['norm'], group['eps'])} "
                f"on {n} test examples; audit: {audit_verdict(results)}.")
    info = dict.fromkeys(FIELDS)
    info.update({
        "link": paper.get("link"), "name": paper.get("title"), "authors": paper.get("authors"),
        "additional_data": bool(paper.get("additional_data", False)),
        "number_forward_passes": int(results.get("n_predictions") or 1) if results.get("stochastic") else 1,
        "dataset": dataset, "venue": paper.get("venue"),
        "architecture": f"{arch['name']}({params})" if params else arch["name"],
        "eps": eps_text(group["norm"], group["eps"]),
        "clean_acc": _pct(results["clean_accuracy"]),
        "reported": paper.get("reported"),
        "autoattack_acc": _pct(group["robust_accuracy"]),
        "footnote": footnote,
    })
    return info, dataset, group["norm"]


def write(run_dir: Path, out: Path, model_name: str, **options: Any) -> Path:
    """``OUT/model_info/<dataset>/<threat_model>/<model_name>.json`` (RobustBench's layout)."""
    info, dataset, norm = model_info(run_dir, **options)
    path = out / "model_info" / dataset / norm / f"{model_name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return path
