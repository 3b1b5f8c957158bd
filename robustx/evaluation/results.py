"""results.json / results.md and the terminal table, per threat model.

Schema 2 (robustx.evaluation.evaluator) groups robust accuracy per threat model; schema-1 results
(older run directories, one ``worst_case_accuracy`` over every attack) still render, labelled as such.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from robustx.config.threat import fmt_eps
from robustx.evaluation.audit import report as audit_report
from robustx.evaluation.bracket import certifier_lines, group_line, markdown_section


def _fmt_params(params: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{k}={fmt(v)}" for k, v in params.items()) or "-"


def row_threat(row: dict[str, Any]) -> str:
    """The row's threat model label; schema-1 rows are derived from their norm/eps."""
    if row["name"] == "clean":
        return "-"
    if row.get("minimum_norm") or (row.get("threat_model") is None and row.get("norm") and row.get("eps") is None):
        return f"{row['norm']} minimum norm"
    if row.get("norm") and row.get("eps") is not None:
        return f"{row['norm']} {fmt_eps(row['eps'])}"
    return row.get("threat_model") or "unspecified"


def _members(results: dict[str, Any], group: dict[str, Any]) -> str:
    """The group's attacks for a reader: 'fgsm@0.1' for one below the group's eps, as two may share a name."""
    shown = []
    for row in results["attacks"]:
        if row.get("norm") != group["norm"] or row["name"] == "clean":
            continue
        label = row.get("label") or row["name"]
        if row.get("minimum_norm"):
            shown.append(f"{label} within eps")
        elif row.get("eps") is not None and row["eps"] <= group["eps"] + 1e-12:
            shown.append(label if abs(row["eps"] - group["eps"]) <= 1e-12 else f"{label}@{fmt_eps(row['eps'])}")
    names = shown if len(shown) == len(group["attacks"]) else [str(a) for a in group["attacks"]]
    counts = Counter(names)  # ten seeded restarts of one attack read 'pgd x10', not ten 'pgd's
    return ", ".join(n if counts[n] == 1 else f"{n} x{counts[n]}" for n in dict.fromkeys(names))


def threat_lines(results: dict[str, Any]) -> list[str]:
    """'Linf 0.1: 82.2% (worst of FGSM, PGD-20, AutoAttack)', 'L2 minimum norm: median 0.61 (...)' ..."""
    if results.get("schema_version", 1) < 2:
        return [f"worst case over all attacks (schema 1, mixes threat models): "
                f"{100 * results['worst_case_accuracy']:.1f}%"]

    lines = [group_line(g, _members(results, g)) for g in results["threat_models"]]  # + certified bracket
    for row in results["attacks"]:
        if row.get("minimum_norm") and "success_rate" in row:
            median = "not reached" if row.get("median_norm") is None else f"{row['median_norm']:.3g}"
            lines.append(f"{row['norm']} minimum norm: median {median} ({row['label']}, success "
                         f"{100 * row['success_rate']:.1f}% of correctly classified)")
    lines += certifier_lines(results)
    if results.get("unspecified"):
        lines.append(f"unspecified: {', '.join(results['unspecified'])} (no declared threat model: "
                     "left out of every worst case)")
    headline = results.get("worst_case_threat_model")
    if headline:
        lines.append(f"worst_case_accuracy = the {headline['norm']} {fmt_eps(headline['eps'])} group "
                     "(threat model of the first bounded attack listed)")
    return lines


def table_rows(results: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for row in results["attacks"]:
        extra = f" (EOT {row['eot_samples']})" if row.get("eot_samples") else ""
        extra += " (saved)" if row.get("reused") else ""
        extra += " (reduced budget)" if row.get("budget") == "reduced" else ""
        params = {**row["params"], **({"restarts": row["restarts"]} if row.get("restarts") else {})}
        rows.append(((row.get("label") or row["name"]) + extra, row_threat(row), _fmt_params(params),
                     _accuracy_cell(row), str(row["n"]), f"{row['seconds']:.1f}"))
    return rows


def _accuracy_cell(row: dict[str, Any]) -> str:
    """An unbounded attack's accuracy is ~0 by design: its number is the median norm it needed."""
    if row.get("minimum_norm"):
        median = row.get("median_norm")
        return "median norm " + (f"{median:.3g}" if median is not None else "n/a (under half broken)")
    return f"{100 * row['robust_accuracy']:.2f}"


HEADER = ("attack", "threat model", "params", "accuracy %", "n", "seconds")


def stage_lines(results: dict[str, Any]) -> list[str]:
    """AutoAttack's robust accuracy after each sub-attack, as the reference prints it (rows that record it)."""
    rows = [r for r in results.get("attacks", []) if r.get("stages")]
    if not rows:
        return []
    title = "## Sub-attacks (robust accuracy after each, over the examples the attack was given: all in 'each' mode)"
    lines = ["", title, ""]
    for row in rows:
        budget = {"published": "published budget", "reduced": "REDUCED budget"}.get(row.get("budget"), "")
        chain = " -> ".join(f"{s['attack']} {100 * s['robust_accuracy']:.2f}%" for s in row["stages"])
        counted, given = row.get("stage_examples"), row.get("attacked", row.get("n"))
        part = f" (over {counted} of its {given} examples: a resumed evaluation continued it)" if (
            counted is not None and counted != given) else ""
        lines.append(f"- {row.get('label') or row['name']} ({row_threat(row)}{', ' + budget if budget else ''}): "
                     f"{chain}{part}")
    return lines


def markdown(results: dict[str, Any], title: str) -> str:
    lines = [f"# {title}", ""]
    if results.get("stochastic"):
        lines += [f"The model is randomized: attacks used EOT with {results['eot_samples']} samples and "
                  f"accuracies are means over {results['n_predictions']} stochastic predictions.", ""]
    lines += ["## Robust accuracy per threat model", ""] + [f"- {line}" for line in threat_lines(results)] + [""]
    lines += ["## Attacks", "", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(results)]
    lines += stage_lines(results)

    lines += markdown_section(results)
    banner = audit_report.banner(results)
    if banner:  # a failed audit shows right under the title, before any number
        lines[1:1] = ["", f"> **{banner}**"]
    lines += audit_report.markdown(results)
    return "\n".join(lines) + "\n"


def terminal_table(results: dict[str, Any]) -> str:
    rows = [HEADER, *table_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    out = []
    for i, r in enumerate(rows):
        out.append("  ".join(c.ljust(w) if j < 3 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    banner = audit_report.banner(results)
    return "\n".join(out + [""] + threat_lines(results) + audit_report.lines(results) + ([banner] if banner else []))


def threat_summary(results: dict[str, Any]) -> str:
    """One cell for studies' table.md: every threat model on one line, separated by '; '."""
    return "; ".join(line for line in threat_lines(results) if not line.startswith("worst_case_accuracy ="))
