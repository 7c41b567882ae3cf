"""A newcomer's own table, as people keep them: numbers beside a comment, missing values
written as a dash, empty columns at the end, money in a comma-separated export. Each is read
as meant and said, and a bundle's predict.py reads a new file of the same kind as training
did (the rows it gives are the training rows' features, normalised alike)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.preprocessing import preprocessing

ROWS = 60
WORDS = "great service slow delivery friendly staff would buy again never late".split()


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def comment(i: int) -> str:
    return " ".join(WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(6))


def predicted_rows(ds, path) -> np.ndarray:
    """The file read by the bundle's predict.py and normalised as it does."""
    prep = preprocessing(ds)
    x = predict_script.read_rows(path, ds.input_shape, prep, [])
    return predict_script.normalize(x, prep["normalization"], "tabular").astype(np.float32)


def same_rows(ds, x: np.ndarray) -> bool:
    """Whether ``x`` holds the dataset's samples (all splits), in any order."""
    every = torch.cat([ds.x_train, ds.x_val, ds.x_test]).numpy()
    ours, theirs = (a[np.lexsort(a.T[::-1])] for a in (every, x))
    return ours.shape == theirs.shape and np.allclose(ours, theirs, atol=1e-5)


# -- a comment beside the numbers ------------------------------------------------------------

def notes_csv(tmp_path, name: str = "notes.csv"):
    rows = [f"{20 + i % 50},{30000 + 97 * i},{comment(i)},{'ab'[i % 3 > 0]}"
            for i in range(ROWS)]
    return write(tmp_path / name, "age,income,comment,label\n" + "\n".join(rows) + "\n")


def test_numbers_beside_a_comment_make_a_table_and_the_comment_is_said_left_out(tmp_path):
    """It was read as a text dataset of the comments, the numbers ignored: a [64] int64 input
    where the user had two columns of numbers."""
    path = notes_csv(tmp_path)
    ds = load_dataset(path)
    assert (ds.dtype, ds.input_shape) == ("float32", (2,))
    assert [c["name"] for c in ds.meta["columns"]] == ["age", "income"]
    assert ds.meta["target"] == "label" and ds.meta["left_out"] == ["comment"]
    assert ds.meta["notes"] == [
        "comment: free text (about 6 words a row), left out: the model learns from the other "
        "columns; to train on the texts instead, load the file with kind=text"]
    texts = load_dataset(path, kind="text")  # the way to the texts, as the note says
    assert texts.dtype == "int64" and texts.meta["text_column"] == "comment"
    assert same_rows(ds, predicted_rows(ds, path))


def test_a_comment_last_leaves_the_column_before_it_the_target(tmp_path):
    rows = [f"{20 + i % 50},{'ab'[i % 3 > 0]},{comment(i)}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "last.csv", "age,label,comment\n" + "\n".join(rows)))
    assert ds.meta["target"] == "label" and ds.classes == ["a", "b"]
    assert ds.input_shape == (1,)


@pytest.mark.parametrize("beside", ["id", "n"])
def test_texts_beside_an_id_or_a_row_number_are_still_texts(tmp_path, beside):
    rows = [f"{i},{comment(i)},{'pn'[i % 2]}" for i in range(ROWS)]
    ds = load_dataset(write(tmp_path / "reviews.csv", f"{beside},review,label\n"
                            + "\n".join(rows)))
    assert ds.dtype == "int64" and ds.meta["text_column"] == "review"
