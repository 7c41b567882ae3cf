"""A text-classification CSV of long texts (reviews of 300 words, cut to the option length's
64 tokens) says how many texts are cut and the length that would keep them; rows whose text is
empty are named by line, as rows without a label are."""

from __future__ import annotations

import numpy as np

from layerloom.runtime import load_dataset

WORDS = "the quick brown fox jumps over lazy dog movie great terrible awful fine plot".split()


def reviews(path, words: int, *, empty_every: int = 0):
    rng = np.random.default_rng(0)
    rows = ["review,sentiment"]
    for i in range(60):
        text = "" if empty_every and i % empty_every == 3 else " ".join(rng.choice(WORDS, words))
        rows.append(f'"{text}",{"pos" if i % 2 else "neg"}')
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_long_texts_cut_at_length_say_so_and_the_length_that_keeps_them(tmp_path):
    ds = load_dataset(reviews(tmp_path / "reviews.csv", 300), seed=0)
    assert ds.input_shape == (64,)
    assert ds.meta["notes"] == [
        "60 of the 60 texts are longer than 64 tokens (length): each is cut to its first 64, "
        "the rest of it never seen by the model (the texts average 300 tokens, the longest "
        "300). To keep more of them, load the file with a larger length, such as 300 (nine "
        "texts in ten whole; CLI: --data-option length=300; Data page: the file's options)"]
    kept = load_dataset(tmp_path / "reviews.csv", seed=0, length=300)
    assert kept.input_shape == (300,) and "notes" not in kept.meta


def test_short_texts_are_not_said_to_be_cut(tmp_path):
    ds = load_dataset(reviews(tmp_path / "short.csv", 20), seed=0)
    assert "notes" not in ds.meta


def test_rows_of_empty_text_are_named_by_line(tmp_path):
    ds = load_dataset(reviews(tmp_path / "gaps.csv", 20, empty_every=10), seed=0)
    assert len(ds.x_train) + len(ds.x_val) + len(ds.x_test) == 60  # kept, as before
    assert ds.meta["notes"] == [
        "6 rows with no words in 'review' (lines 5, 15, 25, 35, 45, 55) read as empty texts: "
        "the model learns nothing from them but their labels; fill in the text or remove the "
        "rows"]
