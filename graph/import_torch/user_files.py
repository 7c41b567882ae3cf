"""The user's model file, loaded from its path.

``import-torch types.py:Net`` means that file. Imported by name, a file called like a module
Python has already loaded (``types``, ``copy``, ``random``) would be that module instead (``module
'types' has no 'Net'``), so a file is loaded from its path under a private module name, which
shadows nothing (in the private package of :func:`.user_imports.user_imports`, which serves the
file's imports of its neighbours). Nothing is unpickled: the file is the user's own code, run as
an import runs it.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

from torch import nn

from ..errors import GraphError
from .user_imports import PACKAGE, public_name


def load_file(path: Path, package: str):
    """The module of the Python file at ``path``, run once more on each call, made in the
    private ``package`` (that of :func:`.user_imports.user_imports`)."""
    if not path.is_file():
        raise GraphError(f"no Python file {path.name} in {path.parent}")
    name = f"{package}._file_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses, typing and inspect look a class's module up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise GraphError(f"cannot import module {path.stem!r}: invalid Python at "
                         f"{Path(exc.filename or path).name} line {exc.lineno}: "
                         f"{exc.msg}") from None
    except Exception as exc:  # noqa: BLE001 - the user's file failed while it ran
        sys.modules.pop(name, None)
        raise GraphError(f"importing module {path.stem!r} failed in its own code: "
                         f"{exc}") from None
    return module


def model_classes(module) -> list[str]:
    """The ``nn.Module`` classes ``module`` defines itself (not those it imports)."""
    return [name for name, value in vars(module).items()
            if isinstance(value, type) and issubclass(value, nn.Module)
            and value.__module__ == module.__name__]


def described(cls: type) -> str:
    """``types.py:Net`` for a class of a loaded file, else ``package.module.Net`` (the name the
    user imported it by, not its private one)."""
    module = sys.modules.get(cls.__module__)
    spec = getattr(module, "__spec__", None)
    if cls.__module__.startswith(PACKAGE) and spec is not None and spec.name == cls.__module__:
        file = getattr(module, "__file__", None)  # loaded from its path: no other name
        if file:
            return f"{Path(file).name}:{cls.__qualname__}"
    return f"{public_name(cls.__module__)}.{cls.__qualname__}"
