"""What a run's results.json says, read for display: threat models, the headline number, the audit.

Two schemas exist. Schema 2 (``schema_version: 2``) has ``threat_models: [{norm, eps,
robust_accuracy, attacks}]`` (plus minimum-norm entries with a median perturbation size) and may
have ``audit: [{check, status, evidence, advice}]``. Schema 1 has only ``worst_case_accuracy``, a
per-example minimum over every attack whatever its norm; it is shown as it is, labelled as such,
because no single threat model can be recovered from it.
"""

from __future__ import annotations

import json
from typing import Any

from robustx.config.threat import fmt_eps

SCHEMA1_LABEL = "worst case over all attacks (schema 1)"


def _pct(value: Any) -> str:
    return f"{100 * value:.1f}%" if isinstance(value, (int, float)) else "-"


def threat_label(group: dict[str, Any]) -> str:
    if group.get("minimum_norm"):
        return f"{group.get('norm', '?')} minimum norm"
    return f"{group.get('norm', '?')} {fmt_eps(float(group['eps']))}" if group.get("eps") is not None \
        else str(group.get("norm", "?"))


def _median(group: dict[str, Any]) -> Any:
    for key in ("median_norm", "median"):
        if group.get(key) is not None:
            return group[key]
    return None


def _minimum_norm_entries(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Minimum-norm summaries: results.json keeps them on the attack rows (median_norm, success_rate)."""
    return [{"minimum_norm": True, "norm": row.get("norm"), "median_norm": row.get("median_norm"),
             "success_rate": row.get("success_rate"), "attacks": [row.get("label") or row.get("name")]}
            for row in results.get("attacks") or [] if row.get("minimum_norm") and "success_rate" in row]


def threat_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """One display row per threat model, e.g. 'Linf 8/255: 82.2% (worst of fgsm, pgd)'."""
    rows = []
    groups = list(results.get("threat_models") or [])
    if groups and not any(g.get("minimum_norm") for g in groups):
        groups += _minimum_norm_entries(results)
    for group in groups:
        names = ", ".join(str(a) for a in group.get("attacks") or [])
        if group.get("minimum_norm"):
            median = _median(group)
            text = f"median {median:.3g}" if isinstance(median, (int, float)) else "median -"
            if group.get("success_rate") is not None:
                text += f", success {_pct(group['success_rate'])}"
            rows.append({"label": threat_label(group), "value": None, "median_norm": median, "text": text,
                         "attacks": names})
        else:
            value = group.get("robust_accuracy")
            text = _pct(value)
            if group.get("certified_accuracy") is not None:  # the bracket: certified <= true <= attacked
                text = (f"certified {_pct(group['certified_accuracy'])} \u2264 true \u2264 {text} attacked "
                        f"(width {100 * group['bracket_width']:.1f} points)")
            rows.append({"label": threat_label(group), "value": value, "text": text,
                         "attacks": names, "key": [group.get("norm"), group.get("eps")]})
    for cert in results.get("certified") or []:  # a smoothed classifier: its own row, never the model's
        if cert.get("smoothed"):
            at = ", ".join(f"{_pct(v)} at {b}" for b, v in cert.get("certified_accuracy", {}).items())
            rows.append({"label": f"{cert.get('classifier')} classifier, {cert.get('norm')} radius", "value": None,
                         "text": f"certified {at}", "attacks": ""})
    return rows


def headline(results: dict[str, Any], key: list[Any] | None = None) -> tuple[float | None, str | None]:
    """(robust accuracy, its label) for numbers across runs: threat model ``key`` ([norm, eps]) when given,
    else the first bounded one; without threat models (schema 1), the all-attack worst case, labelled so.
    A run without the ``key`` threat model gives (None, None): two threat models are never mixed."""
    rows = [r for r in threat_rows(results) if r.get("key")]
    chosen = next((r for r in rows if key is None or r["key"] == key), None)
    if chosen is not None:
        return chosen["value"], chosen["label"]
    if key is None and "threat_models" not in results and results.get("worst_case_accuracy") is not None:
        return results["worst_case_accuracy"], SCHEMA1_LABEL
    return None, None


def headline_key(all_results: list[dict[str, Any]]) -> list[Any] | None:
    """The threat model every cross-run number uses: the first bounded one of the first run that has one."""
    for results in all_results:
        rows = [r for r in threat_rows(results) if r.get("key")]
        if rows:
            return rows[0]["key"]
    return None


def audit_summary(results: dict[str, Any]) -> dict[str, Any] | None:
    """The audit's checks and its failures (the banner), or None when the run was not audited."""
    checks = results.get("audit")
    if not isinstance(checks, list):
        return None
    rows = [{"check": c.get("check"), "status": c.get("status"), "advice": c.get("advice"),
             "evidence": c.get("evidence") if isinstance(c.get("evidence"), (str, type(None)))
             else json.dumps(c.get("evidence"), default=str)} for c in checks if isinstance(c, dict)]
    return {"checks": rows, "failed": [r for r in rows if r["status"] == "fail"],
            "warned": [r for r in rows if r["status"] == "warn"]}


def robust_axis_title(points: list[dict[str, Any]]) -> str:
    """'robust accuracy (Linf 8/255)': the threat model the trade-off points share."""
    label = next((p["threat_model"] for p in points if p.get("threat_model")), None)
    return f"robust accuracy ({label})" if label else "robust accuracy"
