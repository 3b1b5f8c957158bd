"""Progress bars with ETA (tqdm, imported lazily); off when ROBUSTX_NO_PROGRESS=1 or asked."""

from __future__ import annotations

import os
from typing import Any


class _Silent:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(*, total: int | None, desc: str, enabled: bool = True, unit: str = "it",
                 unit_scale: bool = False) -> Any:
    """``unit_scale``: show 12.3MB rather than 12345678B (downloads)."""
    if not enabled or os.environ.get("ROBUSTX_NO_PROGRESS") == "1":
        return _Silent()
    from tqdm.auto import tqdm  # lazy: tqdm costs --help ~50 ms

    return tqdm(total=total, desc=desc, unit=unit, unit_scale=unit_scale, leave=False, dynamic_ncols=True)
