"""A run's failure, said where nothing more can be written (a full disk).

A run's process records why it failed in the runs database and its ``worker.log``; on a full
disk neither can grow, and the app found only that the process 'exited with code 1 without
reporting'. So the process takes room for one message as it starts (``failure.txt``, spaces)
and, failing, writes its reason over them: an overwrite in place needs no new blocks. The app
reads it where the process ended without recording its end (:func:`layerloom.runtime.process.
run_status`).

>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> note = reserve(folder)
>>> read(folder) is None
True
>>> write(note, "the file data.csv does not exist")
True
>>> read(folder)
'the file data.csv does not exist'
"""

from __future__ import annotations

from pathlib import Path

NAME = "failure.txt"
SIZE = 4096  # bytes kept for the message; a longer one is cut


def reserve(folder: Path) -> Path | None:
    """The note's room in ``folder``, taken now; None where even that cannot be written."""
    path = folder / NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as f:
            f.write(b" " * SIZE)
    except OSError:
        return None
    return path


def write(path: Path | None, message: str) -> bool:
    """Write ``message`` over the room taken (cut to :data:`SIZE` bytes, the rest left spaces,
    the file never grown); whether it was written."""
    if path is None:
        return False
    data = message.encode("utf-8")[:SIZE]
    try:
        with open(path, "r+b") as f:  # in place: no truncation, no new blocks
            f.write(data + b" " * (SIZE - len(data)))
    except OSError:
        return False
    return True


def read(folder: Path) -> str | None:
    """The message written in ``folder``'s note, or None (no note, or its room still empty)."""
    try:
        text = (folder / NAME).read_bytes().decode("utf-8", errors="ignore").strip()
    except OSError:
        return None
    return text or None


def clear(path: Path | None) -> None:
    """Give the room back (the run ended as it says itself)."""
    if path is not None:
        try:
            path.unlink()
        except OSError:
            pass
