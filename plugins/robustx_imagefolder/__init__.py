"""robustx plugin: ``image_folder``, a dataset of PNG/JPEG files in torchvision's ImageFolder layout.

For data that does not fit in memory: the images stay on disk and stream through a
``torch.utils.data.DataLoader`` (robustx.datasets.loader); small folders may be loaded whole.
Entry point only: torchvision, PIL and torch are imported when the dataset is built.
"""

from __future__ import annotations

from robustx.host.declare import register_declared
from robustx.host.hookspecs import Register, hookimpl

from . import factories


@hookimpl
def robustx_register_datasets(register: Register) -> None:
    register_declared(register, factories)
