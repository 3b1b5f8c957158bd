"""How an audit shows up: the terminal lines, the results.md section and the failure banner.

Import-light (no torch): results.py and the CLI use it to render saved results.
"""

from __future__ import annotations

from typing import Any

MARK = {"pass": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "-   "}


def failed(results: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in results.get("audit") or [] if f.get("status") == "fail"]


def banner(results: dict[str, Any]) -> str | None:
    """One loud line when any check failed (None otherwise): the numbers above are not trustworthy."""
    bad = failed(results)
    if not bad:
        return None
    names = ", ".join(f"({f.get('id', '?')}) {f['check']}" for f in bad)
    return (f"AUDIT FAILED: {len(bad)} check(s) failed [{names}]: these robust accuracies likely overstate "
            "robustness; see docs/evaluation.md, 'Reading a failed audit'")


def lines(results: dict[str, Any]) -> list[str]:
    """One line per check (status, name, evidence) and its advice indented below."""
    out = []
    for f in results.get("audit") or []:
        out.append(f"[{MARK.get(f['status'], f['status'])}] ({f.get('id', '?')}) {f['check']}: {f['evidence']}")
        if f.get("advice") and f["status"] in ("warn", "fail"):
            out.append(f"       -> {f['advice']}")
    return out


def markdown(results: dict[str, Any]) -> list[str]:
    """The results.md section (empty when no audit ran); results.py puts the banner under the title."""
    audit = results.get("audit")
    if not audit:
        return []
    level = f" ({results['audit_level']}, {results.get('audit_seconds', 0):.0f} s)" if results.get("audit_level") else ""
    out = ["", f"## Audit{level}", "", "| check | status | evidence | advice |", "|---|---|---|---|"]
    for f in audit:
        cells = [f"({f.get('id', '?')}) {f['check']}", f["status"], f["evidence"], f.get("advice") or ""]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return out
