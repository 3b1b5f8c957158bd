"""One audit verdict: what was checked, how it went, the numbers behind it, what to do about it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Status = Literal["pass", "warn", "fail", "skip"]
#: worst first; "skip" (not applicable) never outranks a real verdict
SEVERITY = {"fail": 3, "warn": 2, "pass": 1, "skip": 0}


@dataclass
class Finding:
    """A check's result as results.json stores it (``audit: [{check, status, evidence, advice}]``)."""

    check: str
    status: Status
    evidence: str
    advice: str = ""
    reference: str = ""
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def worst(statuses: list[str]) -> str:
    """The most severe status of a list ("skip" when empty)."""
    return max(statuses, key=SEVERITY.__getitem__, default="skip")


def verdict(status: Status, evidence: str, advice: str = "") -> Finding:
    """A check's result; the runner fills in the check's name, reference and time."""
    return Finding("", status, evidence, advice)
