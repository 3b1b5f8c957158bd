"""``data.extra`` validated before any work starts: exactly one source, its keys, its file or dataset.

robustx.datasets.extra loads what this accepts (see its docstring for the formats).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

from robustx.base.errors import DataError, ParamError, did_you_mean
from robustx.config.data_source import resolve_data_root
from robustx.config.params import Range, coerce, validate_params

if TYPE_CHECKING:
    from robustx.host.manager import PluginHost

KEYS: dict[str, tuple[Any, Any]] = {
    "name": (Optional[str], None),
    "path": (Optional[str], None),
    "fraction": (Annotated[float, Range(gt=0, lt=1)], 0.7),
    "limit": (Optional[Annotated[int, Range(ge=1)]], None),
    "optional": (bool, False),
}


TENSOR_SUFFIXES = (".safetensors", ".npz")


FOLDER_DATASET = "image_folder"


def validate_extra(spec: Any, host: "PluginHost", data_root: str | None) -> dict[str, Any]:
    """``data.extra`` with defaults filled; one-line errors naming the field (and a did-you-mean)."""
    where = "data.extra"
    if isinstance(spec, str):
        spec = {"path": spec} if ("/" in spec or spec.endswith(TENSOR_SUFFIXES)) else {"name": spec}
    if not isinstance(spec, dict):
        raise ParamError(f"{where}: expected a mapping like {{path: generated.safetensors, fraction: 0.7}}, got {spec!r}")
    out = {key: coerce(spec[key], tp, f"{where}.{key}") if key in spec else default
           for key, (tp, default) in KEYS.items()}
    params = {k: v for k, v in spec.items() if k not in KEYS}
    if (out["name"] is None) == (out["path"] is None):
        raise ParamError(f"{where}: give exactly one of 'name' (a registered dataset) or 'path' "
                         "(a .safetensors/.npz file or an image folder)")
    if out["path"] is not None:
        if params:
            first = next(iter(params))
            raise ParamError(f"{where}.{first}: unknown key{did_you_mean(first, KEYS)}; accepted: {', '.join(KEYS)}")
        path = resolve_path(out["path"], data_root)
        if not path.exists():
            if out["optional"]:
                return out
            raise DataError(f"{where}.path: {path} does not exist (set data.extra.optional: true to train without it)")
        if path.is_file() and path.suffix not in TENSOR_SUFFIXES:
            raise ParamError(f"{where}.path: {path.name} is neither a folder nor a {' / '.join(TENSOR_SUFFIXES)} file")
        if path.is_dir():
            host.registry("dataset").resolve(FOLDER_DATASET)  # a clear error when the folder plugin is off
        return out
    factory = host.registry("dataset").resolve(out["name"]).entry.factory
    return {**out, **validate_params(factory, params, where, provided=("root", "download"))}


def resolve_path(text: str, data_root: str | None) -> Path:
    """``~`` expanded; a relative path that is not in the working directory is looked up in the data root."""
    path = Path(text).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return resolve_data_root(data_root) / path
