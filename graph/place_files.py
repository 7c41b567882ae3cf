"""Files written together, put in place together: all of them or none.

An export of several files (Python code and the weights it loads; an imported design and its
weights) is written under temporary names first. Moving them into place one after the other
would leave, if stopped between two moves (Ctrl+C, a closed terminal, a full disk), the new
code beside the old weights: an export that looks whole and loads the wrong numbers.
:func:`place_together` moves each one with an atomic ``os.replace`` (a file at a target is
always a whole one, old or new), keeping a hard link to each file it replaces; if any move fails
or is interrupted, the files already moved are taken back out and the replaced ones restored.

>>> place_together([(Path(".x/model.py"), Path("model.py")),          # doctest: +SKIP
...                 (Path(".x/model.safetensors"), Path("model.safetensors"))], Path(".x/old"))
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def scratch_folder(parent: Path, prefix: str) -> Iterator[Path]:
    """A new folder only this user may enter, in ``parent``, named ``prefix`` and random
    letters, deleted on leaving the block whatever ends it. Its name is chosen before it is
    made, inside the block that deletes it: a KeyboardInterrupt (Ctrl+C, or SIGTERM or SIGHUP
    turned into one) arriving just as it is made cannot leave it behind, as one arriving
    between ``tempfile.mkdtemp``'s return and the ``try`` after it could."""
    path = Path(parent) / f"{prefix}{secrets.token_hex(6)}"
    try:
        try:
            path.mkdir(mode=0o700)
        except OSError as exc:  # about the user's folder, not a name they never gave
            raise OSError(exc.errno, exc.strerror, os.fspath(parent)) from None
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def place_together(moves: list[tuple[Path, Path]], keep: Path) -> list[Path]:
    """Move each ``(written, target)`` file of ``moves`` to its target, all or none; the
    targets. ``keep``: an empty folder on the targets' file system, for the files replaced
    until every move is done (the caller deletes it). Whatever stops it on the
    way (an OSError, KeyboardInterrupt) is raised again once every target holds what it held
    before."""
    kept: dict[Path, Path] = {}
    placed: list[Path] = []
    try:
        for index, (_, target) in enumerate(moves):
            if os.path.lexists(target):
                copy = keep / f"{index}-{target.name}"
                _link_or_copy(target, copy)
                kept[target] = copy
        for written, target in moves:
            os.replace(written, target)
            placed.append(target)
    except BaseException:
        for target in reversed(placed):
            if target in kept:
                os.replace(kept[target], target)
            else:
                os.unlink(target)
        raise
    return placed


def _link_or_copy(source: Path, copy: Path) -> None:
    """A second name for ``source`` (a hard link costs nothing), else a copy where the file
    system has no hard links."""
    try:
        os.link(source, copy, follow_symlinks=False)
    except OSError:
        shutil.copy2(source, copy, follow_symlinks=False)
