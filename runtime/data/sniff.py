"""What a file named as text (a ``.csv``, ``.jsonl``) holds instead, told by its first bytes:
a workbook, a Parquet file, a picture, a NumPy array, a compressed file. A file whose extension
lies is then refused naming what it is and how to load it, not as "binary data" or as a table
of one garbled column.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from .errors import DataError

# first bytes → (what the file is, the suffix LayerLoom reads it under, or None)
MAGIC = (
    (b"PAR1", "a Parquet file", ".parquet"),
    (b"\x93NUMPY", "a NumPy array (.npy)", None),
    (b"\x89PNG\r\n\x1a\n", "a PNG image", None),
    (b"\xff\xd8\xff", "a JPEG image", None),
    (b"GIF8", "a GIF image", None),
    (b"%PDF", "a PDF document", None),
    (b"\x1f\x8b", "a gzip-compressed file", None),
)
ZIPPED = {"xl/workbook.xml": ("an Excel workbook (.xlsx)", ".xlsx")}


def what_it_is(raw: bytes) -> tuple[str, str | None] | None:
    """``(what, suffix)`` of a file whose bytes ``raw`` are no text, where its first bytes tell;
    None where they do not (text, or bytes of no kind known here).

    >>> what_it_is(b"PAR1\\x15\\x04"), what_it_is(b"a,b\\n1,2\\n")
    (('a Parquet file', '.parquet'), None)
    """
    for magic, what, suffix in MAGIC:
        if raw.startswith(magic):
            return what, suffix
    if raw.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(raw)).namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        for entry, found in ZIPPED.items():
            if entry in names:
                return found
        if names and all(name.endswith(".npy") for name in names):
            return "NumPy arrays (.npz)", ".npz"
    return None


def refuse_misnamed(path: Path, raw: bytes, expected: str) -> None:
    """A DataError naming what ``path`` holds, where its bytes are of a kind :func:`what_it_is`
    tells and not the ``expected`` text (``"CSV text"``): renamed to the suffix LayerLoom
    reads it under, it loads; a picture or a PDF is no table at all.

    >>> try:
    ...     refuse_misnamed(Path("sales.csv"), b"PAR1\x15", "CSV text")
    ... except DataError as err:
    ...     print(err)
    sales.csv: is a Parquet file, not CSV text, though its name ends in .csv: rename it sales.parquet and load that
    """
    found = what_it_is(raw)
    if found is None:
        return
    what, suffix = found
    if suffix:
        how = f"rename it {path.with_suffix(suffix).name} and load that"
    elif what.startswith("a gzip"):
        how = "unpack it (gunzip, or 7-Zip on Windows) and load the file inside"
    else:
        how = "a dataset is a table (CSV, Excel, Parquet, JSON lines), a .npz of arrays, or " \
              "a .zip or folder of class folders of images"
    raise DataError(f"is {what}, not {expected}, though its name ends in {path.suffix}: {how}",
                    file=path, unreadable=True)


def refuse_other_text(path: Path, text: str, expected: str) -> None:
    """A DataError where ``path``'s text is of another kind than its name says and LayerLoom
    reads that kind under another suffix: JSON lines (a ``{…}`` object on each of its first
    lines) named ``.csv``, or a table of values between commas, semicolons or tabs named
    ``.jsonl``. Read as they were, the first became a table of columns named
    ``{"a": 0.5`` and the second failed with "not valid JSON (Expecting value, at character
    1)".

    >>> try:
    ...     refuse_other_text(Path("t.csv"), '{"a": 1, "y": 0}\\n{"a": 2, "y": 1}', "CSV text")
    ... except DataError as err:
    ...     print(err)
    t.csv: is JSON lines (one object a line), not CSV text, though its name ends in .csv: rename it t.jsonl and load that
    """
    head = text[:1 << 16].splitlines()[:50]
    if len(head) > 1 and len(text) > 1 << 16:
        head = head[:-1]  # the last line may be cut
    lines = [line.strip() for line in head if line.strip()]
    if not lines:
        return
    if expected == "CSV text" and all(line.startswith("{") and line.endswith("}")
                                      for line in lines):
        what, suffix = "JSON lines (one object a line)", ".jsonl"
    elif expected == "JSON lines" and not lines[0].startswith(("{", "[")) and any(
            mark in lines[0] for mark in ",;\t"):
        what, suffix = f"a table of values between commas or tabs (its first line: " \
                       f"{lines[0][:60]!r})", ".csv"
    else:
        return
    raise DataError(f"is {what}, not {expected}, though its name ends in {path.suffix}: rename "
                    f"it {path.with_suffix(suffix).name} and load that", file=path,
                    unreadable=True)
