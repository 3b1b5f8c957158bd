"""What every tracker logs, computed once: the recipe as flat parameters, metrics and final results.

Import-light (no torch, no tracker library): the trackers and the tests that read values back use
the same functions, so a tracker can only differ from metrics.jsonl / results.json by a bug.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(r"[^\w.\-/]")


def key(text: str) -> str:
    """A metric / parameter name every tracker accepts as is (TensorBoard rewrites spaces, MLflow ``=``)."""
    return _UNSAFE.sub("_", str(text))


def flat_params(recipe: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"train.optimizer.lr": 0.01, "evaluate.attacks.1.name": "fgsm", ...}``: leaves only, lists by index."""
    out: dict[str, Any] = {}
    items = recipe.items() if isinstance(recipe, dict) else enumerate(recipe)
    for k, v in items:
        name = f"{prefix}{k}"
        if isinstance(v, (dict, list, tuple)) and v:
            out.update(flat_params(v if not isinstance(v, tuple) else list(v), name + "."))
        else:
            out[key(name)] = "[]" if v == [] else "{}" if v == {} else "null" if v is None else v
    return out


def epoch_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """The numeric fields of one metrics.jsonl line (``epoch`` is the step, not a metric)."""
    return {key(k): float(v) for k, v in metrics.items()
            if k != "epoch" and isinstance(v, (int, float)) and not isinstance(v, bool)}


def _eps(eps: Any) -> str:
    return f"{float(eps):.6g}"


def final_metrics(results: dict[str, Any]) -> dict[str, float]:
    """results.json as numbers: clean, worst case, each threat model's robust accuracy, each attack's."""
    out: dict[str, float] = {"test/clean_accuracy": float(results["clean_accuracy"])}
    if results.get("worst_case_accuracy") is not None:
        out["test/worst_case_accuracy"] = float(results["worst_case_accuracy"])
    for group in results.get("threat_models") or []:
        if group.get("robust_accuracy") is not None:
            out[key(f"test/{group['norm']} eps {_eps(group['eps'])}/robust_accuracy")] = float(group["robust_accuracy"])
    for row in results.get("attacks") or []:
        if row.get("robust_accuracy") is not None and row.get("label", row["name"]) != "clean":
            out[key(f"test/attack/{row.get('label', row['name'])}/robust_accuracy")] = float(row["robust_accuracy"])
    audit = results.get("audit") or []
    if audit:
        out["audit/failed_checks"] = float(sum(f.get("status") == "fail" for f in audit))
        out["audit/warned_checks"] = float(sum(f.get("status") == "warn" for f in audit))
    return out


def audit_verdict(results: dict[str, Any]) -> str | None:
    """'fail', 'warn', 'pass' (worst over the checks) or None when the run was not audited."""
    audit = results.get("audit") or []
    if not audit:
        return None
    order = {"fail": 3, "warn": 2, "pass": 1, "skip": 0}
    return max((f.get("status", "skip") for f in audit), key=lambda s: order.get(s, 0))


def audit_tags(results: dict[str, Any]) -> dict[str, str]:
    """``{"audit.verdict": "fail", "audit.iterative_vs_single_step": "fail", ...}`` (empty when not audited)."""
    verdict = audit_verdict(results)
    if verdict is None:
        return {}
    tags = {"audit.verdict": verdict}
    for finding in results["audit"]:
        tags[key(f"audit.{finding['check']}")] = str(finding["status"])
    return tags


def audit_markdown(results: dict[str, Any]) -> str:
    """The audit as a markdown table (TensorBoard text, W&B summary), or '' when not audited."""
    audit = results.get("audit") or []
    if not audit:
        return ""
    lines = ["| check | status | evidence |", "|---|---|---|"]
    lines += [f"| {f['check']} | {f['status']} | {str(f.get('evidence', '')).replace('|', '/')} |" for f in audit]
    return "\n".join(lines)
