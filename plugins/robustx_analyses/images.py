"""Small images as PNG data URIs, so the HTML report embeds them and needs no other files."""

from __future__ import annotations

import base64
import io

import numpy as np


def to_uint8(x: np.ndarray) -> np.ndarray:
    """(C,H,W) float in [0,1] -> (H,W) or (H,W,3) uint8."""
    x = np.clip(np.asarray(x, dtype=np.float32), 0.0, 1.0)
    x = x[0] if x.shape[0] == 1 else np.transpose(x[:3], (1, 2, 0))
    return (x * 255.0 + 0.5).astype(np.uint8)


def png_data_uri(x: np.ndarray) -> str:
    """A (C,H,W) image in [0,1] as ``data:image/png;base64,...``."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(x)).save(buffer, format="PNG", optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def heat_data_uri(values: np.ndarray) -> str:
    """A (H,W) array of non-negative values, normalized to [0,1], through the 'inferno' colormap."""
    from matplotlib import colormaps

    values = np.asarray(values, dtype=np.float32)
    top = float(values.max()) or 1.0
    rgb = colormaps["inferno"](values / top)[..., :3]
    return png_data_uri(np.transpose(rgb, (2, 0, 1)))
