"""Run directories: created uniquely, marked as robustx's own, cleaned of a kill's leftovers.

The marker (``.robustx-run``, JSON) is what ``--resume`` trusts: a folder without it was not
created by robustx, so robustx refuses to resume into it (and so never writes into a user's
folder that merely holds a ``recipe.yaml``).
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from robustx.base.errors import CheckpointError, RobustxError
from robustx.base.version import __version__

MARKER = ".robustx-run"
MARKER_VERSION = 1
CHECKPOINT = Path("checkpoints") / "last.safetensors"


def create_run_dir(out: str | Path, name: str) -> Path:
    """A new ``OUT/NAME-STAMP[-i]`` directory; concurrent runs into one ``--out`` get distinct ones."""
    out = Path(out).expanduser()
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        out.mkdir(parents=True, exist_ok=True)
        for i in range(1000):
            run_dir = out / (f"{name}-{stamp}" + (f"-{i}" if i else ""))
            try:
                run_dir.mkdir()
                break
            except FileExistsError:
                continue
        probe = run_dir / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise RobustxError(f"cannot write to output directory {out}: {exc.strerror or exc}; "
                           "choose another with --out DIR") from None
    return run_dir


def mark(run_dir: Path, *, kind: Literal["run", "study"], recipe: str, source: str | None) -> None:
    """Record that robustx created ``run_dir`` (and for which recipe), so it may be resumed."""
    from robustx.base.checkpoint import write_text_atomic  # lazy: loads torch

    marker = {"robustx": __version__, "marker_version": MARKER_VERSION, "kind": kind, "recipe": recipe,
              "source": source, "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    write_text_atomic(run_dir / MARKER, json.dumps(marker, indent=2) + "\n")


def read_marker(run_dir: Path) -> dict[str, Any]:
    """The marker of a directory given to ``--resume``; a one-line error when it is not robustx's."""
    if not run_dir.is_dir():
        raise CheckpointError(f"--resume {run_dir}: no such directory" if not run_dir.exists()
                              else f"--resume {run_dir}: not a directory; give the run directory")
    file = run_dir / MARKER
    if not file.is_file():
        raise CheckpointError(f"--resume {run_dir}: not a run directory robustx created (no {MARKER} file); "
                              "robustx resumes only its own run and study directories")
    try:
        marker = json.loads(file.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        marker = None
    if not isinstance(marker, dict) or marker.get("kind") not in ("run", "study") or not marker.get("recipe"):
        raise CheckpointError(f"--resume {run_dir}: {MARKER} is damaged; start a new run instead")
    return marker


def remove_leftovers(run_dir: Path) -> list[Path]:
    """Delete ``.NAME.tmp`` files that a kill during an atomic write left behind; return them."""
    stray = [p for p in run_dir.rglob(".*.tmp") if p.is_file()]
    for path in stray:
        path.unlink(missing_ok=True)
    return stray


def remove_if_unstarted(run_dir: Path) -> None:
    """A run that failed before its first checkpoint (missing data, bad weights) leaves no directory behind."""
    if not (run_dir / CHECKPOINT).exists():
        shutil.rmtree(run_dir, ignore_errors=True)
