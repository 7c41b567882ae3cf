"""Chinese and Japanese texts, written without spaces between words: a CSV of reviews in
Japanese was read as a table whose text column held categories (each sentence one "word", a
value no other row shares, and a note to drop it as an id), and kind=text made each sentence
one token, <unk> for every new text. Each kana and ideograph is now a token, in training, the
bundle's predict.py and the exported project's data.py alike; a short name (北海道) stays a
category of a table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import layerloom.runtime.export_project as project
from layerloom.graph.export import predict_script
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.preprocessing import preprocessing

GOOD = ["この映画はとても良かったです", "素晴らしい物語と音楽でした", "また見たいと思います"]
BAD = ["この映画はつまらなかったです", "話が長くて退屈でした", "二度と見たくないと思います"]


def reviews(folder: Path) -> Path:
    path = folder / "reviews.csv"
    path.write_text("review,label\n" + "".join(
        f"{(GOOD if i % 2 else BAD)[i % 3]}{i}番,{'pn'[i % 2]}\n" for i in range(60)),
        encoding="utf-8")
    return path


def test_japanese_reviews_are_texts_of_character_tokens(tmp_path):
    ds = load_dataset(reviews(tmp_path))
    assert ds.dtype == "int64" and ds.meta["text_column"] == "review"
    assert {"映", "画", "良", "退", "屈"} <= set(ds.vocab)
    assert 14 <= ds.meta["mean_tokens"] <= 16  # characters, not one token a sentence
    assert not any("id or a name" in note for note in ds.meta.get("notes", []))


def test_predict_and_the_project_make_the_same_token_ids(tmp_path):
    ds = load_dataset(reviews(tmp_path))
    text = "この映画はとても退屈でした"
    prep = preprocessing(ds)
    ids = predict_script.encode_text(text, ds.input_shape, prep)
    index = {word: i for i, word in enumerate(ds.vocab)}
    assert ids[:13].tolist() == [index[c] for c in text]
    assert ids[13:].tolist() == [0] * (ds.input_shape[0] - 13)
    spec = importlib.util.spec_from_file_location(
        "_project_data", Path(project.__file__).parent / "template" / "data.py")
    data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(data)
    assert data.tokenize(text) == list(text)
    assert data.WORD.pattern == predict_script.WORD == prep["token_pattern"]


def test_short_names_in_japanese_stay_categories_of_a_table(tmp_path):
    path = tmp_path / "shops.csv"
    places = ["北海道", "東京都", "大阪府", "福岡県"]
    path.write_text("place,sales,label\n" + "".join(
        f"{places[i % 4]},{i % 7},{'ab'[i % 2]}\n" for i in range(40)), encoding="utf-8")
    ds = load_dataset(path)
    assert ds.meta["features"][:4] == [f"place={p}" for p in sorted(places)]


def test_a_file_of_texts_without_a_header_predicts_every_text(tmp_path):
    """One review a line, no header: the first review was taken for the column's name, and
    only the others were predicted, without a word."""
    ds = load_dataset(reviews(tmp_path))
    prep = preprocessing(ds)
    new = tmp_path / "new.csv"
    new.write_text("この映画はとても退屈でした\n素晴らしい物語と音楽でした\n", encoding="utf-8")
    x = predict_script.read_texts(new, ds.input_shape, prep)
    assert x.tolist() == [predict_script.encode_text(text, ds.input_shape, prep).tolist()
                          for text in ("この映画はとても退屈でした", "素晴らしい物語と音楽でした")]
    new.write_text("review\nこの映画はとても退屈でした\n", encoding="utf-8")  # a header: a name
    assert len(predict_script.read_texts(new, ds.input_shape, prep)) == 1
