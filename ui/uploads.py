"""Uploaded files kept on disk, so that a run in its own process can load them by path."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path


def home() -> Path:
    """``$LAYERLOOM_HOME`` (default ``~/.layerloom``): where runs and uploads are kept."""
    return Path(os.environ.get("LAYERLOOM_HOME") or Path.home() / ".layerloom").expanduser()


def save_upload(name: str, data: bytes) -> Path:
    """Write ``data`` as ``uploads/<hash>/<name>``: the file keeps the user's name (errors quote
    it), and the same bytes land in the same file, so uploading a file twice reuses it (and its
    cached dataset).

    The name comes from the browser: it is cut to its last component (either slash), to
    letters (any script's), digits, spaces and ``. , ( ) + - _``, and to 150 characters; a
    leading dot goes. ``fötos mixed.zip`` stays ``fötos mixed.zip``.
    """
    digest = hashlib.sha256(data).hexdigest()[:12]
    last = str(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w .,()+-]+", "_", last).strip().lstrip(".")
    if len(base) > 150:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[:140] + dot + suffix[:9]) if dot else base[:150]
    base = base or "upload"
    folder = home() / "uploads" / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / base
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path


def too_big(name: str, size: int) -> str | None:
    """Why an upload of ``size`` bytes named ``name`` is refused before it is saved, or None.

    The uploader takes up to Streamlit's 200 MB, but tables are capped lower (100 MB, or
    ``$LAYERLOOM_MAX_CSV_BYTES``): such a file would be saved under ``uploads/`` only to be
    refused by its reader. The message names the file, its size and the limit, and what to do.
    """
    from layerloom.graph.limits import budget, size_words
    from layerloom.runtime.data.csvfile import MAX_CSV_BYTES
    from layerloom.runtime.data.preprocessing import TABLE_SUFFIXES

    # tables: every reader of these refuses a file over LAYERLOOM_MAX_CSV_BYTES (within_budget)
    if Path(str(name)).suffix.lower() not in TABLE_SUFFIXES:
        return None  # .npz and zips: within their own budgets at any size the uploader takes
    most = budget("LAYERLOOM_MAX_CSV_BYTES", MAX_CSV_BYTES)
    if size <= most:
        return None
    return (f"{name} is {size_words(size)}; table files (CSV, TSV, text, Excel, Parquet, "
            f"JSON lines) are capped at {size_words(most)}, so it was not kept. Upload a "
            f"smaller file (fewer rows, or only the columns you need), or set "
            f"LAYERLOOM_MAX_CSV_BYTES before starting the app to raise the limit.")


def display_name(path: str | Path) -> str:
    """The name the user uploaded."""
    return Path(path).name
