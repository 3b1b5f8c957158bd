"""Where a recipe's data comes from: the data root, whether downloads are allowed, whether the files are there.

Validation reads these before any work starts; the dataset layer (robustx.datasets.bundle) opens the data
from the same root.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from robustx.base.errors import DataError
from robustx.base.network import offline

if TYPE_CHECKING:
    from robustx.config.models import DataSettings
    from robustx.host.manager import PluginHost

#: where datasets live when neither data.root nor $ROBUSTX_DATA says otherwise
DEFAULT_DATA_ROOT = "~/.cache/robustx/data"


def resolve_data_root(root: str | None) -> Path:
    """The one place that decides the data folder: ``data.root``, else $ROBUSTX_DATA, else the cache.

    Nothing is created here (validation must not leave folders behind); the dataset plugin
    creates the folder on demand, when it downloads into it.
    """
    chosen = root or os.environ.get("ROBUSTX_DATA") or DEFAULT_DATA_ROOT
    return Path(chosen).expanduser()


def downloads_allowed(download: bool) -> bool:
    """What a dataset factory receives as ``download``: the recipe's wish, vetoed by ROBUSTX_OFFLINE."""
    return bool(download) and not offline()


def check_data_available(spec: "DataSettings | dict[str, Any]", host: PluginHost) -> None:
    """Validation: fail in one line when the data is missing and may not be downloaded.

    A dataset factory may define ``missing_files(root, **params) -> str | None`` (the one-line
    reason, or None when the files are there). Without it, a factory whose ``root`` has no
    default reads files, so only the folder's existence is checked; one with a default
    (embedded data, like ``digits``) is not checked at all. ``spec``: a recipe's typed ``data`` section
    (a mapping of one is read into it).
    """
    if isinstance(spec, dict):
        from robustx.config.models import DataSettings, read_section  # lazy: loads pydantic

        spec = read_section(DataSettings, spec, "data")
    if downloads_allowed(spec.download):
        return
    factory = host.registry("dataset").resolve(spec.name).entry.factory
    root = resolve_data_root(spec.root)
    missing_files = getattr(factory, "missing_files", None)
    if callable(missing_files):
        reason = missing_files(root, **spec.params)
        if reason:
            raise DataError(reason)
        return
    param = inspect.signature(factory).parameters.get("root")
    if param is not None and param.default is inspect.Parameter.empty and not root.is_dir():
        why = "ROBUSTX_OFFLINE=1" if offline() else "data.download=false"
        raise DataError(f"data.root {root} does not exist and downloading is off ({why}); "
                        f"create it and put the {spec.name} files there, or set data.root=DIR")
