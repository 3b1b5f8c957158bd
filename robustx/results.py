"""results.json / results.md and the terminal table."""

from __future__ import annotations

from typing import Any


def _fmt_params(params: dict[str, Any]) -> str:
    def fmt(v: Any) -> str:
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{k}={fmt(v)}" for k, v in params.items()) or "-"


def table_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for row in results["attacks"]:
        extra = f" (EOT {row['eot_samples']})" if row.get("eot_samples") else ""
        rows.append((row["name"] + extra, _fmt_params(row["params"]), f"{100 * row['robust_accuracy']:.2f}",
                     str(row["n"]), f"{row['seconds']:.1f}"))
    rows.append(("worst case (per example)", "all of the above", f"{100 * results['worst_case_accuracy']:.2f}",
                 str(results["n"]), ""))
    return rows


HEADER = ("attack", "params", "accuracy %", "n", "seconds")


def markdown(results: dict[str, Any], title: str) -> str:
    lines = [f"# {title}", ""]
    if results.get("stochastic"):
        lines += [f"The model is randomized: attacks used EOT with {results['eot_samples']} samples and "
                  f"accuracies are means over {results['n_predictions']} stochastic predictions.", ""]
    lines += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in table_rows(results)]
    return "\n".join(lines) + "\n"


def terminal_table(results: dict[str, Any]) -> str:
    rows = [HEADER, *table_rows(results)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    out = []
    for i, r in enumerate(rows):
        out.append("  ".join(c.ljust(w) if j < 2 else c.rjust(w) for j, (c, w) in enumerate(zip(r, widths))))
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
