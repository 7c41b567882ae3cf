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


def display_name(path: str | Path) -> str:
    """The name the user uploaded."""
    return Path(path).name
