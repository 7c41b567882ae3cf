"""Tabular CSV files: numeric columns standardised on the training split, text columns one-hot
with the categories seen in training, a column of dates as a few numbers (:mod:`.datecols`),
one column as the target.

What the loader does to a value the model cannot take as it is, it says, per column, in
``Dataset.meta["notes"]`` (the Data page shows them beside the preview) and, as numbers, in
``meta["filled"]`` and ``meta["unseen"]``: a missing number becomes the column's mean over the
training rows (its normalised value is then 0); a missing category, and one seen only in the
validation or test rows, becomes none of the known categories (all of its one-hot columns 0).
"""

from __future__ import annotations

import re

import numpy as np

from layerloom.graph.export.predict_script import date_names

from . import codes as coded
from . import target as targets
from .build import assemble
from .table import DASHES, ERRORS, Table, is_missing
from .dataset import Dataset
from .datecols import date_column, date_note
from .errors import DataError
from .split import SplitSpec, split_indices

NUMERIC_SHARE = 0.9  # a column this numeric with a few stray words is a typo, not categories


def load_tabular(table: Table, spec: SplitSpec, *, target: str | None, task: str,
                 drop: tuple[str, ...], max_categories: int,
                 date_order: str | dict[str, str] = "auto",
                 numbers: tuple[str, ...] = ()) -> Dataset:
    """A Dataset of ``[F]`` float features from ``table``; ``target`` defaults to the last
    column. ``date_order`` reads dates written day and month first (``05/03/2024``) where the
    values do not tell: ``"dmy"``, ``"mdy"``, or ``"auto"`` (refused where they do not), for
    every date column, or one a column (``{"ordered": "dmy", "shipped": "mdy"}``, ``"*"`` for
    the columns not named). A column of whole numbers written with leading zeros is codes
    (``02134``: categories; a target's classes named as written) unless ``numbers`` names it."""
    target = target or table.header[-1]
    for name in (target, *drop, *numbers):
        table.column(name)  # raises, naming the columns, for a name the file lacks
    as_numbers = frozenset(numbers)  # (the loop below names each column's numbers 'numbers')
    table, unlabelled = targets.labelled(table, target)
    features = [name for name in table.header if name != target and name not in drop]
    _check_date_columns(table, date_order, features)
    if not features:
        raise _no_features(table, target)
    goal = targets.from_column(table, target, task, codes=target not in as_numbers)
    split = split_indices(len(table), spec,
                          goal.y if goal.classes is not None else None, where=table.path.name)
    blocks, names, onehot, columns = [], [], [], []
    advice: list[str] = []  # columns that are features only in form (an id, a name)
    constant: list[tuple[str, str]] = []  # columns of one value, and the value
    became: list[str] = []  # what each column of dates became
    filled: dict[str, dict] = {}
    unseen: dict[str, dict] = {}
    crowded: list[tuple[str, int]] = []  # text columns of too many values to one-hot
    zeros: list[tuple[str, str]] = []  # columns of codes (02134), each with its first such
    for name in features:
        values = list(map(str.strip, table.values(name)))
        constant += _constant_note(name, table.distinct(name)[1], len(values))
        advice += _error_note(name, *table.distinct(name)[::-1])
        code = None if name in as_numbers else coded.leading_zero(table.distinct(name)[1])
        if code:
            zeros.append((name, code))
        numbers = None if code else _numeric(table, name, values)
        if numbers is not None:
            blocks.append(numbers[:, None])
            names.append(name)
            onehot.append(False)
            columns.append({"name": name, "kind": "numeric",
                            **({"written": table.written[name]} if name in table.written
                               else {})})
            advice += _row_id_note(name, numbers) + _dash_note(name, *table.distinct(name)[::-1])
            gaps = int(np.isnan(numbers).sum())
            if gaps:
                train = numbers[split.train]
                known = train[~np.isnan(train)]
                filled[name] = {"missing": gaps, "lines": _lines(table, np.isnan(numbers)),
                                "value": float(known.mean()) if len(known) else None}
            continue
        if table.dates(name):
            order, given = _date_order(date_order, name)
            block, column, said, how = date_column(table, name, values, split.train, order,
                                                   given)
            blocks.append(block)
            names += date_names(column)
            onehot += [False] * block.shape[1]
            columns.append(column)
            became += [date_note(column, how), *said]
            gaps = int(table.missing(name).sum())
            if gaps:
                filled[name] = {"missing": gaps, "value": None,
                                "lines": _lines(table, table.missing(name))}
            continue
        codes, distinct = table.distinct(name)  # each distinct value looked at once
        missing = np.array([is_missing(value) for value in distinct], dtype=bool)
        trained = np.zeros(len(distinct), dtype=bool)
        trained[codes[split.train]] = True
        categories = sorted(distinct[trained & ~missing])
        gaps = int(missing[codes].sum())
        if gaps:
            filled[name] = {"missing": gaps, "value": None,
                            "lines": _lines(table, missing[codes])}
        rows = np.concatenate([split.val, split.test])
        elsewhere = codes[rows]
        new = ~trained[elsewhere] & ~missing[elsewhere]
        outside = elsewhere[new]
        if len(outside):
            unseen[name] = {"count": len(outside),
                            "values": sorted(distinct[np.unique(outside)]),
                            "lines": [table.lines[i] for i in np.sort(rows[new])[:SHOWN_LINES]]
                            if table.lines else []}
        if len(categories) > max_categories:
            crowded.append((name, len(categories)))  # each said at once, after the others
            continue
        advice += _category_notes(name, values, categories, len(split.train)) + \
            targets.case_note(name, categories)
        index = {category: i for i, category in enumerate(categories)}
        codes = np.array([index.get(value, -1) for value in distinct], np.int64)[codes]
        block = np.zeros((len(values), len(categories)), np.float32)
        known = np.flatnonzero(codes >= 0)  # unseen in training or missing: all zeros
        block[known, codes[known]] = 1.0
        blocks.append(block)
        names += [f"{name}={category}" for category in categories]
        onehot += [True] * len(categories)
        columns.append({"name": name, "kind": "categorical", "categories": categories})
    if crowded:
        raise _crowded(table, crowded, max_categories, dict(zeros))
    x = np.concatenate(blocks, axis=1, dtype=np.float32)  # as the model takes them: half the
    # memory of float64, and no second copy made by assemble()
    blocks.clear()  # each is in x now
    meta = {"target": target, "columns": columns, "features": names,
            "missing_values": int(np.isnan(x).sum()), "left_out": list(drop)}
    if target in table.written:  # for the exported project, which reads the file anew
        meta["target_written"] = table.written[target]
    if goal.classes is not None:
        advice += targets.rare_classes_note(goal.y, goal.classes, split.parts, target) + \
            targets.case_note(target, goal.classes) + \
            (targets.codes_note(table, target) if target not in as_numbers else [])
    else:
        advice += targets.quantity_note(target, goal.y, task)
    if zeros:
        advice.insert(0, coded.feature_note(zeros))
    notes = table.notes + unlabelled + became + \
        value_notes(columns, filled, unseen, len(table)) + constant_notes(constant) + advice
    if notes:  # the lines are the notes' (a file's line numbers are no part of the data)
        meta.update(notes=notes, filled=_without_lines(filled), unseen=_without_lines(unseen))
    return assemble(table.path.name, str(table.path), x, goal.y, spec, classes=goal.classes,
                    norm="feature", keep=np.array(onehot), split=split, meta=meta, owned=True)


def _crowded(table: Table, crowded: list[tuple[str, int]], most: int,
             codes: dict[str, str]) -> DataError:
    """The text columns (``(name, categories)``) of more values than ``max_categories``
    (``most``), named at once with the one drop that leaves them all out; those of ``codes``
    (``{name: a value written with a leading zero}``) said to be read as codes."""
    (name, n), others = crowded[0], crowded[1:]
    fault = f"{n} different values in the training rows, too many to one-hot (more than {most})"
    if name in codes:  # a zip code read as a number before: say why it is categories now
        fault += (f"; they are codes, not numbers: whole numbers written with leading zeros "
                  f"({codes[name]})")
    if not others:
        also = f", or read them as numbers with numbers=[{name!r}]" if name in codes else ""
        return DataError(f"{fault}; drop the column with drop=[{name!r}] (or raise "
                         f"max_categories{also}), or load the file with kind='text' if it "
                         f"holds free text", file=table.path, column=name,
                         remedy={"drop": [name]}, fault=fault)
    shown = [f"{other!r} ({count})" for other, count in others]
    listed = ", ".join(shown[:-1]) + " and " + shown[-1] if len(shown) > 1 else shown[0]
    fault += (f", as has column {listed}" if len(others) == 1 else
              f", as have columns {listed}")
    names = [name] + [other for other, _ in others]
    return DataError(f"{fault}; drop them with drop={names!r} (or raise max_categories), or "
                     f"load the file with kind='text' if one holds free text", file=table.path,
                     column=name, remedy={"drop": names}, fault=fault)


def _date_order(option: str | dict[str, str], name: str) -> tuple[str, str]:
    """The ``date_order`` for column ``name``, and the setting in the user's words."""
    if not isinstance(option, dict):
        return option, f"date_order={option!r}"
    if name in option:
        return option[name], f"date_order for it ({name}:{option[name]})"
    other = option.get("*", "auto")
    return other, f"date_order={other!r}"


def _check_date_columns(table: Table, option: str | dict[str, str],
                        features: list[str]) -> None:
    """Each column ``date_order`` names is a feature column of dates; a name it lacks (a typo,
    a column dropped) is refused, naming the date columns there are."""
    named = [name for name in option if name != "*"] if isinstance(option, dict) else []
    if not named:
        return
    holding = [name for name in features if table.dates(name)]
    for name in named:
        if name not in holding:
            what = ("is not a column of the file" if name not in table.index else
                    "is not a feature (the target, or dropped)" if name not in features else
                    "holds no dates")
            there = ", ".join(map(repr, holding)) or "none"
            raise DataError(f"date_order names {name!r}, which {what}; the columns of dates "
                            f"are {there}", file=table.path, column=name)


_ID_NAME = re.compile(r"(^|[_\s-])id$|^id([_\s-]|$)|^(index|row|row_?number|no)$|"
                      r"(?-i:[a-z]I[dD]$)", re.I)  # customer_id, ID, PassengerId, userID
_UNNAMED = re.compile(r"^(column 1|Unnamed: 0)$")  # a blank first name (csvfile), pandas'
MANY_VALUES = 20  # a text column with this many values, nearly one a row, is an id


def learnable_numbers(table: Table, exclude: set[str]) -> list[str]:
    """The columns of ``table`` besides ``exclude`` that hold numbers a model can learn from:
    nearly all of their values numbers, and neither an id nor a count of the rows (see
    :func:`_row_id_note`). A table with one is a table, whatever text sits beside it.

    >>> from pathlib import Path
    >>> rows = [[str(i), str(i % 7), "x y z w"] for i in range(30)]
    >>> learnable_numbers(Table(Path("t.csv"), ["n", "size", "note"], rows, []), {"note"})
    ['size']
    """
    found = []
    for name in table.header:
        if name in exclude:
            continue
        numbers, bad = table.numbers(name, dashes=True)
        known = numbers[~np.isnan(numbers)]
        if not len(known) or len(known) < NUMERIC_SHARE * (len(known) + len(bad)):
            continue
        if _row_id_note(name, numbers) or _counts_rows(known) or \
                coded.leading_zero(table.distinct(name)[1]):
            continue  # an id, a row number, codes (02134): not a quantity to learn from
        found.append(name)
    return found


def _counts_rows(known: np.ndarray) -> bool:
    """0, 1, 2, … or 1, 2, 3, … in the file's order: a row number, whatever its name."""
    return len(known) >= MANY_VALUES and known[0] in (0, 1) and \
        np.array_equal(known, np.arange(known[0], known[0] + len(known)))


def _row_id_note(name: str, numbers: np.ndarray) -> list[str]:
    """A numeric column named like an id whose values are all different whole numbers, or a
    column without a name that counts the rows (0, 1, 2, … in the file's order: the index
    pandas' ``to_csv`` writes first, its header blank, or ``Unnamed: 0`` once read back)."""
    known = numbers[~np.isnan(numbers)]
    if len(known) < MANY_VALUES or \
            not np.all(known == np.round(known)) or len(np.unique(known)) != len(known):
        return []
    if _UNNAMED.match(name) and len(known) == len(numbers) and known[0] in (0, 1) and \
            np.array_equal(known, np.arange(known[0], known[0] + len(known))):
        return [f"{name}: counts the rows ({int(known[0])}, {int(known[1])}, {int(known[2])}, …; "
                f"an index, as pandas' to_csv writes one): as a feature it only adds noise; "
                f"drop it with drop=[{name!r}]"]
    if not _ID_NAME.search(name.strip()):
        return []
    return [f"{name}: a different whole number on every row, named like an id: as a feature "
            f"it only adds noise; drop it with drop=[{name!r}] unless its value means something"]


def _constant_note(name: str, distinct: np.ndarray, rows: int) -> list[tuple[str, str]]:
    """A column that holds one value on every row (its ``distinct`` values, stripped, of
    ``rows``) gives the model nothing to learn from: ``[(name, value)]``, else ``[]``."""
    if rows < 2 or len(distinct) != 1 or is_missing(distinct[0]):
        return []  # a column blank on every row is said as its missing values are
    return [(name, distinct[0])]


GROUPED = 3  # more columns than this that hold one value each are said in one note


def constant_notes(constant: list[tuple[str, str]]) -> list[str]:
    """The notes on the columns that hold one value on every row: one a column, or one for
    all where there are more than ``GROUPED`` (a file of 200 columns had 19 notes alike,
    burying the others), each column named in the drop it suggests.

    >>> constant_notes([("country", "FR")])
    ["country: the same value on every row ('FR'): it tells the model nothing; drop it with drop=['country']"]
    >>> constant_notes([(f"f{i}", "0") for i in range(4)])
    ["4 columns hold the same value on every row (f0, f1, f2, f3): they tell the model nothing; drop them with drop=['f0', 'f1', 'f2', 'f3']"]
    """
    if len(constant) <= GROUPED:
        return [f"{name}: the same value on every row ({value!r}): it tells the model "
                f"nothing; drop it with drop=[{name!r}]" for name, value in constant]
    names = [name for name, _ in constant]
    shown = ", ".join(names[:8]) + (", …" if len(names) > 8 else "")
    return [f"{len(names)} columns hold the same value on every row ({shown}): they tell the "
            f"model nothing; drop them with drop={names!r}"]


def _dash_note(name: str, distinct: np.ndarray, codes: np.ndarray) -> list[str]:
    """Where a column of numbers (its ``distinct`` values, stripped, and each row's among
    them: ``codes``) marks values missing with a dash: said, as it is read."""
    text = "\n".join(distinct)
    if not any(dash in text for dash in ("-", "\u2013", "\u2014")):
        return []  # no dash anywhere: the look at every value spared
    dashes = sorted(DASHES.intersection(distinct.tolist()))
    if not dashes:
        return []
    n = int(np.isin(distinct[codes], dashes).sum())
    return [f"{name}: {' and '.join(map(repr, dashes))} among the numbers read as a missing "
            f"value ({n} cell{'' if n == 1 else 's'})"]


def _error_note(name: str, distinct: np.ndarray, codes: np.ndarray) -> list[str]:
    """Where a column (its ``distinct`` values, stripped, and each row's among them:
    ``codes``) holds a spreadsheet's error cells (``#N/A``, ``#DIV/0!``: a formula that
    failed): said, as they are read as missing values.

    >>> distinct = np.array(["0.5", "#DIV/0!", "#N/A"], dtype=object)
    >>> _error_note("ratio", distinct, np.array([0, 1, 2, 2]))
    ["ratio: spreadsheet error cells ('#DIV/0!', '#N/A') read as missing values (3 cells)"]
    """
    if "#" not in "\n".join(distinct):  # every error cell starts with '#'
        return []
    errors = np.array([value.startswith("#") and value.lower() in ERRORS
                       for value in distinct.tolist()], dtype=bool)
    if not errors.any():
        return []
    shown = ", ".join(map(repr, sorted(distinct[errors])))
    n = int(errors[codes].sum())
    return [f"{name}: spreadsheet error cells ({shown}) read as missing values "
            f"({n} cell{'' if n == 1 else 's'})"]


def _category_notes(name: str, values: list[str], categories: list[str],
                    train_rows: int) -> list[str]:
    """Advice on a text column read as categories that cannot carry over to new rows: a
    different value on nearly every training row (an id, a name)."""
    if len(categories) >= MANY_VALUES and len(categories) >= 0.9 * train_rows:
        return [f"{name}: {len(categories)} different values in {train_rows} training rows (an "
                f"id or a name?): as one-hot columns they cannot carry over to new rows; drop "
                f"it with drop=[{name!r}] unless its values repeat in the data to come"]
    return []


SHOWN_LINES = 3  # lines of the file a note on missing or unseen values names


def _without_lines(found: dict[str, dict]) -> dict[str, dict]:
    return {name: {k: v for k, v in told.items() if k != "lines"} for name, told in found.items()}


def _lines(table: Table, rows: np.ndarray) -> list[int]:
    """The file's lines of the first rows where ``rows`` (a mask over the table's rows) is
    set, for a note to name; [] where the table keeps no lines."""
    if not table.lines:
        return []
    return [table.lines[i] for i in np.flatnonzero(rows)[:SHOWN_LINES]]


def _at(lines: list[int], n: int) -> str:
    """Where ``n`` values are, by the first of their ``lines``: `` (line 7)``, `` (lines 7
    and 12)``, `` (lines 7, 12, 19 …)``; '' where no line is known.

    >>> _at([7], 1), _at([7, 12], 2), _at([7, 12, 19], 8)
    (' (line 7)', ' (lines 7 and 12)', ' (lines 7, 12, 19 …)')
    """
    if not lines:
        return ""
    if len(lines) == 1:
        return f" (line {lines[0]})" + ("" if n == 1 else " …")
    listed = ", ".join(map(str, lines)) if n > len(lines) else \
        ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"
    return f" (lines {listed}{' …' if n > len(lines) else ''})"


def value_notes(columns: list[dict], filled: dict, unseen: dict,
                rows: int | None = None) -> list[str]:
    """One line per column whose values were filled in or not recognised, in the file's
    column order, with the lines of the first of them: ``1 missing value in income (line 7)
    filled with the training mean (62000)``, ``city: 1 value seen only outside training
    ('Nice', line 31) encoded as none of the known categories``.

    >>> value_notes([{"name": "income", "kind": "numeric"}],
    ...             {"income": {"missing": 2, "value": 61500.0, "lines": [4, 9]}}, {})
    ['2 missing values in income (lines 4 and 9) filled with the training mean (61500)']
    """
    notes = []
    for column in columns:
        name = column["name"]
        gap = filled.get(name)
        if gap:
            n = gap["missing"]
            what = f"{n} missing value{'' if n == 1 else 's'} in {name}" + \
                (_at(gap.get("lines", []), n) if n != rows else "")
            if column["kind"] == "categorical":
                notes.append(f"{what} encoded as none of the known categories (its one-hot "
                             f"columns all 0)")
            elif column["kind"] == "date":
                notes.append(f"{what} filled with the training mean of each of its "
                             f"{len(date_names(column))} columns")
            elif gap["value"] is None and n == rows:  # of ``rows`` in all: a blank column
                notes.append(f"{name}: empty on every row: it tells the model nothing; drop it "
                             f"with drop=[{name!r}]")
            elif gap["value"] is None:
                notes.append(f"{what} filled with 0: no training row has a value")
            else:
                notes.append(f"{what} filled with the training mean ({gap['value']:.6g})")
        other = unseen.get(name)
        if other:
            n, shown = other["count"], other["values"]
            listed = ", ".join(repr(v) for v in shown[:3]) + (" …" if len(shown) > 3 else "")
            where = _at(other.get("lines", []), n).strip()[1:-1]  # line 31
            notes.append(f"{name}: {n} value{'' if n == 1 else 's'} seen only outside training "
                         f"({listed}{'; ' + where if where else ''}) encoded as none of the "
                         f"known categories")
    return notes


def _numeric(table: Table, name: str, values: list[str]) -> np.ndarray | None:
    """The column as floats (NaN where missing, a dash among the numbers too), or None when it
    holds categories."""
    numbers, bad = table.numbers(name, dashes=True)
    if not bad:
        return numbers
    present = int((~np.isnan(numbers)).sum()) + len(bad)  # neither missing nor a dash
    if (present - len(bad)) / present < NUMERIC_SHARE:
        return None
    first = bad[0]
    raise DataError(f"{values[first]!r} is not a number, but nearly all of the column's values "
                    f"are; fix the value, or leave the cell empty to mark it missing",
                    file=table.path, line=table.lines[first], column=name)


def _no_features(table: Table, target: str) -> DataError:
    """A table with nothing to learn ``target`` from: one column (a time series of one
    value a row, such as a sensor's readings), or every other column left out."""
    others = [name for name in table.header if name != target]
    if not others:
        return DataError(
            f"it has one column, {target!r}, the one to predict, and no columns to predict it "
            f"from: add them. For a series of values in time, its earlier values are such "
            f"columns: write each row's previous values beside it (with pandas: "
            f"df[f'{target} {{k}} before'] = df[{target!r}].shift(k) for k in 1 to 10, then "
            f"df.dropna()) and load that file", file=table.path)
    shown = ", ".join(repr(name) for name in others[:8]) + (" …" if len(others) > 8 else "")
    return DataError(
        f"no feature columns are left besides the target {target!r}: the others ({shown}) are "
        f"left out, by the option drop or as empty on every row; keep one to learn from",
        file=table.path)
