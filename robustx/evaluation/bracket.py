"""How certified accuracy reads next to robust accuracy: ``certified <= true <= attacked`` and its width.

Shared by the terminal table, results.md, studies' table.md (all through robustx.evaluation.results) and the HTML
report, so the bracket is worded the same everywhere.
"""

from __future__ import annotations

from typing import Any

from robustx.config.threat import fmt_eps


def _eps(value: float) -> str:
    return fmt_eps(value)


def group_line(group: dict[str, Any], members: str) -> str:
    """'Linf 0.1: certified 61.2% <= true <= 82.5% attacked (width 21.3 points; ...)' or the plain line."""
    head = f"{group['norm']} {_eps(group['eps'])}"
    if "certified_accuracy" not in group:
        return f"{head}: {100 * group['robust_accuracy']:.1f}% (worst of {members})"
    line = (f"{head}: certified {100 * group['certified_accuracy']:.1f}% <= true <= "
            f"{100 * group['robust_accuracy']:.1f}% attacked (width {100 * group['bracket_width']:.1f} points; "
            f"certified by {', '.join(group['certified_by'])}; attacked: worst of {members})")
    if group.get("certified_but_broken"):
        line += (f"; WARNING: {group['certified_but_broken']} certified examples were broken by an attack: "
                 "a certifier or an attack is wrong")
    return line


def certifier_lines(results: dict[str, Any]) -> list[str]:
    """One line per certifier: its certified accuracy at each budget (smoothing: its own classifier)."""
    lines = []
    attacked = {(g["norm"], g["eps"]) for g in results.get("threat_models", [])}
    for row in results.get("certified", []):
        saved = " (saved)" if row.get("reused") else ""
        at = ", ".join(f"{100 * acc:.1f}% at {_eps(float(b))}" for b, acc in row["certified_accuracy"].items())
        if row.get("smoothed"):
            abstain = f", abstained {100 * row['abstain_rate']:.1f}%" if "abstain_rate" in row else ""
            lines.append(f"{row['classifier']} classifier, {row['norm']} certified radius ({row['label']}{saved}: a "
                         f"different classifier from the attacked model, no attack bound): {at}; "
                         f"its clean accuracy {100 * row['clean_accuracy']:.1f}%{abstain}")
            continue
        alone = [b for b in row["certified_accuracy"] if (row["norm"], float(b)) not in attacked and float(b) > 0]
        note = f" (no attack at {', '.join(_eps(float(b)) for b in alone)}: no upper bound there)" if alone else ""
        lines.append(f"{row['norm']} certified ({row['label']}{saved}, base model): {at}{note}")
    return lines


def markdown_section(results: dict[str, Any]) -> list[str]:
    """results.md's 'Certified accuracy' table (empty when nothing was certified)."""
    rows = results.get("certified") or []
    if not rows:
        return []
    out = ["", "## Certified accuracy (proved lower bounds)", "",
           "| certifier | classifier | norm | budget | certified % | attacked % (same threat model) | width | n | seconds |",
           "|---|---|---|---|---|---|---|---|---|"]
    groups = {(g["norm"], g["eps"]): g for g in results.get("threat_models", [])}
    for row in rows:
        for budget, acc in row["certified_accuracy"].items():
            group = None if row.get("smoothed") else groups.get((row["norm"], float(budget)))
            attacked = f"{100 * group['robust_accuracy']:.2f}" if group else "-"
            width = f"{100 * (group['robust_accuracy'] - acc):.2f}" if group else "-"
            out.append(f"| {row['label']} | {row['classifier']} | {row['norm']} | {_eps(float(budget))} | "
                       f"{100 * acc:.2f} | {attacked} | {width} | {row['n']} | {row['seconds']:.1f} |")
    out += ["", "Width: attacked minus certified accuracy, in points: how much of the question no attack or "
            "proof has settled. A smoothed classifier is not the attacked model: its rows have no attack bound."]
    return out
