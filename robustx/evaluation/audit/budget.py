"""Is the evaluation's strongest attack at its published budget?

Why: "AutoAttack" at 10 iterations instead of the published 100 overstated robust accuracy by 4 points
on a 2-epoch MNIST model (issue #23) while looking like the standard evaluation. Attacks that report
their budget in the results row (``budget: published | reduced``) are judged by it; rows written before
robustx recorded budgets under the name ``autoattack`` came from the 10-iteration port and count as reduced.
"""

from __future__ import annotations

from typing import Any

#: rows named so, without a ``budget`` field, were written by the 10-iteration port (robustx <= stop 19)
LEGACY_REDUCED = ("autoattack", "autoattack_rand")


def budget_of(row: dict[str, Any]) -> str | None:
    """'published', 'reduced', or None for attacks that do not claim a published budget."""
    if row.get("budget") in ("published", "reduced"):
        return str(row["budget"])
    return "reduced" if row.get("name") in LEGACY_REDUCED else None


def reduced_only(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The reduced-budget rows, when no row of the same threat model runs at the published budget."""
    budgets = [(row, budget_of(row)) for row in rows]
    if any(b == "published" for _, b in budgets):
        return []
    return [row for row, b in budgets if b == "reduced"]


def describe(row: dict[str, Any]) -> str:
    iterations = row.get("iterations") or {}
    steps = f"{iterations['apgd']} iterations" if "apgd" in iterations else "10 iterations (written before budgets were recorded)"
    return f"{row.get('label') or row['name']} ({steps})"
