"""A table of 200 columns, some holding one value on every row (a sensor never read, a flag
never set): one note names them all, and the drop that leaves them out, in the app's words and
the command line's. Each had its own note, 19 alike in a row, burying the others."""

from __future__ import annotations

from layerloom.cli.data_words import cli_words
from layerloom.runtime.data import load_dataset
from layerloom.ui.pages.data import page_words

FLAT = [f"f{i}" for i in range(0, 200, 11)]  # 19 columns of zeros


def wide(tmp_path):
    path = tmp_path / "sensors.csv"
    rows = [",".join(str((i * j) % 11) for j in range(200)) + f",{'xy'[i % 2]}"
            for i in range(60)]
    path.write_text(",".join(f"f{j}" for j in range(200)) + ",label\n" + "\n".join(rows) + "\n")
    return path


def test_columns_of_one_value_are_said_in_one_note(tmp_path):
    ds = load_dataset(wide(tmp_path))
    assert ds.input_shape == (200,)
    note = ("19 columns hold the same value on every row (f0, f11, f22, f33, f44, f55, f66, "
            "f77, …): they tell the model nothing; drop them with drop=" + repr(FLAT))
    assert ds.meta["notes"] == [note]
    assert page_words(note).endswith("they tell the model nothing; choose them under **drop**")
    assert cli_words(note).endswith("drop them with --data-option 'drop=[" +
                                    ", ".join(f'"{n}"' for n in FLAT) + "]'")
    assert load_dataset(wide(tmp_path), drop=FLAT).input_shape == (181,)
