"""Tabular CSV files: numeric columns standardised on the training split, text columns one-hot
with the categories seen in training, one column as the target."""

from __future__ import annotations

import numpy as np

from . import target as targets
from .build import assemble
from .csvfile import Table, is_missing, parse_numbers
from .dataset import Dataset
from .errors import DataError
from .split import SplitSpec, split_indices

NUMERIC_SHARE = 0.9  # a column this numeric with a few stray words is a typo, not categories


def load_tabular(table: Table, spec: SplitSpec, *, target: str | None, task: str,
                 drop: tuple[str, ...], max_categories: int) -> Dataset:
    """A Dataset of ``[F]`` float features from ``table``; ``target`` defaults to the last
    column."""
    target = target or table.header[-1]
    for name in (target, *drop):
        table.column(name)  # raises, naming the columns, for a name the file lacks
    features = [name for name in table.header if name != target and name not in drop]
    if not features:
        raise DataError(f"no feature columns are left besides the target {target!r}",
                        file=table.path)
    goal = targets.from_column(table, target, task)
    split = split_indices(len(table.rows), spec,
                          goal.y if goal.classes is not None else None, where=table.path.name)
    blocks, names, onehot, columns = [], [], [], []
    for name in features:
        values = [value.strip() for value in table.column(name)]
        numbers = _numeric(table, name, values)
        if numbers is not None:
            blocks.append(numbers[:, None])
            names.append(name)
            onehot.append(False)
            columns.append({"name": name, "kind": "numeric"})
            continue
        categories = sorted({values[i] for i in split.train if not is_missing(values[i])})
        if len(categories) > max_categories:
            raise DataError(f"{len(categories)} different values in the training rows, too many "
                            f"to one-hot (max_categories={max_categories}); drop the column with "
                            f"drop=[{name!r}], or load the file with kind='text' if it holds "
                            f"free text", file=table.path, column=name)
        index = {category: i for i, category in enumerate(categories)}
        block = np.zeros((len(values), len(categories)))
        for row, value in enumerate(values):
            if value in index:  # unseen in training or missing: all zeros
                block[row, index[value]] = 1.0
        blocks.append(block)
        names += [f"{name}={category}" for category in categories]
        onehot += [True] * len(categories)
        columns.append({"name": name, "kind": "categorical", "categories": categories})
    x = np.concatenate(blocks, axis=1)
    meta = {"target": target, "columns": columns, "features": names,
            "missing_values": int(np.isnan(x).sum())}
    return assemble(table.path.name, str(table.path), x, goal.y, spec, classes=goal.classes,
                    norm="feature", keep=np.array(onehot), split=split, meta=meta)


def _numeric(table: Table, name: str, values: list[str]) -> np.ndarray | None:
    """The column as floats (NaN where missing), or None when it holds categories."""
    numbers, bad = parse_numbers(values)
    if not bad:
        return numbers
    present = sum(not is_missing(value) for value in values)
    if (present - len(bad)) / present < NUMERIC_SHARE:
        return None
    first = bad[0]
    raise DataError(f"{values[first]!r} is not a number, but nearly all of the column's values "
                    f"are; fix the value, or leave the cell empty to mark it missing",
                    file=table.path, line=table.lines[first], column=name)
