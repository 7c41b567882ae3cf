"""A folder for matplotlib's settings and font cache where the user's own cannot be made.

Captum, which ``explain`` uses, imports matplotlib, which keeps its settings and font cache in
``~/.config/matplotlib``. Where that folder cannot be made (a service account whose home is
``/nonexistent``, a read-only home) matplotlib makes a temporary one each time and prints two
lines of warning ("mkdir -p failed for path …", "Matplotlib created a temporary cache
directory …, it is highly recommended to set the MPLCONFIGDIR environment variable …") on every
``layerloom explain`` and in the app's log. There it is given ``matplotlib/`` in LayerLoom's home
instead, kept, so that its font cache is built once. A ``MPLCONFIGDIR`` the user set stands;
where LayerLoom's home is not there (it is made by what records runs, never here) or cannot be
written either, matplotlib is left to do as it does.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .store import home


def prepare() -> None:
    """Before matplotlib is first imported: ``MPLCONFIGDIR`` set to LayerLoom's home's
    ``matplotlib/`` where matplotlib's own folder cannot be made and that one can."""
    if os.environ.get("MPLCONFIGDIR") or "matplotlib" in sys.modules:
        return
    try:
        config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        if _writable(config / "matplotlib"):
            return
        ours = home()
    except RuntimeError:  # no home folder to be found at all: matplotlib's choice then
        return
    if ours.is_dir() and _writable(ours / "matplotlib"):  # a home is made by what records
        os.environ["MPLCONFIGDIR"] = str(ours / "matplotlib")


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)
