"""Users' files: CSV tables, CSV texts, NPZ arrays and zips of image folders, good and bad."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from layerloom.runtime.data import DataError, list_file_kinds, load_dataset
from layerloom.runtime.data import csvfile, images


def write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def people_csv(tmp_path, rows=40):
    """age (numeric), city (categorical), income (numeric), label (text classes)."""
    rng = np.random.default_rng(0)
    lines = ["age,city,income,label"]
    for i in range(rows):
        city = ["paris", "oslo", "rome"][i % 3]
        lines.append(f"{20 + i},{city},{rng.normal(50, 10):.2f},{'yes' if i % 2 else 'no'}")
    return write(tmp_path / "people.csv", "\n".join(lines) + "\n")


def png(size=(6, 5), color="L", value=128, kind="PNG"):
    buffer = io.BytesIO()
    Image.new(color, size, value if color == "L" else (value, 0, 255 - value)).save(buffer, kind)
    return buffer.getvalue()


def make_zip(path, entries):
    """``entries``: name -> bytes (None for a folder entry)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            if data is None:
                archive.writestr(zipfile.ZipInfo(name), b"")
            else:
                archive.writestr(name, data)
    return path


def pet_entries(prefix="", per_class=5, **kwargs):
    return {f"{prefix}{cls}/{i}.png": png(value=40 * i + (100 if cls == "dog" else 0), **kwargs)
            for cls in ("cat", "dog") for i in range(per_class)}


def test_the_file_kinds_are_listed_with_their_options():
    kinds = {suffix: kind for kind in list_file_kinds() for suffix in kind["suffixes"]}
    assert set(kinds) == {".csv", ".tsv", ".txt", ".data", ".dat", ".xlsx", ".parquet",
                          ".jsonl", ".ndjson", ".npz", ".zip"}
    assert "target" in {option["name"] for option in kinds[".csv"]["options"]}
    assert kinds[".parquet"]["options"] == kinds[".jsonl"]["options"] == kinds[".csv"]["options"]


# -- tabular CSV -----------------------------------------------------------------------------

def test_a_csv_with_a_categorical_column_is_standardised_and_one_hot(tmp_path):
    ds = load_dataset(people_csv(tmp_path), seed=0)
    assert ds.task == "classification" and ds.classes == ["no", "yes"]
    assert ds.input_shape == (5,) and ds.dtype == "float32"
    assert ds.meta["features"] == ["age", "city=oslo", "city=paris", "city=rome", "income"]
    assert ds.source.endswith("people.csv") and ds.name == "people.csv"
    numeric = ds.x_train[:, [0, 4]]
    assert torch.allclose(numeric.mean(0), torch.zeros(2), atol=1e-5)
    onehot = ds.x_train[:, 1:4]
    assert set(onehot.unique().tolist()) == {0.0, 1.0} and torch.all(onehot.sum(1) == 1)
    assert ds.normalization["mean"][1:4] == [0.0, 0.0, 0.0]


def test_csv_statistics_and_categories_come_from_the_training_rows_only(tmp_path):
    """Target = row number (regression targets are kept raw), so the training rows are known."""
    lines = ["value,colour,row"]
    lines += [f"{i * i},{'red' if i < 30 else f'rare{i}'},{i}" for i in range(40)]
    path = write(tmp_path / "rows.csv", "\n".join(lines))
    ds = load_dataset(path, seed=0, task="regression")
    train_rows = ds.y_train[:, 0].long().numpy()
    values = np.arange(40.0) ** 2
    assert ds.normalization["mean"][0] == pytest.approx(values[train_rows].mean())
    assert ds.normalization["std"][0] == pytest.approx(values[train_rows].std())
    seen = {"red"} | {f"rare{i}" for i in train_rows if i >= 30}
    categories = ds.meta["columns"][1]["categories"]
    assert set(categories) == seen
    held_out = torch.cat([ds.y_val, ds.y_test])[:, 0].long().numpy()
    x_held_out = torch.cat([ds.x_val, ds.x_test])
    unseen = [k for k, i in enumerate(held_out) if i >= 30]
    assert unseen and torch.all(x_held_out[unseen, 1:] == 0)  # unseen category: all zeros


def test_a_regression_csv_keeps_float_targets(tmp_path):
    rng = np.random.default_rng(1)
    lines = ["x1,x2,price"] + [f"{a:.3f},{b:.3f},{3 * a - b + 0.5:.4f}"
                               for a, b in rng.normal(size=(30, 2))]
    ds = load_dataset(write(tmp_path / "prices.csv", "\n".join(lines)), seed=0)
    assert ds.task == "regression" and ds.classes is None and ds.target_dim == 1
    assert ds.y_train.dtype == torch.float32 and ds.y_train.shape == (len(ds.x_train), 1)
    assert ds.class_counts() == {"train": {}, "val": {}, "test": {}}
    assert "class_counts" not in ds.describe()["splits"]["train"]


def test_csv_options_pick_the_target_drop_columns_and_force_the_task(tmp_path):
    lines = ["id,grade,score,name"] + [f"{i},{i % 3},{i * 0.5},n{i}" for i in range(30)]
    path = write(tmp_path / "grades.csv", "\n".join(lines))
    ds = load_dataset(path, target="grade", drop=["id", "name"], seed=0)
    assert ds.classes == ["0", "1", "2"] and ds.meta["features"] == ["score"]
    ds = load_dataset(path, target="grade", drop="name", task="regression", seed=0)
    assert ds.task == "regression" and ds.input_shape == (2,)


def test_missing_numbers_become_the_training_mean(tmp_path):
    lines = ["a,b,y"] + [f"{'' if i == 3 else i},{i % 4},{i % 2}" for i in range(20)]
    ds = load_dataset(write(tmp_path / "gaps.csv", "\n".join(lines)), seed=0, val_fraction=0,
                      test_fraction=0)
    assert ds.meta["missing_values"] == 1
    assert torch.isfinite(ds.x_train).all()


def test_a_semicolon_csv_and_a_tsv_are_read(tmp_path):
    rows = [f"{i};{i % 2}" for i in range(20)]
    ds = load_dataset(write(tmp_path / "semi.csv", "a;y\n" + "\n".join(rows)), seed=0)
    assert ds.input_shape == (1,) and ds.classes == ["0", "1"]
    tsv = write(tmp_path / "t.tsv", "a\tb\ty\n" + "\n".join(f"{i}\t{i}\t{i % 2}" for i in range(20)))
    assert load_dataset(tsv, seed=0).input_shape == (2,)


# -- text CSV --------------------------------------------------------------------------------

def reviews_csv(tmp_path, rows=40):
    lines = ["review,stars"]
    for i in range(rows):
        mood = "great lovely fun" if i % 2 else "dull awful boring"
        lines.append(f'"This film was {mood}, really; word{i}!",{"good" if i % 2 else "bad"}')
    return write(tmp_path / "reviews.csv", "\n".join(lines))


def test_a_text_csv_is_detected_tokenised_and_padded(tmp_path):
    ds = load_dataset(reviews_csv(tmp_path), seed=0, length=10)
    assert ds.dtype == "int64" and ds.input_shape == (10,) and ds.classes == ["bad", "good"]
    assert ds.vocab[:2] == ["<pad>", "<unk>"] and ds.normalization is None
    assert ds.meta["text_column"] == "review" and ds.meta["label_column"] == "stars"
    first = [ds.vocab[i] for i in ds.x_train[0].tolist()]
    assert first[:3] == ["this", "film", "was"] and first[-2:] == ["<pad>", "<pad>"]


def test_the_vocabulary_is_built_from_the_training_texts_only(tmp_path):
    ds = load_dataset(reviews_csv(tmp_path), seed=0, kind="text", text_column="review",
                      label_column="stars")
    unique = {word for word in ds.vocab if word.startswith("word")}
    assert len(unique) == len(ds.x_train)  # one unique word per training row
    position = 7  # "this film was x y z really wordN"
    assert torch.all(ds.x_test[:, position] == 1)  # test rows' own words are <unk>
    assert torch.all(ds.x_train[:, position] > 1)


def test_max_vocab_and_length_cut(tmp_path):
    ds = load_dataset(reviews_csv(tmp_path), seed=0, max_vocab=5, length=3)
    assert len(ds.vocab) == 5 and ds.input_shape == (3,)
    assert ds.meta["truncated"] == 40


# -- NPZ -------------------------------------------------------------------------------------

def test_an_npz_of_images_is_standardised_per_channel(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 5, (60, 3, 4, 4)).astype(np.float32)
    x[:, 2] += 10
    path = tmp_path / "cubes.npz"
    np.savez(path, x=x, y=np.arange(60) % 3, classes=np.array(["a", "b", "c"]))
    ds = load_dataset(path, seed=0)
    assert ds.input_shape == (3, 4, 4) and ds.classes == ["a", "b", "c"]
    assert ds.normalization["kind"] == "channel" and len(ds.normalization["mean"]) == 3
    assert torch.allclose(ds.x_train.mean((0, 2, 3)), torch.zeros(3), atol=1e-5)


def test_npz_statistics_come_from_the_training_rows_only(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(3, 2, (50, 4))
    path = tmp_path / "rows.npz"
    np.savez_compressed(path, x=x, y=np.arange(50.0))  # regression target = row number
    ds = load_dataset(path, seed=7)
    assert ds.task == "regression" and ds.target_dim == 1
    train = ds.y_train[:, 0].long().numpy()
    assert np.allclose(ds.normalization["mean"], x[train].mean(0))
    assert np.allclose(ds.normalization["std"], x[train].std(0))
    ids = np.concatenate([ds.y_train[:, 0], ds.y_val[:, 0], ds.y_test[:, 0]]).astype(int)
    assert sorted(ids.tolist()) == list(range(50))  # disjoint and complete


def test_an_npz_of_token_ids_stays_int64(tmp_path):
    path = tmp_path / "tokens.npz"
    np.savez(path, x=np.arange(200).reshape(20, 10) % 7, y=np.array(["a", "b"] * 10))
    ds = load_dataset(path, seed=0, dtype="int64")
    assert ds.dtype == "int64" and ds.x_train.dtype == torch.int64 and ds.normalization is None


def test_an_npz_with_several_targets_is_regression(tmp_path):
    path = tmp_path / "multi.npz"
    np.savez(path, x=np.random.default_rng(0).normal(size=(30, 5)),
             y=np.random.default_rng(1).normal(size=(30, 3)))
    ds = load_dataset(path, seed=0)
    assert ds.target_dim == 3 and ds.y_test.shape == (len(ds.x_test), 3)


# -- zips of image folders -------------------------------------------------------------------

def test_a_zip_of_png_folders_keeps_a_shared_size(tmp_path):
    ds = load_dataset(make_zip(tmp_path / "pets.zip", pet_entries()), seed=0, val_fraction=0.2)
    assert ds.classes == ["cat", "dog"] and ds.input_shape == (1, 5, 6)
    assert ds.meta["color"] == "grayscale"
    assert sum(ds.class_counts()["train"].values()) == len(ds.x_train)
    preview, _ = ds.preview(10)
    assert float(preview.min()) >= -1e-5 and float(preview.max()) <= 1 + 1e-5


def test_a_zip_resizes_mixed_sizes_to_28_and_reads_colour(tmp_path):
    entries = pet_entries("pets/", color="RGB")
    entries["pets/cat/big.png"] = png((40, 30), "RGB")
    entries["pets/dog/photo.JPG"] = png((20, 20), "RGB", kind="JPEG")
    entries["__MACOSX/pets/cat/._big.png"] = b"junk"
    entries["pets/dog/.DS_Store"] = b"junk"
    ds = load_dataset(make_zip(tmp_path / "pets.zip", entries), seed=0)
    assert ds.input_shape == (3, 28, 28) and ds.meta["color"] == "rgb"
    assert ds.class_counts()["train"]["dog"] + ds.class_counts()["test"]["dog"] \
        + ds.class_counts()["val"]["dog"] == 6
    assert len(ds.normalization["mean"]) == 3
    small = load_dataset(tmp_path / "pets.zip", seed=0, image_size=(8, 12), color="grayscale")
    assert small.input_shape == (1, 8, 12)


# -- bad files -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "message"), [
    ("", r"empty\.csv: the file is empty"),
    ("a,b,y\n", r"empty\.csv: the file has a header but no data rows"),
    ("a,b,y\n1,2,0\n3,4,1\n\n5,6,7,0\n", r"empty\.csv, line 5: 4 values, but the header has 3"),
    ("a,a,y\n1,2,0\n", r"empty\.csv, line 1: column 'a' appears twice"),
    ('a,y\n1,0\n"2,1\n', r"empty\.csv, line \d: not valid CSV"),
])
def test_malformed_csv_files_name_the_line(tmp_path, text, message):
    with pytest.raises(DataError, match=message):
        load_dataset(write(tmp_path / "empty.csv", text))


def test_a_stray_word_in_a_numeric_column_names_line_and_column(tmp_path):
    lines = ["age,y"] + [f"{20 + i},{i % 2}" for i in range(12)]
    lines[6] = "abc,1"
    with pytest.raises(DataError, match=r"data\.csv, line 7, column 'age': 'abc' is not a number"):
        load_dataset(write(tmp_path / "data.csv", "\n".join(lines)))


def test_target_problems_name_the_file_line_and_column(tmp_path):
    rows = [f"{i},{i % 2}" for i in range(12)]
    path = write(tmp_path / "data.csv", "a,y\n" + "\n".join(rows))
    with pytest.raises(DataError, match=r"data\.csv: no column 'label'; the columns are 'a', 'y'"):
        load_dataset(path, target="label")
    with pytest.raises(DataError, match=r"data\.csv: no column 'zip'"):
        load_dataset(path, drop=["zip"])
    rows[3] = "3,"  # a row without its label is left out, its line named
    ds = load_dataset(write(tmp_path / "data.csv", "a,y\n" + "\n".join(rows)))
    assert ds.meta["notes"] == ["1 row with no 'y' (line 5) left out: a sample needs its label"]
    assert sum(part["size"] for part in ds.describe()["splits"].values()) == 11
    rows[3] = "3,lots"
    path = write(tmp_path / "data.csv", "a,y\n" + "\n".join(rows))
    with pytest.raises(DataError, match=r"data\.csv, line 5, column 'y': 'lots' is not a number"):
        load_dataset(path, task="regression")
    one = write(tmp_path / "one.csv", "a,y\n" + "\n".join(f"{i},same" for i in range(9)))
    with pytest.raises(DataError, match=r"one\.csv, column 'y': only one class \('same'\)"):
        load_dataset(one)


def test_too_many_categories_suggest_dropping_the_column(tmp_path):
    rows = [f"{i},n{i},{i % 2}" for i in range(80)]
    path = write(tmp_path / "names.csv", "a,name,y\n" + "\n".join(rows))
    with pytest.raises(DataError, match=r"names\.csv, column 'name': 56 different values .* "
                                        r"drop=\['name'\]"):
        load_dataset(path, seed=0)
    assert load_dataset(path, drop=["name"]).input_shape == (1,)




def test_a_csv_over_the_size_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(csvfile, "MAX_CSV_BYTES", 100)
    with pytest.raises(DataError, match=r"people\.csv: the file is .* capped at"):
        load_dataset(people_csv(tmp_path))


def test_too_few_rows_to_split_is_explained(tmp_path):
    path = write(tmp_path / "tiny.csv", "a,y\n1,0\n2,1\n")
    with pytest.raises(DataError, match=r"tiny\.csv: 2 samples are too few"):
        load_dataset(path)


def test_unknown_files_and_options_are_refused(tmp_path):
    with pytest.raises(DataError, match=r"gone\.csv: no such file"):
        load_dataset(tmp_path / "gone.csv")
    with pytest.raises(DataError, match=r"notes\.txt, line 1: reads as plain text, not a table"):
        load_dataset(write(tmp_path / "notes.txt", "hello"))
    with pytest.raises(DataError, match=r"notes\.md: files of type '\.md' cannot be loaded"):
        load_dataset(write(tmp_path / "notes.md", "hello"))
    with pytest.raises(DataError, match=r"people\.csv has no option 'colour'"):
        load_dataset(people_csv(tmp_path), colour="rgb")
    with pytest.raises(DataError, match=r"people\.csv: option 'kind' must be one of"):
        load_dataset(people_csv(tmp_path), kind="image")


def test_a_text_csv_without_a_text_column_says_which_option_to_set(tmp_path):
    with pytest.raises(DataError, match=r"people\.csv: cannot tell which column holds the texts"):
        load_dataset(people_csv(tmp_path), kind="text")


@pytest.mark.parametrize(("arrays", "message"), [
    ({"x": np.zeros((4, 2))}, r"bad\.npz: no array 'y' \(it holds x\)"),
    ({"x": np.zeros((4, 2)), "y": np.zeros(5)}, r"bad\.npz: x has 4 samples but y has 5"),
    ({"x": np.array([[0.0], [np.nan]]), "y": np.zeros(2)}, r"bad\.npz: x\[1\] holds NaN"),
    ({"x": np.zeros((4, 2)), "y": np.array([0, 1, 2, 0]), "classes": np.array(["a", "b"])},
     r"bad\.npz: with a 'classes' array, y must hold class indices 0\.\.1"),
    ({"x": np.array([{"a": 1}] * 4, dtype=object), "y": np.zeros(4)},
     r"bad\.npz: an array could not be read without unpickling"),
])
def test_bad_npz_files_are_refused(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        load_dataset(path)


def test_a_file_that_is_not_an_npz_is_refused(tmp_path):
    path = write(tmp_path / "fake.npz", "x,y\n1,2\n")
    with pytest.raises(DataError, match=r"fake\.npz: not a valid \.npz file"):
        load_dataset(path)


@pytest.mark.parametrize(("extra", "message"), [
    ({"../evil.png": png()}, r"pets\.zip, entry '\.\./evil\.png': path leaves the archive"),
    ({"cat/../../evil.png": png()}, r"entry 'cat/\.\./\.\./evil\.png': path leaves"),
    ({"/etc/evil.png": png()}, r"entry '/etc/evil\.png': path leaves the archive"),
    ({"dog/broken.png": b"not a png"}, r"pets\.zip, entry 'dog/broken\.png': cannot be read"),
    ({"loose.png": png()}, r"pets\.zip, entry 'loose\.png': is not inside a class folder"),
    ({"bird/": None}, r"pets\.zip: class folder 'bird' holds no images"),
])
def test_bad_zip_entries_are_named(tmp_path, extra, message):
    path = make_zip(tmp_path / "pets.zip", {**pet_entries(), **extra})
    with pytest.raises(DataError, match=message):
        load_dataset(path)


def test_a_truncated_image_is_named(tmp_path):
    broken = png((64, 64))[:60]  # a valid header, the pixel data cut short
    path = make_zip(tmp_path / "pets.zip", {**pet_entries(), "cat/cut.png": broken})
    with pytest.raises(DataError, match=r"pets\.zip, entry 'cat/cut\.png': cannot be"):
        load_dataset(path)


def test_a_zip_with_one_class_is_refused(tmp_path):
    path = make_zip(tmp_path / "cats.zip", {f"cat/{i}.png": png() for i in range(4)})
    with pytest.raises(DataError, match=r"cats\.zip: classification needs at least 2 class "
                                        r"folders, found only 'cat'"):
        load_dataset(path)


def test_zip_caps_on_entries_and_size_are_explained(tmp_path, monkeypatch):
    path = make_zip(tmp_path / "pets.zip", pet_entries())
    monkeypatch.setattr(images, "MAX_ZIP_ENTRIES", 5)
    with pytest.raises(DataError, match=r"pets\.zip: 10 entries; zip files are capped at 5"):
        load_dataset(path)
    monkeypatch.setattr(images, "MAX_ZIP_ENTRIES", 50_000)
    monkeypatch.setattr(images, "MAX_ZIP_BYTES", 100)
    with pytest.raises(DataError, match=r"pets\.zip: .* MB uncompressed; zip files are capped"):
        load_dataset(path)


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    with pytest.raises(DataError, match=r"photos\.zip: not a valid zip file"):
        load_dataset(write(tmp_path / "photos.zip", "hello"))


def test_short_texts_read_as_text_on_request_and_a_text_model_names_that_option(tmp_path):
    """A CSV of reviews a word or two long (``boring``, ``amazing film``) reads as a table, its
    texts as categories. With kind=text, its one column besides the labels is the texts; and a
    text model checked against the table is told to load it as text, not to change its dtype."""
    from layerloom.graph.templates import load_template
    from layerloom.runtime.data.fit import check_fit

    words = ["boring", "amazing film", "awful", "superb!", "loved it", "worst ever"]
    lines = ["text,label"] + [f"{w},{'positive' if i % 2 else 'negative'}"
                              for i, w in enumerate(words * 8)]
    path = write(tmp_path / "short.csv", "\n".join(lines) + "\n")
    table = load_dataset(path)
    assert table.dtype == "float32" and table.input_shape == (6,)
    [problem] = check_fit(load_template("transformer-text"), table).problems
    assert problem.node == "tokens" and problem.kind == "input" and not problem.changes
    assert problem.message == ("the Input takes token ids (a text model), but short.csv was read "
                               "as a table: its column 'text' as 6 categories (its texts are a "
                               "word or two each).")
    assert problem.fix.startswith("load short.csv as text: the options kind=text and "
                                  "text_column=text")
    texts = load_dataset(path, kind="text", length=8)
    assert texts.dtype == "int64" and texts.input_shape == (8,)
    assert texts.meta["text_column"] == "text" and texts.classes == ["negative", "positive"]
    # with more columns than texts and labels, which is the texts stays the user's to say
    with pytest.raises(DataError, match=r"cannot tell which column holds the texts \(the "
                                        r"columns: 'age', 'city', 'income', 'label'\); name it "
                                        r"with text_column=NAME"):
        load_dataset(people_csv(tmp_path), kind="text")
