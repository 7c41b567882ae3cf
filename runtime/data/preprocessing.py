"""How a dataset turns raw inputs into the model's inputs: the one place both the Results page's
"Try it" and the exported bundle's predict.py take their parameters from.

Raw inputs are an image with pixels in [0, 1] (8-bit pixels divided by 255), a table row in the
file's own units, or a text. They become model inputs as the training data did: a table row's
columns encoded (numbers as they are, a category as its one-hot columns, a missing value as NaN),
a text tokenised and looked up in the training vocabulary, and then the normalisation fitted on
the training split applied (``normalize.apply``).
"""

from __future__ import annotations

import numpy as np

from .csvfile import MISSING
from .text import WORD


def input_columns(ds) -> list[dict] | None:
    """A table's columns as a row in the file names them, in the model's order:
    ``[{"name", "kind": "numeric"}]`` or ``{"name", "kind": "categorical", "categories"}``.

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
    ``columns`` and ``missing`` (the cells, lowercased, that count as missing) for tables."""
    prep: dict = {"normalization": ds.normalization}
    if ds.vocab:
        prep.update(vocab=list(ds.vocab), token_pattern=WORD.pattern, lowercase=True)
    columns = input_columns(ds)
    if columns is not None:
        prep.update(columns=columns, missing=sorted(MISSING))
    return prep
