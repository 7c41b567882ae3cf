"""The command line of a LayerLoom process started from another: ``python -P -m MODULE``.

``python -m`` puts the current folder first on the new process's ``sys.path``, and LayerLoom's
processes start in the user's folder: a ``copy.py``, ``json.py`` or ``random.py`` of theirs
there was then imported in place of Python's own, and the app's server, a run's worker, a
sweep's process, the warm worker and each process of ``train --nproc`` died with its traceback
(``RuntimeError`` from the user's ``copy.py``) before doing anything. ``-P`` (Python 3.11+)
leaves the folder off the path; LayerLoom itself is found where it is installed.

>>> module_command("layerloom.runtime.worker", "7")[1:]
['-P', '-m', 'layerloom.runtime.worker', '7']
"""

from __future__ import annotations

import sys


def module_command(module: str, *args: str) -> list[str]:
    """``[python, -P, -m, module, *args]``, with this process's Python."""
    return [sys.executable, "-P", "-m", module, *args]
