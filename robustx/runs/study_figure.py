"""The study figure: clean vs robust accuracy of every row, one panel per threat model (figure.png).

Written next to table.md after each row, and embedded in study.html (the study's HTML report:
the table and this figure in one self-contained file). matplotlib is imported only here.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path
from typing import Any

FIGURE, REPORT = "figure.png", "study.html"


def threat_models(results: dict[str, dict[str, Any]]) -> list[tuple[str, float]]:
    """Every (norm, eps) any row was evaluated under, in first-seen order."""
    seen: list[tuple[str, float]] = []
    for res in results.values():
        for group in res.get("threat_models") or []:
            key = (group["norm"], float(group["eps"]))
            if key not in seen:
                seen.append(key)
    return seen


def robust(res: dict[str, Any], norm: str, eps: float) -> float | None:
    for group in res.get("threat_models") or []:
        if group["norm"] == norm and float(group["eps"]) == eps:
            return group.get("robust_accuracy")
    return None


def bars(rows: list[str], results: dict[str, dict[str, Any]]) -> dict[str, dict[str, list[float | None]]]:
    """What the figure draws, in %: ``{"Linf eps=0.1": {"rows": [...], "clean": [...], "robust": [...]}}``."""
    done = [name for name in rows if name in results]
    out: dict[str, dict[str, list[Any]]] = {}
    for norm, eps in threat_models(results):
        rob = [robust(results[n], norm, eps) for n in done]
        out[f"{norm} eps={eps:.4g}"] = {"rows": done, "clean": [100 * results[n]["clean_accuracy"] for n in done],
                                        "robust": [100 * r if r is not None else None for r in rob]}
    return out


def write_figure(rows: list[str], results: dict[str, dict[str, Any]], path: Path, title: str) -> Path | None:
    """Grouped bars (clean, robust) per row, a panel per threat model; None when no row has finished."""
    import matplotlib  # lazy: loads matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # lazy: loads matplotlib

    done = [name for name in rows if name in results]
    if not done:
        return None
    panels = bars(rows, results) or {"clean only": {"rows": done, "clean": [100 * results[n]["clean_accuracy"]
                                                                          for n in done], "robust": []}}
    fig, axes = plt.subplots(1, len(panels), figsize=(max(4.0, 0.9 * len(done) + 2) * len(panels), 4.2),
                             squeeze=False, sharey=True)
    xs = range(len(done))
    for ax, (threat, panel) in zip(axes[0], panels.items()):
        ax.bar([x - 0.2 for x in xs], panel["clean"], width=0.4, label="clean", color="#9ecae1")
        if panel["robust"]:  # a row not evaluated under this threat model gets no robust bar
            ax.bar([x + 0.2 for x in xs], [r if r is not None else 0 for r in panel["robust"]], width=0.4,
                   label="robust", color="#08519c")
        ax.set_title(threat)
        ax.set_xticks(list(xs))
        ax.set_xticklabels(done, rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 100)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("accuracy (%)")
    axes[0][0].legend(loc="lower left", fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report(title: str, table_md: str, figure: Path | None, path: Path) -> Path:
    """study.html: the figure (inline PNG) above the combined table (as preformatted markdown)."""
    image = ""
    if figure is not None and figure.is_file():
        data = base64.b64encode(figure.read_bytes()).decode("ascii")
        image = f'<img alt="clean vs robust accuracy per row and threat model" src="data:image/png;base64,{data}">'
    path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
                    f"<body><h1>{html.escape(title)}</h1>{image}<pre>{html.escape(table_md)}</pre></body></html>\n",
                    encoding="utf-8")
    return path
