"""Things the pages load once and share across reruns: datasets and table headers.

Cached objects are shared by every session of the server; callers never change them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import streamlit as st

from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.csvfile import read_header

from .pagestate import DataChoice


@st.cache_resource(max_entries=6, show_spinner="Loading the dataset…")
def _dataset(key: tuple, source: str, args: dict):
    del key  # the cache's identity; ``args`` holds unhashable option values
    return load_dataset(source, **args)


def dataset_of(choice: DataChoice):
    """The loaded :class:`Dataset` for ``choice``; DataError in words when it cannot load."""
    return _dataset(choice.key(), choice.source, choice.load_args())


@st.cache_data(max_entries=16, show_spinner=False)
def csv_columns(path: str) -> list[str]:
    """The header of a CSV/TSV file, for the column drop-downs: the names the loader gives
    the columns (a byte-order mark and spaces stripped, ``column N`` for a blank name), so a
    column picked here is one it finds; [] for a file it cannot read (it says why)."""
    return read_header(Path(path))


@functools.lru_cache(maxsize=1)
def favicon():
    """The app's icon (a hub of five nodes), drawn here: a Material icon as ``page_icon`` is
    fetched by every browser from fonts.gstatic.com, a request outside the machine."""
    import math

    from PIL import Image, ImageDraw

    size, colour = 256, (79, 70, 229, 255)
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    c = size / 2
    points = [(c + 88 * math.cos(math.radians(-90 + 72 * i)),
               c + 88 * math.sin(math.radians(-90 + 72 * i))) for i in range(5)]
    for x, y in points:
        pen.line([(c, c), (x, y)], fill=colour, width=16)
        pen.ellipse([x - 26, y - 26, x + 26, y + 26], fill=colour)
    pen.ellipse([c - 36, c - 36, c + 36, c + 36], fill=colour)
    return image.resize((64, 64), Image.Resampling.LANCZOS)
