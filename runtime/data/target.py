"""What a model predicts: class indices (with class names) or regression targets.

``task="auto"`` picks classification for text labels and for a few distinct whole numbers,
regression otherwise.

>>> encode(np.array(["cat", "dog", "cat"]), "auto", "pets.csv")
Target(y=array([0, 1, 0]), classes=['cat', 'dog'])
>>> encode(np.array([0.5, 1.5, 2.25]), "auto", "prices.csv").classes is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import codes
from .codes import leading_zero
from .table import Table
from .written import NUMBERS_SHARE
from .errors import DataError

TASKS = ("auto", "classification", "regression")
MAX_AUTO_CLASSES = 20  # more distinct whole numbers than this reads as a quantity
# ... said, with how to read them as classes, up to this many (more: a count, a price in cents)
MAX_SAID_CLASSES = 200


@dataclass(frozen=True)
class Target:
    y: np.ndarray  # int64 [N] class indices, or float32 [N, T]
    classes: list[str] | None  # None for regression


def infer_task(labels: np.ndarray) -> str:
    """"classification" or "regression" for an array of labels (numbers or text)."""
    if labels.dtype.kind in "USb":
        return "classification"
    if labels.ndim > 1 and labels.shape[1] > 1:
        return "regression"
    values = labels.ravel()
    distinct = len(np.unique(values))
    whole = bool(np.all(values == np.round(values)))
    few = distinct <= MAX_AUTO_CLASSES and distinct <= max(2, len(values) // 2)
    return "classification" if whole and few else "regression"


def encode(labels: np.ndarray, task: str, where: str, column: str | None = None) -> Target:
    """Class indices with sorted class names, or float32 ``[N, T]`` targets."""
    if task == "auto":
        task = infer_task(labels)
    if task == "regression":
        if labels.dtype.kind not in "biuf":
            raise DataError("regression needs numeric targets", file=where, column=column)
        return Target(labels.astype(np.float32).reshape(len(labels), -1), None)
    if labels.ndim != 1:
        raise DataError(f"class labels must be one per sample, got shape {list(labels.shape)}",
                        file=where, column=column)
    values, y = np.unique(labels, return_inverse=True)
    if len(values) < 2:
        only = f" ({_name(values[0])!r})" if len(values) else ""
        raise DataError(f"only one class{only}; classification needs at least 2: add "
                        f"samples of another class"
                        + (", or choose another column to predict with target=NAME"
                           if column else ""), file=where, column=column)
    return Target(y.astype(np.int64), [_name(v) for v in values])


def labelled(table: Table, column: str) -> tuple[Table, list[str]]:
    """``table`` without the rows whose ``column`` (the target) is blank or ``NA`` (or a dash,
    in a column of numbers), and a note
    naming their lines: a sample without its label cannot be trained on, and is no reason to
    refuse the others. A column blank on every row is an error.

    >>> from pathlib import Path
    >>> t = Table(Path("p.csv"), ["a", "y"], [["1", "x"], ["2", " "], ["3", "NA"]], [2, 3, 5])
    >>> kept, notes = labelled(t, "y")
    >>> kept.rows, kept.lines, notes
    ([['1', 'x']], [2], ["2 rows with no 'y' (lines 3, 5) left out: a sample needs its label"])
    """
    values = table.column(column)
    dashed = not table.numbers(column, dashes=True)[1]  # numbers: a dash among them is none
    gone = np.flatnonzero(table.missing(column, dashes=dashed)).tolist()
    if not gone:
        return table, []
    if len(gone) == len(values):
        raise DataError("is blank on every row; choose the column that holds the labels "
                        "with target=NAME", file=table.path, column=column)
    keep = np.flatnonzero(~np.isin(np.arange(len(values)), gone)).tolist()
    lines = [table.lines[i] for i in gone]
    shown = ", ".join(map(str, lines[:8])) + (" …" if len(lines) > 8 else "")
    n = len(gone)
    note = (f"{n} row{'' if n == 1 else 's'} with no {column!r} (line{'' if n == 1 else 's'} "
            f"{shown}) left out: a sample needs its label")
    return table.taking(keep), [note]


def from_column(table: Table, column: str, task: str, codes: bool = True) -> Target:
    """The target of a CSV column; a missing or (for regression) non-numeric value is an error
    naming its line. Codes (whole numbers written with leading zeros: ``01``, ``007``) are
    class names as written, unless ``task`` is regression or ``codes`` is false (see
    ``codes.py``)."""
    values = [value.strip() for value in table.column(column)]
    missing = np.flatnonzero(table.missing(column))
    if len(missing):
        raise DataError("the target is missing; fill it in or remove the row",
                        file=table.path, line=table.lines[missing[0]], column=column)
    if codes and task != "regression" and leading_zero(table.distinct(column)[1]):
        return encode(np.array(values), task, str(table.path), column)  # codes: 01, 02, 10
    numbers, bad = table.numbers(column)
    if task == "regression" and bad:
        raise DataError(f"{values[bad[0]]!r} is not a number, and regression needs numeric "
                        f"targets", file=table.path, line=table.lines[bad[0]], column=column)
    known = numbers[~np.isnan(numbers)]
    if task == "auto" and bad and len(known) >= NUMBERS_SHARE * len(values) and \
            infer_task(known) == "regression":  # each number a class of its own, else
        raise DataError(f"{values[bad[0]]!r} is not a number, but nearly all of the target's "
                        f"values are (a quantity to predict); fix the value, or leave the "
                        f"cell empty to leave the row out", file=table.path,
                        line=table.lines[bad[0]], column=column)
    labels = numbers if not bad else np.array(values)
    return encode(labels, task, str(table.path), column)


RARE = 3  # a class with fewer rows cannot be in training, validation and test all at once
COMMON = 10  # ... which is said where another class has this many rows
SPLIT_NAMES = ("training", "validation", "test")


def rare_classes_note(y: np.ndarray, classes: list[str], parts: tuple, column: str) -> list[str]:
    """A note naming the classes of the target ``column`` with fewer than three rows, and the
    splits (``parts``: the train, validation and test indices) each one is in: a model cannot
    learn a class seen once, nor be tested on it, and a class of one row leaves the split
    unstratified. Said where another class has ten rows or more (in a file of five rows,
    every class is rare).

    >>> y = np.array([0] * 10 + [1, 2, 2])
    >>> parts = ([*range(7), 10, 11], [7], [8, 9, 12])
    >>> print(rare_classes_note(y, ["a", "b", "c"], parts, "label")[0])
    label: 2 classes with fewer than 3 rows, too few to learn and to test: 'b' (1 row, in training only), 'c' (2 rows, in training and test); add rows of them, or merge them into another class
    """
    counts = np.bincount(np.asarray(y, dtype=np.int64), minlength=len(classes))
    rare = [i for i, count in enumerate(counts) if 0 < count < RARE]
    if not rare or counts.max() < COMMON:  # a handful of rows in all: every class is rare
        return []
    where = {i: [name for name, part in zip(SPLIT_NAMES, parts, strict=True)
                 if np.any(np.asarray(y)[np.asarray(part, dtype=np.int64)] == i)] for i in rare}
    shown = ", ".join(f"{classes[i]!r} ({counts[i]} row{'' if counts[i] == 1 else 's'}, in "
                      f"{' and '.join(where[i])}{' only' if len(where[i]) == 1 else ''})"
                      for i in rare[:6]) + (", …" if len(rare) > 6 else "")
    n = len(rare)
    return [f"{column}: {n} class{'' if n == 1 else 'es'} with fewer than {RARE} rows, too few "
            f"to learn and to test: {shown}; add rows of {'it' if n == 1 else 'them'}, or "
            f"merge {'it' if n == 1 else 'them'} into another class"]


def case_note(name: str, categories: list[str]) -> list[str]:
    """Categories (or classes) that differ only in case or inner spaces, as typed by hand
    ('yes', 'Yes'): each is its own; said, since they likely mean one thing.

    >>> case_note("member", ["No", "Yes", "no", "y e s", "yes"])
    ["member: 'No' and 'no'; 'Yes', 'y e s' and 'yes' differ only in case or spaces, and are \
read as different values; write each alike if they mean the same"]
    """
    alike: dict[str, list[str]] = {}
    for category in categories:
        alike.setdefault("".join(category.casefold().split()), []).append(category)
    groups = [group for group in alike.values() if len(group) > 1]
    if not groups:
        return []
    shown = "; ".join(", ".join(map(repr, g[:-1])) + f" and {g[-1]!r}" for g in groups[:4])
    return [f"{name}: {shown} differ only in case or spaces, and are read as different "
            f"values; write each alike if they mean the same"]


def quantity_note(column: str, y: np.ndarray, task: str) -> list[str]:
    """Where ``task`` was left to choose and the target ``column``'s values ``y`` (``[N, 1]``)
    are whole numbers too many to be read as classes: said, with how to read them as classes
    (a species id, a product code kept as a number).

    >>> print(*quantity_note("id", np.arange(1.0, 91.0)[:, None] % 30 + 1, "auto"))
    id: 30 different whole numbers (1 to 30), read as a quantity to predict (regression); if each is a class, load the file with task=classification
    """
    values = y.ravel()
    if task != "auto" or y.ndim != 2 or y.shape[1] != 1 or not len(values) or \
            not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
        return []
    distinct = len(np.unique(values))
    if distinct > MAX_SAID_CLASSES or distinct * RARE > len(values):  # too few rows a class
        return []
    return [f"{column}: {distinct:,} different whole numbers ({_name(values.min())} to "
            f"{_name(values.max())}), read as a quantity to predict (regression); if each is a "
            f"class, load the file with task=classification"]


def codes_note(table: Table, column: str) -> list[str]:
    """Where the target ``column`` of ``table`` is codes (``01``, ``007``) read as class names
    as written: said, naming the codes a reading as numbers would have merged."""
    distinct = table.distinct(column)[1]
    example = leading_zero(distinct)
    return [codes.target_note(column, distinct, example)] if example else []


def _name(value) -> str:
    """A class name: whole numbers without ``.0``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def target_note(ds, chosen: bool = False) -> str | None:
    """For a dataset read from a table: which column it took as the target and how to choose
    another (the data option ``target``, ``--data-option target=NAME`` on the command line);
    None for other datasets. ``chosen``: the user named the target (then only which it is).

    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(name="lab.csv", meta={"target": "d", "columns": [
    ...     {"name": "label"}, {"name": "a"}]})
    >>> print(target_note(ds))
    lab.csv's target is its column 'd' (the last column, taken when none is chosen); to predict \
another column, set the data option target (--data-option target=label); its other columns: \
label, a.
    """
    meta = getattr(ds, "meta", None) or {}
    target = meta.get("target")
    if not target:
        return None
    others = [c["name"] for c in meta.get("columns", []) if c.get("name") != target]
    if chosen:
        return f"{ds.name}'s target is its column {target!r} (as chosen)."
    example = others[0] if others else "NAME"
    listed = f"; its other columns: {', '.join(others[:12])}{', …' if len(others) > 12 else ''}" \
        if others else ""
    return (f"{ds.name}'s target is its column {target!r} (the last column, taken when none is "
            f"chosen); to predict another column, set the data option target (--data-option "
            f"target={example}){listed}.")
