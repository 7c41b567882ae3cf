"""The name of a Python module the CLI writes (``export -f python``, ``codegen -o``).

``-o "name with space.py"``, ``1model.py``, ``my-model.py`` or ``class.py`` was written without a
word, and ``import`` of it could not be written at all (``import name with space`` is no
Python); ``-o json.py`` or ``torch.py`` was written too, and then broke its own folder: run
there, the file's ``import torch`` (and torch's ``import json``) found the file itself, as did
every other script of that folder. The first kind is written as asked, with one line saying how
to name it for ``import`` (it still runs as a script, and loads from its path); the second is
refused before anything is written, with a name that works.

>>> module_file_problem(Path("json.py"))[0]
"json.py is named like Python's own json module, and would be imported in its place by the \
file's own imports (torch, and what torch imports) and by every script in its folder; name it \
json_model.py"
>>> module_file_problem(Path("out/1model.py"))[1]
"import cannot load 1model.py by its name (a module's name is letters, digits and _, not \
starting with a digit, and no keyword such as class); to import it, name it model_1model.py"
>>> module_file_problem(Path("my_net.py"))
(None, None)
"""

from __future__ import annotations

import keyword
from pathlib import Path


def module_file_problem(path: Path) -> tuple[str | None, str | None]:
    """``(error, note)`` for a Python module to be written at ``path``: an error where the
    file would shadow a module (write nothing), a note where ``import`` cannot load it by its
    name (write it, and say so); ``(None, None)`` for a name ``import`` takes."""
    from layerloom.graph.naming import module_name, shadowed_module  # naming imports torch

    stem = path.stem if path.suffix == ".py" else path.name
    usable = f"{module_name(stem)}.py"
    if path.suffix == ".py" and shadowed_module(stem):
        return (f"{path.name} is named like {shadowed_module(stem)}, and would be imported in "
                f"its place by the file's own imports (torch, and what torch imports) and by "
                f"every script in its folder; name it {usable}"), None
    if path.suffix != ".py":
        return None, (f"import cannot load {path.name} by its name (a module's file name ends "
                      f"in .py); to import it, name it {usable}")
    if not stem.isidentifier() or keyword.iskeyword(stem):
        return None, (f"import cannot load {path.name} by its name (a module's name is letters, "
                      f"digits and _, not starting with a digit, and no keyword such as class); "
                      f"to import it, name it {usable}")
    return None, None
