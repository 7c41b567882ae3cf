"""Datasets for LayerLoom: built-in sets and users' files, split, normalised, as tensors.

>>> ds = load_dataset("iris", seed=0)
>>> ds.input_shape, ds.dtype, ds.classes
((4,), 'float32', ['setosa', 'versicolor', 'virginica'])
>>> check_input(ds, [4], "float32")

Nothing here imports Streamlit or the UI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from layerloom.graph.suggest import did_you_mean

from .augment import AugmentConfig, augment_batch
from .builtin import BUILTINS, load_builtin
from .check import check_input
from .dataset import Dataset
from .errors import DataError
from .files import FILE_KINDS, load_file
from .split import SplitSpec

__all__ = ["AugmentConfig", "DataError", "Dataset", "augment_batch", "check_input",
           "list_datasets", "list_file_kinds", "load_dataset"]


def load_dataset(source: str | Path, seed: int = 0, val_fraction: float = 0.1,
                 test_fraction: float = 0.2, **options: Any) -> Dataset:
    """A built-in dataset by name, a user's file (.csv, .tsv, .xlsx, .parquet, .jsonl, .npz,
    .zip) by path, or a folder of class folders of images (read lazily, see ``folder.py``).

    ``options`` are the dataset's or file kind's own (see :func:`list_datasets` and
    :func:`list_file_kinds`); an unknown option is an error that lists the known ones.
    """
    spec = SplitSpec(seed, val_fraction, test_fraction)
    if isinstance(source, str) and source in BUILTINS:
        return load_builtin(source, spec, options)
    path = Path(source)
    if path.is_dir():  # a folder of class folders, decoded lazily (folder.py)
        from .folder import OPTIONS, load_image_folder
        from .options import resolve

        return load_image_folder(path, spec, **resolve(path.name, OPTIONS, options))
    if path.suffix or path.exists():
        return load_file(path, spec, options)
    hint = did_you_mean(str(source), BUILTINS)
    suffixes = ", ".join(suffix for kind in FILE_KINDS for suffix in kind.suffixes)
    raise DataError(f"no built-in dataset {str(source)!r} and no such file{hint}; the built-ins "
                    f"are {', '.join(BUILTINS)}, and files can be {suffixes}")


def list_datasets() -> list[dict]:
    """Every built-in: name, description, task, input_shape and dtype (with the default
    options), and its options with their defaults."""
    return [builtin.describe() for builtin in BUILTINS.values()]


def list_file_kinds() -> list[dict]:
    """The file types ``load_dataset`` reads: their suffixes, a description and options.
    (A folder of class folders is read too: ``folder.describe_folder_kind()``.)"""
    return [kind.describe() for kind in FILE_KINDS]
