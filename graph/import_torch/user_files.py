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


def load_file(path: Path, package: str, shown: str | None = None):
    """The module of the Python file at ``path``, run once more on each call, made in the
    private ``package`` (that of :func:`.user_imports.user_imports`). A file that cannot be
    read as Python source is a GraphError (``unreadable``) naming it as ``shown`` (as the user
    gave it)."""
    _check_source(path, shown or str(path))
    name = f"{package}._file_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses, typing and inspect look a class's module up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        line = f" line {exc.lineno}" if exc.lineno else ""
        raise GraphError(f"cannot import module {path.stem!r}: invalid Python at "
                         f"{Path(exc.filename or path).name}{line}: {exc.msg}") from None
    except ImportError as exc:
        sys.modules.pop(name, None)
        if (exc.name or "").startswith(f"{package}.") or "relative import" in str(exc):
            raise GraphError(_relative_import(path, shown or str(path))) from None
        if stdlib_named(exc, path.parent):
            raise GraphError(stdlib_named(exc, path.parent)) from None
        raise GraphError(f"importing module {path.stem!r} failed in its own code: "
                         f"{exc}") from None
    except Exception as exc:  # noqa: BLE001 - the user's file failed while it ran
        sys.modules.pop(name, None)
        raise GraphError(f"importing module {path.stem!r} failed in its own code: "
                         f"{exc}") from None
    return module


def stdlib_named(exc: ImportError, folder: Path) -> str | None:
    """Where ``exc`` is a name missing from a module of Python's own that ``folder`` holds a
    file of (``from code import Net`` beside a ``code.py``): that Python's module is imported,
    never the folder's, and what to do; else None."""
    name = exc.name or ""
    if name.partition(".")[0] not in sys.stdlib_module_names \
            or not (folder / f"{name.partition('.')[0]}.py").is_file():
        return None
    top = name.partition(".")[0]
    return (f"{top}.py in {folder.name or folder} is named like Python's own module {top!r}, "
            f"which is imported in its place; rename {top}.py (e.g. to my_{top}.py) and the "
            f"imports of it")


def _relative_import(path: Path, shown: str) -> str:
    """What to do about a file, named by its path, whose imports are relative (``from .layers
    import Block``): those work only in its package, so name it as its package's module."""
    parts, folder = [path.stem], path.parent
    while (folder / "__init__.py").is_file():
        parts.insert(0, folder.name)
        folder = folder.parent
    if len(parts) == 1:
        return (f"{shown} imports its neighbours relatively (from .name import …), which works "
                f"only in a package; import them by name (from name import …)")
    where = "here" if folder == Path.cwd().resolve() else f"in the folder {folder}"
    return (f"{shown} imports its neighbours relatively (from .name import …), which works only "
            f"in its package: give it by its module's name, {'.'.join(parts)}:NAME, {where}")


def _check_source(path: Path, shown: str) -> None:
    """A GraphError (``unreadable``: exit 2 on the command line) where ``path`` is not there,
    is a folder, may not be read, or holds binary data rather than Python source."""
    try:
        with path.open("rb") as file:
            head = file.read(1 << 20)
    except FileNotFoundError:
        where = "" if path.parent.is_dir() else \
            f" (there is no folder {Path(shown).parent} either)"
        raise GraphError(f"{shown}: no such file{where}; give the path of the model's Python "
                         f"file", unreadable=True) from None
    except IsADirectoryError:
        raise GraphError(f"{shown} is a folder, not a Python file; name the model's file in "
                         f"it (e.g. {shown}/model.py:Net)", unreadable=True) from None
    except PermissionError:
        raise GraphError(f"{shown}: permission denied; make the file readable, or copy it "
                         f"somewhere you may read it", unreadable=True) from None
    except OSError as exc:
        raise GraphError(f"{shown}: cannot read the file ({exc.strerror})",
                         unreadable=True) from None
    nul = head.find(b"\0")
    if nul >= 0:
        raise GraphError(f"{shown} is not Python source: it holds binary data (a NUL byte at "
                         f"byte {nul}); name the model's .py file", unreadable=True)


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
