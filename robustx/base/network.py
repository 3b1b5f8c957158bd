"""Whether robustx may touch the network: ROBUSTX_OFFLINE vetoes dataset and weight downloads."""

from __future__ import annotations

import os


def offline() -> bool:
    """ROBUSTX_OFFLINE=1 (or any value but 0/empty): never touch the network."""
    return os.environ.get("ROBUSTX_OFFLINE", "").strip() not in ("", "0")
