"""The one error type the data package raises.

Every message starts with where the fault is: the file, then the line, column or zip entry
when one is at fault, so that a user can open the file and fix it.

>>> str(DataError("expected a number", file="data.csv", line=7, column="age"))
"data.csv, line 7, column 'age': expected a number"
>>> str(DataError("path leaves the archive", file="photos.zip", entry="../evil.png"))
"photos.zip, entry '../evil.png': path leaves the archive"
"""

from __future__ import annotations

from pathlib import Path

from layerloom.graph.limits import budget  # noqa: F401 - the readers of uploads take it from here


class DataError(ValueError):
    """A dataset that cannot be loaded, or one that does not fit the design it is given to.

    ``file``, ``line`` (1-based, as an editor counts), ``column`` and ``entry`` say where the
    fault is when one place is at fault; they are kept as attributes for the UI to highlight.
    Where loader options get past the fault, ``remedy`` holds them (``{"drop": ["customer_id"]}``)
    and ``fault`` says what is wrong without the message's how-to, which names the Python
    API's options: the app says the same in its own words, beside a button that applies them.
    ``unreadable``: the file cannot be read as what it is named (no such file, a ``.npz`` that is
    no zip, a ``.png`` that is no image, a ``.csv`` of binary data), as against one read whose
    contents are no dataset; the CLI exits 2 for it, as for any file it cannot read.
    """

    def __init__(self, message: str, *, file: str | Path | None = None, line: int | None = None,
                 column: str | None = None, entry: str | None = None,
                 remedy: dict | None = None, fault: str | None = None,
                 unreadable: bool = False):
        self.unreadable = unreadable
        self.file = Path(file).name if file is not None else None
        self.remedy = remedy
        self.fault = fault if fault is not None else message
        self.line = line
        self.column = column
        self.entry = entry
        self.message = message
        where = [self.file] if self.file else []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        if entry is not None:
            where.append(f"entry {entry!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)



def over_budget(message: str, env: str, *, file: str | Path | None = None,
                entry: str | None = None) -> DataError:
    """The error for an upload over a budget: ``message`` (which says the figure and the budget)
    and the variable that changes it::

        photos.zip: 1,500,000,000 pixels in all; the images of a zip are capped at 500,000,000
        decoded pixels in all (set LAYERLOOM_MAX_ZIP_PIXELS to change it)
    """
    return DataError(f"{message} (set {env} to change it)", file=file, entry=entry)
