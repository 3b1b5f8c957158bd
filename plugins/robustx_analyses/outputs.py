"""Writing analysis results: JSON (numbers), CSV (tables) and the list of files written."""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def json_safe(value: Any) -> Any:
    """JSON-safe: tensors/arrays to lists, NaN/inf to None."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: Path, data: Any) -> Path:
    from robustx.base.files import write_text_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(json_safe(data), indent=1) + "\n")
    return path


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    from robustx.base.files import atomic_target

    with atomic_target(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(json_safe(list(r)) for r in rows)
    return path


def relative(paths: Sequence[Path], root: Path) -> list[str]:
    out = []
    for p in paths:
        try:
            out.append(str(Path(p).relative_to(root)))
        except ValueError:
            out.append(str(p))
    return out
