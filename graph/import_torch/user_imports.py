"""The user's own modules, imported without changing the process for anything else.

A model file imports its neighbours (``from layers import Block``) as Python does for a script:
from its folder. Putting that folder on ``sys.path`` would leave it there, and with it every
module of the folder in ``sys.modules`` under its plain name: in the app's server or a test run,
a ``copy.py`` or ``json.py`` beside one user's model would then be what everything imported
later gets, and a second user's ``layers.py`` would be the first one's.

:func:`user_imports` instead serves the folder's modules from a finder that lasts only while the
user's file loads, in the thread that loads it. Each module is made under a private name
(``_layerloom_user_3.layers``): its classes' ``__module__`` and its entry in ``sys.modules`` are
that name, which shadows nothing and stays, so the model runs, traces and shows its source
afterwards. Its plain name (``layers``) is in ``sys.modules`` only while the file loads, so that
the file's own imports of it find it. Python's standard library is never taken from the folder.

>>> with user_imports([Path("models")]) as package:          # doctest: +SKIP
...     module = importlib.import_module("mymodels")          # models/mymodels.py
>>> module.__name__                                           # doctest: +SKIP
'_layerloom_user_1.mymodels'
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from importlib.machinery import ModuleSpec, PathFinder, SourceFileLoader
from pathlib import Path

PACKAGE = "_layerloom_user_"  # the private packages the user's modules are made in
_numbers = itertools.count(1)
_lock = threading.RLock()  # one user's import at a time: the finder is the process's


class _PrivateLoader(SourceFileLoader):
    """Runs a source file as the module named ``self.name`` (the private name), whatever name
    it was imported by."""

    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        module = types.ModuleType(self.name)
        sys.modules[self.name] = module  # dataclasses and typing look a class's module up here
        return module


class _FolderFinder:
    """A meta path finder for the modules of ``folders``, for the thread that made it."""

    def __init__(self, folders: Sequence[str], package: str):
        self.folders, self.package = list(folders), package
        self.thread = threading.get_ident()
        self.served: dict[str, ModuleSpec] = {}  # plain name -> the spec it was made from

    def find_spec(self, fullname: str, path=None, target=None) -> ModuleSpec | None:
        if threading.get_ident() != self.thread:
            return None
        if path is None:  # a top-level module: the folders' own, never the standard library's
            if fullname in sys.stdlib_module_names:
                return None
            spec = PathFinder.find_spec(fullname, self.folders)
            if spec is None or spec.origin is None and _regular_elsewhere(fullname):
                return None  # a bare folder (namespace package) yields to a real module
        elif fullname.partition(".")[0] in self.served:  # a module of a package served here
            spec = PathFinder.find_spec(fullname, path)
            if spec is None:
                return None
        else:
            return None
        if type(spec.loader) is SourceFileLoader:
            spec.loader = _PrivateLoader(f"{self.package}.{fullname}", spec.origin)
        self.served[fullname] = spec
        return spec


def _regular_elsewhere(name: str) -> bool:
    """Whether ``sys.path`` holds a module or package of ``name`` with code of its own."""
    try:
        spec = PathFinder.find_spec(name)
    except (ImportError, ValueError):
        return False
    return spec is not None and spec.origin is not None


@contextlib.contextmanager
def user_imports(folders: Sequence[str | Path]) -> Iterator[str]:
    """While it lasts, top-level imports of modules in ``folders`` (the first that has one) load
    them from there under the private package it yields; after it, none of them is in
    ``sys.modules`` under its plain name, and ``sys.path`` is as it was. Where the block
    raises, nothing it loaded is kept."""
    with _lock:
        package = f"{PACKAGE}{next(_numbers)}"
        folders = [str(Path(f).resolve()) for f in folders]
        for folder in folders:  # files written since the folder was last read are seen
            sys.path_importer_cache.pop(folder, None)
        finder = _FolderFinder(folders, package)
        parent = types.ModuleType(package)
        parent.__path__ = []
        sys.modules[package] = parent
        sys.meta_path.insert(0, finder)
        ok = False
        try:
            yield package
            ok = True
        finally:
            sys.meta_path.remove(finder)
            _settle(finder, parent, ok)


def _settle(finder: _FolderFinder, parent: types.ModuleType, keep: bool) -> None:
    """Take the plain names of the modules ``finder`` served out of ``sys.modules``; keep those
    that loaded under their private names (``keep``), or none of the package."""
    prefix = f"{parent.__name__}."
    for name, spec in finder.served.items():
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__spec__", None) is spec:
            del sys.modules[name]
            if keep:
                sys.modules[prefix + name] = module
                if "." not in name:
                    setattr(parent, name, module)
                continue
        sys.modules.pop(prefix + name, None)  # its file failed as it ran
    if not keep:
        for name in [n for n in sys.modules if n.startswith(prefix)]:
            del sys.modules[name]
        del sys.modules[parent.__name__]


def public_name(module_name: str) -> str:
    """The name a user knows a module by: ``_layerloom_user_3.layers`` → ``layers``.

    >>> public_name("_layerloom_user_3.layers"), public_name("torch.nn")
    ('layers', 'torch.nn')
    """
    if module_name.startswith(PACKAGE) and "." in module_name:
        return module_name.split(".", 1)[1]
    return module_name
