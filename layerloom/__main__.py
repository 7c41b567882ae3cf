"""``python -m layerloom``: the ``layerloom`` command.

``python -m`` puts the current folder first on ``sys.path``, so a ``copy.py`` or ``json.py`` of
the user's there was imported in place of Python's own by the first LayerLoom module that needed
it (``dataclasses`` imports ``copy``), and every command died with that file's traceback. The
folder leaves the path here, before anything else is imported, as the ``layerloom`` command and
``python -P`` never put it there (import-torch looks for a model's module in it by itself).
What Python imports before this file runs (``runpy`` and its imports) no code of LayerLoom's
can guard: the README's troubleshooting says so.
"""

import os
import sys


def _current_folder() -> str | None:
    try:
        return os.getcwd()
    except OSError:  # removed since: Python put "" on the path
        return None


if not sys.flags.safe_path and sys.path and sys.path[0] in ("", _current_folder()):
    del sys.path[0]

from layerloom.cli import main  # noqa: E402 - only once the folder is off the path

raise SystemExit(main())
