"""``data.extra`` validated before any work starts: exactly one source, its keys, its file or dataset.

robustx.datasets.extra loads what this accepts (see its docstring for the formats).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from robustx.base.errors import DataError, ParamError, did_you_mean
from robustx.config.data_source import resolve_data_root
from robustx.config.models import TENSOR_SUFFIXES, ExtraSettings
from robustx.config.params import one_line, validate_params

if TYPE_CHECKING:
    from robustx.host.manager import PluginHost

FOLDER_DATASET = "image_folder"


def validate_extra(spec: Any, host: "PluginHost", data_root: str | None) -> "ExtraSettings":
    """``data.extra`` typed, with defaults filled; one-line errors naming the field (and a did-you-mean)."""
    where = "data.extra"
    if not isinstance(spec, ExtraSettings):
        try:
            spec = ExtraSettings.model_validate(spec)
        except ValidationError as exc:
            raise one_line(exc, where) from None
    params = spec.params
    if (spec.name is None) == (spec.path is None):
        raise ParamError(f"{where}: give exactly one of 'name' (a registered dataset) or 'path' "
                         "(a .safetensors/.npz file or an image folder)")
    if spec.path is not None:
        if params:
            first, keys = next(iter(params)), list(ExtraSettings.model_fields)
            raise ParamError(f"{where}.{first}: unknown key{did_you_mean(first, keys)}; accepted: {', '.join(keys)}")
        path = resolve_path(spec.path, data_root)
        if not path.exists():
            if spec.optional:
                return spec
            raise DataError(f"{where}.path: {path} does not exist (set data.extra.optional: true to train without it)")
        if path.is_file() and path.suffix not in TENSOR_SUFFIXES:
            raise ParamError(f"{where}.path: {path.name} is neither a folder nor a {' / '.join(TENSOR_SUFFIXES)} file")
        if path.is_dir():
            host.registry("dataset").resolve(FOLDER_DATASET)  # a clear error when the folder plugin is off
        return spec
    factory = host.registry("dataset").resolve(spec.name).entry.factory
    spec.set_params(validate_params(factory, params, where, provided=("root", "download")))
    return spec


def resolve_path(text: str, data_root: str | None) -> Path:
    """``~`` expanded; a relative path that is not in the working directory is looked up in the data root."""
    path = Path(text).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return resolve_data_root(data_root) / path
