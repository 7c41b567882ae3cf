"""Things the pages load once and share across reruns: datasets and table headers.

Cached objects are shared by every session of the server; callers never change them.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pandas as pd
import streamlit as st

from layerloom.runtime.data import load_dataset

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
    """The header of a CSV/TSV file, for the column drop-downs."""
    sep = "\t" if Path(path).suffix.lower() == ".tsv" else None
    try:
        head = pd.read_csv(path, nrows=5, sep=sep, engine="python")
    except (ValueError, OSError, csv.Error, pd.errors.ParserError):  # csv: an empty file
        return []  # the loader reports what is wrong with the file, in its words
    return [str(c) for c in head.columns]


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
