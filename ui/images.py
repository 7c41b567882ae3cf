"""Pictures in and out: tensors to displayable images, and users' images to model inputs.

>>> import numpy as np
>>> to_display(np.ones((1, 2, 2))).shape, to_display(np.ones((3, 2, 2))).shape
((2, 2), (2, 2, 3))
>>> is_image_shape((1, 28, 28)), is_image_shape((4,))
(True, False)
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageOps

DISPLAY_MIN = 96  # pixels: small images (8×8 digits) are blown up to at least this


def is_image_shape(shape) -> bool:
    """[C, H, W] with 1 or 3 channels: shown as pictures, not tables."""
    return len(shape) == 3 and shape[0] in (1, 3) and shape[1] >= 4 and shape[2] >= 4


def to_display(x) -> np.ndarray:
    """One sample ``[C, H, W]`` with values in [0, 1] as uint8 ``[H, W]`` or ``[H, W, 3]``."""
    arr = np.asarray(x, dtype=np.float32)
    arr = np.clip(arr, 0.0, 1.0)
    arr = (arr * 255 + 0.5).astype(np.uint8)
    return arr[0] if arr.shape[0] == 1 else np.transpose(arr, (1, 2, 0))


def enlarge(image: np.ndarray, at_least: int = DISPLAY_MIN) -> Image.Image:
    """A PIL image scaled up with square pixels so that small digits stay readable."""
    pil = Image.fromarray(image)
    factor = max(1, -(-at_least // max(pil.size)))
    return pil.resize((pil.width * factor, pil.height * factor), Image.NEAREST) if factor > 1 else pil


def from_upload(data: bytes, shape) -> np.ndarray:
    """A PNG/JPEG as ``[C, H, W]`` float32 in [0, 1], converted to the model's channels and
    resized to its height and width. Raises ValueError in words when it is not an image."""
    try:
        pil = Image.open(io.BytesIO(data))
        pil.load()
    except Exception as err:  # noqa: BLE001 - PIL raises many kinds
        raise ValueError(f"that file is not an image PIL can read ({err})") from None
    return from_pil(pil, shape)


def from_pil(pil: Image.Image, shape) -> np.ndarray:
    channels, height, width = shape
    pil = ImageOps.exif_transpose(pil).convert("L" if channels == 1 else "RGB")
    pil = pil.resize((width, height), Image.BILINEAR)
    arr = np.asarray(pil, dtype=np.float32) / 255.0
    return arr[None] if channels == 1 else np.transpose(arr, (2, 0, 1))


def from_drawing(rgba: np.ndarray, shape, *, invert: bool = False) -> np.ndarray:
    """A canvas drawing (``[H, W, 4]`` RGBA, white strokes on black as MNIST has them) as a
    model input ``[C, H, W]`` in [0, 1]: the strokes' bounding box centred in a 20/28 frame,
    the way MNIST digits were prepared."""
    arr = np.asarray(rgba)
    gray = arr[..., :3].mean(axis=-1) if arr.ndim == 3 else arr.astype(float)
    if arr.ndim == 3 and arr.shape[-1] == 4:
        gray = gray * (arr[..., 3] / 255.0)  # transparent pixels are background
    if invert:
        gray = 255.0 - gray
    gray = np.clip(gray, 0, 255).astype(np.uint8)
    rows, cols = np.nonzero(gray > 20)
    channels, height, width = shape
    if rows.size == 0:
        return np.zeros(shape, dtype=np.float32)
    crop = gray[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    side = max(crop.shape)
    square = np.zeros((side, side), dtype=np.uint8)
    top, left = (side - crop.shape[0]) // 2, (side - crop.shape[1]) // 2
    square[top:top + crop.shape[0], left:left + crop.shape[1]] = crop
    inner = max(1, round(min(height, width) * 20 / 28))
    digit = Image.fromarray(square).resize((inner, inner), Image.BILINEAR)
    frame = Image.new("L", (width, height))
    frame.paste(digit, ((width - inner) // 2, (height - inner) // 2))
    out = np.asarray(frame, dtype=np.float32) / 255.0
    return np.repeat(out[None], channels, axis=0)
