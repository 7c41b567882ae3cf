"""Things the pages load once and share across reruns: datasets and table headers.

Cached objects are shared by every session of the server; callers never change them.
"""

from __future__ import annotations

import functools
import logging
import threading
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
    ahead = _AHEAD.get(choice.key())
    if ahead is not None:
        return ahead
    return _dataset(choice.key(), choice.source, choice.load_args())


# Datasets loaded on a thread of their own (load_ahead), by DataChoice.key(): the built-ins a
# design names, so that the designer checks the design against them without making the page
# wait the second or two a load takes. Few (one per built-in at most) and shared, as above.
_AHEAD: dict[tuple, object] = {}
_LOADING: set[tuple] = set()
_FAILED: set[tuple] = set()  # not tried again: a page that loads it itself says why
_AHEAD_LOCK = threading.Lock()
log = logging.getLogger("layerloom.ui")


def loaded(choice: DataChoice):
    """``choice``'s dataset if :func:`load_ahead` has loaded it, else None (nothing starts)."""
    return _AHEAD.get(choice.key())


def loading(choice: DataChoice) -> bool:
    """Whether :func:`load_ahead` is loading ``choice``'s dataset now."""
    with _AHEAD_LOCK:
        return choice.key() in _LOADING


def load_ahead(choice: DataChoice) -> None:
    """Start loading ``choice``'s dataset on a thread of its own, once; :func:`loaded` and
    :func:`dataset_of` then have it. A load that fails is not tried again here: the pages
    that load it themselves say why (the Data page)."""
    key = choice.key()
    with _AHEAD_LOCK:
        if key in _AHEAD or key in _LOADING or key in _FAILED:
            return
        _LOADING.add(key)

    def load() -> None:
        try:
            _AHEAD[key] = load_dataset(choice.source, **choice.load_args())
        except Exception as exc:  # noqa: BLE001 - said where the dataset is chosen
            log.info("could not load %s ahead: %s", choice.source, exc)
            _FAILED.add(key)
        finally:
            with _AHEAD_LOCK:
                _LOADING.discard(key)

    threading.Thread(target=load, name=f"load {choice.source}", daemon=True).start()


@st.cache_data(max_entries=16, show_spinner=False)
def csv_columns(path: str, sheet: str | None = None) -> list[str]:
    """The header of a CSV/TSV file (or of a workbook's ``sheet``), for the column drop-downs:
    the names the loader gives the columns (a byte-order mark and spaces stripped, ``column N``
    for a blank name), so a column picked here is one it finds; [] for a file it cannot read
    (it says why)."""
    return read_header(Path(path), sheet)


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
