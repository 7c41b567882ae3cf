"""How a dataset turns raw inputs into the model's inputs: the one place both the Results page's
"Try it" and the exported bundle's predict.py take their parameters from.

Raw inputs are an image with pixels in [0, 1] (8-bit pixels divided by 255), a table row in the
file's own units, or a text. They become model inputs as the training data did: a table row's
columns encoded (numbers as they are, a category as its one-hot columns, a missing value as NaN),
a text tokenised and looked up in the training vocabulary, and then the normalisation fitted on
the training split applied (``normalize.apply``).
"""

from __future__ import annotations

import math

import numpy as np

from layerloom.graph.export.predict_script import (date_features, date_names, date_problem,
                                                  read_date)

from .table import DASHES, MISSING, is_missing
from .written import as_written
from .errors import DataError
from .sniff import refuse_misnamed
from .text import WORD


def input_columns(ds) -> list[dict] | None:
    """A table's columns as a row in the file names them, in the model's order:
    ``[{"name", "kind": "numeric"}]``, ``{"name", "kind": "categorical", "categories"}`` or
    ``{"name", "kind": "date", "order", "origin", "time"}`` (:mod:`.datecols`).

    A CSV file's loader records them; a built-in table (iris) has one numeric column per
    feature name. None for data that are not a table of named features."""
    columns = ds.meta.get("columns")
    if isinstance(columns, list) and columns:
        return [dict(c) for c in columns]
    names = ds.meta.get("features")
    size = int(np.prod(ds.input_shape))
    if (len(ds.input_shape) == 1 and ds.dtype == "float32" and isinstance(names, list)
            and len(names) == size):
        return [{"name": str(n), "kind": "numeric"} for n in names]
    return None


def preprocessing(ds) -> dict:
    """The parameters that turn raw inputs into ``ds``'s model inputs, JSON-ready:
    ``normalization`` (fitted on the training split, or None), ``vocab`` and ``token_pattern``
    (the tokeniser's regular expression, applied to the lowercased text) for texts,
    ``columns`` and ``missing`` (the cells, lowercased, that count as missing) for tables,
    ``digit`` (:func:`digit_frame`) for digits made as MNIST's were, ``resize`` ("crop") for
    pictures cut to their centre (:func:`picture_resize`)."""
    prep: dict = {"normalization": ds.normalization}
    frame = digit_frame(ds)
    if frame is not None:  # a drawn or photographed digit is prepared as the samples were
        prep["digit"] = frame
    if ds.vocab:
        prep.update(vocab=list(ds.vocab), token_pattern=WORD.pattern, lowercase=True)
    columns = input_columns(ds)
    if columns is not None:
        prep.update(columns=columns, missing=sorted(MISSING))
    if ds.meta.get("sheet"):  # a workbook's sheet other than its first
        prep["sheet"] = ds.meta["sheet"]
    if picture_resize(ds):  # a new picture is cut to its centre, as the folder's were
        prep["resize"] = picture_resize(ds)
    return prep


def picture_resize(ds) -> str | None:
    """"crop" where ``ds``'s pictures were brought to its size by cutting out their centre (a
    folder of pictures of several sizes, its default), for a new picture to be brought so too
    (predict.py's ``fitted``); None where they were stretched."""
    options = ds.meta.get("options")
    return "crop" if isinstance(options, dict) and options.get("resize") == "crop" else None


def width_words(columns: list[dict]) -> str:
    """Where a table's width is not its count of columns, what makes it so: ``its 5 columns,
    region as 4 one-hot columns, one per category, signup as 5 columns of its date (days since
    2021-01-04, month and weekday as sine and cosine)``; empty otherwise.

    >>> width_words([{"name": "d", "kind": "date", "origin": "2024-01-04", "time": True},
    ...              {"name": "x", "kind": "numeric"}])
    'its 2 columns, d as 7 columns of its date (days since 2024-01-04, month, weekday and hour as sine and cosine)'
    """
    if not all(isinstance(c, dict) for c in columns):
        return ""
    hot = [c for c in columns if c.get("kind") == "categorical"
           and len(c.get("categories") or ()) != 1]
    dated = [c for c in columns if c.get("kind") == "date"]
    if not hot and not dated:
        return ""
    parts = []
    if hot:
        named = ", ".join(f"{c['name']} as {len(c['categories'])} one-hot columns"
                          for c in hot[:3])
        more = f" and {len(hot) - 3} more" if len(hot) > 3 else ""
        parts.append(f"{named}{more}, one per category")
    for column in dated:
        cycles = "month, weekday and hour" if column.get("time") else "month and weekday"
        parts.append(f"{column['name']} as {len(date_names(column))} columns of its date (days "
                     f"since {column['origin']}, {cycles} as sine and cosine)")
    return f"its {len(columns)} columns, {', '.join(parts)}"


def row_names(ds) -> list[str]:
    """The names of a table's columns as the model sees them (one-hot columns included)."""
    names = ds.meta.get("features") or ds.meta.get("columns")
    size = int(np.prod(ds.input_shape))
    if isinstance(names, list) and len(names) == size:
        return [str(n) for n in names]
    return [f"x{i}" for i in range(size)]


def encode_row(values: dict, ds, notes: list | None = None) -> np.ndarray:
    """One table row in the file's own terms (``{"age": "41", "city": "Oslo"}``) as the
    model's features: numbers as they are, a category as its one-hot columns (all zeros for a
    category unseen in training, said in ``notes``), a date as the features training made of
    it (read in the training file's day/month order, or year first), a missing number or date
    as NaN (the mean, after normalising)."""
    columns = input_columns(ds) or [{"name": n, "kind": "numeric"} for n in row_names(ds)]
    missing = [c["name"] for c in columns if c["name"] not in values]
    if missing:
        names = [c["name"] for c in columns]
        shown = ", ".join(names if len(names) <= 12 else names[:10] + ["…", names[-1]])
        raise DataError(f"the row has no column {missing[0]!r}; the model reads "
                         f"{shown}{f' ({len(names)} columns)' if len(names) > 12 else ''}")
    out: list[float] = []
    for column in columns:
        value = values[column["name"]]
        text_value = "" if value is None else str(value).strip()
        if column["kind"] == "categorical":
            categories = column["categories"]
            if notes is not None and text_value not in categories and not is_missing(text_value):
                seen = ", ".join(map(str, categories[:8])) + (", …" if len(categories) > 8 else "")
                notes.append(f"column {column['name']!r}: {text_value!r} was not seen in "
                             f"training (it saw {seen}), so it is read as none of them")
            out += [1.0 if text_value == c else 0.0 for c in categories]
            continue
        if column["kind"] == "date":
            if is_missing(text_value):
                out += [float("nan")] * len(date_names(column))
                continue
            try:
                out += date_features(read_date(text_value, column.get("order"),
                                                column.get("utc")), column)
            except ValueError:
                raise DataError(date_problem(text_value, column),
                                column=column["name"]) from None
            continue
        # text as the training file wrote it ($1,250.50, 3,5; a dash for none); a number
        # (an edited row's) as it is
        form = column.get("written") if isinstance(value, str) else None
        try:
            out.append(float("nan") if is_missing(text_value) or text_value in DASHES
                       else float(as_written(text_value, form) if form else text_value))
        except ValueError:
            raise DataError(f"holds numbers, got {text_value!r}",  # the column said once
                            column=column["name"]) from None
    return np.asarray(out, dtype=np.float32)


def date_text(days: float, column: dict) -> str | None:
    """A date column's first feature, its days since the earliest training date, as the date
    it was made of, year first (as every reader reads it): ``2024-03-05``, ``2024-03-05 14:30``
    for dates with times (to the minute: float32 keeps no more), ending in Z where training
    read the column's times in UTC (``2024-03-05 14:24Z``); None for a missing one.

    >>> date_text(61.6, {"name": "d", "kind": "date", "origin": "2024-01-04", "time": True})
    '2024-03-05 14:24'
    """
    import datetime as dt

    if not math.isfinite(days):
        return None
    when = dt.datetime.fromisoformat(column["origin"]) + dt.timedelta(days=days)
    zone = "Z" if column.get("utc") else ""  # read in UTC: said so, as every reader needs
    if column.get("time"):
        return (when + dt.timedelta(seconds=30)).strftime("%Y-%m-%d %H:%M") + zone
    return (when + dt.timedelta(hours=12)).date().isoformat() + zone


TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".data", ".dat", ".xlsx", ".parquet", ".jsonl",
                  ".ndjson")  # the tables a new row comes in: those a dataset is read from


def table_rows(name: str, raw: bytes, columns: list[dict] | None = None,
               notes: list | None = None, sheet: str | None = None) -> list[dict]:
    """The rows of an uploaded table file's bytes, each ``{column: text}``, read as the
    exported bundle's predict.py reads a file (its own code: the separator, the encoding and
    Excel's ``sep=`` line found as in training; a workbook's ``sheet``, else its first, Parquet
    and JSON lines as their records), for :func:`encode_row`. With the model's ``columns``
    (:func:`input_columns`), a numeric column's cells are numbers, read as predict.py reads
    them: as this file writes them (its decimal mark), said in ``notes`` where the training
    file wrote them otherwise. A file that cannot be read is a DataError naming ``name`` and,
    where one is at fault, its line and column."""
    from pathlib import Path

    from layerloom.graph.export.predict_script import (decode_text, text_lined, written_dates,
                                                      written_numbers)
    from layerloom.graph.export.predict_script import table_rows as as_trained

    suffix = Path(name).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(f"files of type {suffix or '(none)'!r} are not read as a table row; "
                        f"use {', '.join(TABLE_SUFFIXES)}", file=name)
    try:
        if suffix in (".xlsx", ".parquet", ".jsonl", ".ndjson"):  # read from a file
            header, rows, lines, commas = _file_lined(name, raw, sheet)
        else:
            refuse_misnamed(Path(name), raw, "text")  # a Parquet file named row.csv
            header, rows, lines, commas = text_lined(Path(name), decode_text(raw))
            rows, lines = as_trained(header, rows, lines)  # the header again left out, as
            # in training (read_lined does it for the others)
        numbers, said = written_numbers(name, header, rows, lines, columns or [], commas,
                                        MISSING)
        written_dates(name, header, rows, lines, columns or [], MISSING)  # each read, or
        # refused naming its line; encode_row makes the same features of the same text
    except SystemExit as exc:  # predict.py's way of saying a file cannot be read
        raise DataError(str(exc).removeprefix("error: ")) from None
    if not rows:
        raise DataError(f"{name} has a header but no row")
    if notes is not None and suffix not in _KINDS:  # a workbook's, Parquet's or JSON's numbers
        notes += said  # are numbers, not written with one decimal mark or another
    return [{**dict(zip(header, (cell.strip() for cell in row))),
             **{column: float(values[i]) for column, values in numbers.items()}}
            for i, row in enumerate(rows)]


def _file_lined(name: str, raw: bytes, sheet: str | None) -> tuple:
    """A workbook's, Parquet or JSON lines file's header, rows, lines and commas, as
    predict.py's ``read_lined`` reads them from a file: ``raw`` written to one named ``name``
    in a folder of its own, which its errors call ``name``."""
    import tempfile
    from pathlib import Path

    from layerloom.graph.export.predict_script import read_lined

    with tempfile.TemporaryDirectory(prefix="layerloom-row-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(raw)
        try:
            return read_lined(path, sheet)
        except SystemExit as exc:
            raise SystemExit(str(exc).replace(str(path), name)) from None
        except (OSError, ValueError, KeyError) as exc:  # a workbook that is no zip, …
            raise SystemExit(f"{name}: cannot be read as "
                             f"{_KINDS[path.suffix.lower()]} ({exc})") from None


_KINDS = {".xlsx": "an Excel workbook (.xlsx)", ".parquet": "a Parquet file",
          ".jsonl": "JSON lines", ".ndjson": "JSON lines"}


# -- digits, as MNIST's were made --------------------------------------------------------------

DIGIT_DATASETS = ("mnist-5k",)  # built-in sets whose digits were made as MNIST's (see below)


def digit_frame(ds) -> dict | None:
    """``{"size": 28, "box": 20}`` when ``ds`` holds digits made as MNIST's were (a 28×28 frame,
    the digit scaled into a 20×20 box and centred by its centre of mass, light on dark): a
    drawn or photographed digit must be prepared the same way (:func:`prepare_digit`) before the
    model sees it. None for other data. A dataset's ``meta["digits"]`` (True) marks a file of
    such digits too."""
    if tuple(ds.input_shape) != (1, 28, 28):
        return None
    if ds.name in DIGIT_DATASETS or ds.source in DIGIT_DATASETS or ds.meta.get("digits"):
        return {"size": 28, "box": 20}
    return None


def prepare_digit(gray, size: int = 28, box: int = 20) -> np.ndarray:
    """A picture of one digit — 2-D, values in [0, 1], any size, dark on light paper or light
    on dark — as MNIST's digits were made: light strokes on black (inverted when the picture's
    border, the paper, is light), cropped to the strokes' bounding box, scaled to fit a
    ``box``×``box`` square keeping the aspect ratio (anti-aliased), and placed in a
    ``size``×``size`` frame with its centre of mass at the frame's centre. ``[size, size]``
    float32 in [0, 1]; all zeros when there are no strokes.

    The code is the exported bundle's own (``predict.py``, from
    ``layerloom.graph.export.predict_script``): the app and the bundle prepare a digit with
    one and the same function."""
    from layerloom.graph.export.predict_script import prepare_digit as shipped

    return shipped(gray, size, box)


def centre_of_mass(image) -> tuple[float, float]:
    """``(row, column)`` of a 2-D image's centre of mass (pixel indices)."""
    img = np.asarray(image, dtype=np.float64)
    mass = img.sum()
    if mass <= 0:
        raise ValueError("the image is empty: it has no centre of mass")
    ys, xs = np.indices(img.shape)
    return float((ys * img).sum() / mass), float((xs * img).sum() / mass)
