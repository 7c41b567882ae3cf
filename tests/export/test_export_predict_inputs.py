"""The bundle's predict.py reads every kind of file the same way: a .npy is raw data, normalised
and checked as a CSV or an image is; a file of N samples (the leading axis of a .npy, the rows
of a CSV) predicts each, one JSON line per sample; a wrong shape is refused in words; a CSV of
texts is read by its text column, one prediction per row."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch

from layerloom.graph import compile_graph
from layerloom.graph.export import RunInfo, export_model
from layerloom.graph.templates import load_template

from .conftest import chain_graph

PREDICT = """
import runpy, sys
sys.argv = ["predict.py", *sys.argv[1:]]
runpy.run_path("predict.py", run_name="__main__")
"""

SIGNAL_NORM = {"kind": "channel", "mean": [0.0, 10.0, 20.0], "std": [1.0, 2.0, 4.0]}


def _bundle(tmp_path, graph, run) -> tuple:
    torch.manual_seed(3)
    run.state_dict = compile_graph(graph).state_dict()
    result = export_model(graph, "bundle", tmp_path / "model.zip", run=run)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(folder)
    model = compile_graph(graph).eval()
    model.load_state_dict(run.state_dict)
    return folder, model


def _predict(isolated, folder, *args):
    """predict.py's exit code, its JSON lines and its stderr."""
    done = isolated(PREDICT, folder, *args)
    lines = [json.loads(line) for line in done.stdout.splitlines()] if done.returncode == 0 \
        else []
    return done.returncode, lines, done.stderr


def _probs(model, x) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(model(torch.as_tensor(x, dtype=torch.float32)).double(), -1).numpy()


@pytest.fixture(scope="module")
def signal(tmp_path_factory):
    """A classifier of [3, 8] windows trained on data standardised per channel."""
    tmp = tmp_path_factory.mktemp("signal")
    graph = chain_graph(("signal", "Input", {"shape": [3, 8]}), ("flat", "Flatten"),
                        ("fc", "Linear", {"out_features": 4}), ("out", "Output"),
                        name="sensor", task="classification")
    from layerloom.graph import loads_graph

    run = RunInfo(dataset={"name": "sensors.npz", "task": "classification",
                           "classes": ["idle", "walk", "run", "shake"],
                           "normalization": SIGNAL_NORM})
    folder, model = _bundle(tmp, loads_graph(json.dumps(graph)), run)
    rng = np.random.default_rng(0)
    raw = (rng.normal(size=(5, 3, 8)) * [[1.0], [2.0], [4.0]] + [[0.0], [10.0], [20.0]])
    return folder, model, raw.astype(np.float32)


def _standardised(raw):
    mean = np.array(SIGNAL_NORM["mean"])[:, None]
    std = np.array(SIGNAL_NORM["std"])[:, None]
    return (raw - mean) / std


def test_a_npy_window_is_normalised_as_its_csv_is(signal, isolated):
    folder, model, raw = signal
    np.save(folder / "window.npy", raw[:1])  # [1, 3, 8]: a batch of one
    np.save(folder / "window_plain.npy", raw[0])  # [3, 8]
    np.savetxt(folder / "window.csv", raw[0], delimiter=",")
    expected = _probs(model, _standardised(raw[0])[None])[0]
    answers = {}
    for name in ("window.npy", "window_plain.npy", "window.csv"):
        code, [out], err = _predict(isolated, folder, name, "--top", "4")
        assert code == 0, err
        answers[name] = [out["probabilities"][c] for c in ("idle", "walk", "run", "shake")]
        np.testing.assert_allclose(answers[name], expected, atol=2e-6)
    # unnormalised, the model would have said something else entirely
    assert np.abs(_probs(model, raw[:1])[0] - expected).max() > 0.05


def test_a_npy_far_from_the_training_data_is_warned_about(signal, isolated):
    folder, _, raw = signal
    far = raw[0].copy()
    far[2] = 500.0  # channel 2 trained around 20 ± 4
    np.save(folder / "far.npy", far)
    code, [out], err = _predict(isolated, folder, "far.npy")
    assert code == 0, err
    [warning] = out["warnings"]
    assert warning.startswith("far.npy: its mean value (channel 2) 500 is 120.0 standard "
                              "deviations from the training data's 20")
    assert f"warning: {warning}" in err


def test_a_batch_npy_predicts_each_sample(signal, isolated):
    folder, model, raw = signal
    np.save(folder / "five.npy", raw)
    code, lines, err = _predict(isolated, folder, "five.npy", "--top", "4", "--save", "out.npy")
    assert code == 0, err
    assert [line["sample"] for line in lines] == [0, 1, 2, 3, 4]
    expected = _probs(model, _standardised(raw))
    for line, probs in zip(lines, expected):
        got = [line["probabilities"][c] for c in ("idle", "walk", "run", "shake")]
        np.testing.assert_allclose(got, probs, atol=2e-6)
        assert line["prediction"] == ["idle", "walk", "run", "shake"][int(probs.argmax())]
    assert np.load(folder / "out.npy").shape == (5, 4)


def test_a_csv_of_one_window_a_row_predicts_each_row(signal, isolated):
    folder, model, raw = signal
    np.savetxt(folder / "rows.csv", raw.reshape(5, 24), delimiter=",")
    code, lines, err = _predict(isolated, folder, "rows.csv", "--top", "4")
    assert code == 0, err
    expected = _probs(model, _standardised(raw))
    np.testing.assert_allclose([[line["probabilities"][c] for c in ("idle", "walk", "run",
                                                                     "shake")]
                                for line in lines], expected, atol=2e-6)


@pytest.mark.parametrize("shape", [(5, 8, 3), (24,), (2, 5, 3, 8)])
def test_a_npy_of_another_shape_is_refused_in_words(signal, isolated, shape):
    folder = signal[0]
    np.save(folder / "wrong.npy", np.zeros(shape, np.float32))
    code, _, err = _predict(isolated, folder, "wrong.npy")
    assert code == 1
    assert "Traceback" not in err
    assert err.strip() == (f"error: wrong.npy: holds an array of shape {list(shape)}; the model "
                           f"takes one sample of shape [3, 8], or N samples [N, 3, 8]")


def test_a_csv_of_the_wrong_count_is_refused_in_words(signal, isolated):
    folder = signal[0]
    (folder / "short.csv").write_text("1,2,3\n4,5,6\n")
    code, _, err = _predict(isolated, folder, "short.csv")
    assert code == 1 and "Traceback" not in err
    assert err.strip() == ("error: short.csv: holds 6 numbers in 2 row(s) of 3; the model "
                           "takes 24 per sample (shape [3, 8]): give 24 numbers for one "
                           "sample, or rows of 24, one sample a row")


def test_help_says_what_each_file_holds(signal, isolated):
    folder = signal[0]
    done = isolated(PREDICT, folder, "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert ("Input files: A .npy file: one sample [3, 8] or N of them [N, 3, 8] of raw values, "
            "as in the training data before normalisation: one prediction per sample. "
            "predict.py normalises it as it does every other input, so never give it values "
            "that are already normalised.") in text
    assert "A CSV or text file of numbers: 24 in all for one sample" in text
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert "- A .npy file: one sample [3, 8] or N of them [N, 3, 8] of raw values" in card


# -- a table ----------------------------------------------------------------------------------

COLUMNS = [{"name": "age", "kind": "numeric"}, {"name": "height", "kind": "numeric"},
           {"name": "colour", "kind": "categorical", "categories": ["blue", "green", "red"]}]
TABLE_NORM = {"kind": "feature", "mean": [40.0, 170.0, 0.0, 0.0, 0.0],
              "std": [10.0, 5.0, 1.0, 1.0, 1.0]}


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("table")
    graph = load_template("mlp-tabular")
    graph.variables["features"] = 5
    run = RunInfo(dataset={"name": "people.csv", "task": "classification",
                           "classes": ["a", "b", "c"], "normalization": TABLE_NORM,
                           "meta": {"columns": COLUMNS}})
    folder, model = _bundle(tmp, graph, run)
    return folder, model


def _encoded(rows):
    x = np.asarray(rows, dtype=np.float64)
    return (x - TABLE_NORM["mean"]) / TABLE_NORM["std"]


def test_a_npy_row_is_the_encoded_features_normalised_as_the_csv_row(table, isolated):
    folder, model = table
    (folder / "row.csv").write_text("colour,height,age\nred,180,35\n")
    np.save(folder / "row.npy", np.array([35.0, 180.0, 0.0, 0.0, 1.0]))
    expected = _probs(model, _encoded([[35, 180, 0, 0, 1]]))[0]
    for name in ("row.csv", "row.npy"):
        code, [out], err = _predict(isolated, folder, name, "--top", "3")
        assert code == 0, err
        np.testing.assert_allclose([out["probabilities"][c] for c in "abc"], expected,
                                   atol=2e-6)


def test_every_row_of_a_csv_and_of_a_npy_is_predicted(table, isolated):
    folder, model = table
    (folder / "rows.csv").write_text("age,height,colour,label\n35,180,red,b\n61,,blue,a\n"
                                     "20,150,Red,c\n")
    rows = [[35, 180, 0, 0, 1], [61, np.nan, 1, 0, 0], [20, 150, 0, 0, 0]]
    np.save(folder / "rows.npy", np.array(rows))
    x = np.nan_to_num(_encoded(rows))  # a missing cell is the training mean
    expected = _probs(model, x)
    for name in ("rows.csv", "rows.npy"):
        code, lines, err = _predict(isolated, folder, name, "--top", "3")
        assert code == 0, err
        assert [line["sample"] for line in lines] == [0, 1, 2]
        np.testing.assert_allclose([[line["probabilities"][c] for c in "abc"] for line in lines],
                                   expected, atol=2e-6)
        assert "has 3 rows" not in err
    code, lines, err = _predict(isolated, folder, "rows.csv")
    said = ("rows.csv sample 2: column 'colour': 'Red' was not seen in training (it saw blue, "
            "green, red), so it is read as none of them")
    assert [line.get("warnings") for line in lines] == [None, None, [said]]
    assert f"warning: {said}" in err


def test_a_npy_far_from_the_training_rows_is_warned_about(table, isolated):
    folder, _ = table
    np.save(folder / "old.npy", np.array([[35.0, 180.0, 0, 0, 1], [400.0, 170.0, 1, 0, 0]]))
    code, lines, err = _predict(isolated, folder, "old.npy")
    assert code == 0, err
    assert "warnings" not in lines[0]
    [warning] = lines[1]["warnings"]
    assert warning.startswith("old.npy sample 1: far outside the training data (feature 0 = "
                              "400 (+36.0 std)")


def test_help_says_a_table_npy_holds_the_encoded_features(table, isolated):
    done = isolated(PREDICT, table[0], "--help")
    text = " ".join(done.stdout.split())
    assert ("A .npy file, or a CSV of rows of 5 numbers (no header naming the columns): the 5 "
            "features of a row [5] or of N rows [N, 5], in the model's order (age, height, "
            "colour=blue, colour=green, colour=red), each category as its one-hot columns (1 "
            "for the row's category, 0 for the others), in the data's own units") in text


# -- texts ------------------------------------------------------------------------------------

VOCAB = ["<pad>", "<unk>", "great", "film", "boring", "plot", "loved", "it"]


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("text")
    graph = load_template("transformer-text")
    graph.variables.update(d_model=16, heads=2, layers=1, vocab=50)
    run = RunInfo(dataset={"name": "reviews.csv", "task": "classification",
                           "classes": ["neg", "pos"], "vocab": VOCAB,
                           "meta": {"text_column": "review"}})
    folder, model = _bundle(tmp, graph, run)
    return folder, model


def _ids(text):
    import re

    words = re.findall(r"[^\W_]+(?:'[^\W_]+)*", text.lower())
    ids = [VOCAB.index(w) if w in VOCAB else 1 for w in words][:32]
    return ids + [0] * (32 - len(ids))


def _text_probs(model, texts):
    with torch.no_grad():
        logits = model(torch.tensor([_ids(t) for t in texts]))
    return torch.softmax(logits.double(), -1).numpy()


def test_the_manifest_names_the_text_column(text):
    manifest = json.loads((text[0] / "manifest.json").read_text())
    assert manifest["preprocessing"]["text_column"] == "review"


def test_a_csv_of_texts_is_read_by_the_trained_column_one_prediction_a_row(text, isolated):
    folder, model = text
    texts = ["Loved it, a great film", "boring plot; boring film", "it"]
    (folder / "new.csv").write_text('id,review,note\n1000,"Loved it, a great film",x\n'
                                    '1001,"boring plot; boring film",y\n1002,it,z\n')
    code, lines, err = _predict(isolated, folder, "new.csv", "--top", "2")
    assert code == 0, err
    expected = _text_probs(model, texts)
    np.testing.assert_allclose([[line["probabilities"][c] for c in ("neg", "pos")]
                                for line in lines], expected, atol=2e-6)
    # read as one document (header, ids and all), it would have said otherwise
    whole = _text_probs(model, [(folder / "new.csv").read_text()])[0]
    assert np.abs(expected - whole).max() > 1e-4


def test_a_tsv_without_the_trained_column_uses_its_only_text_column(text, isolated):
    folder, model = text
    (folder / "new.tsv").write_text("id\tbody\n7\tgreat great film\n8\tboring\n")
    code, lines, err = _predict(isolated, folder, "new.tsv", "--top", "2")
    assert code == 0, err
    expected = _text_probs(model, ["great great film", "boring"])
    np.testing.assert_allclose([[line["probabilities"][c] for c in ("neg", "pos")]
                                for line in lines], expected, atol=2e-6)


def test_a_csv_with_several_text_columns_is_refused_naming_them(text, isolated):
    folder, _ = text
    (folder / "two.csv").write_text("title,body\n"
                                    "a great film to see again,it was a boring plot all along\n")
    code, _, err = _predict(isolated, folder, "two.csv")
    assert code == 1 and "Traceback" not in err
    assert err.strip() == ("error: two.csv: cannot tell which column holds the texts (the model "
                           "was trained on column 'review'); its columns are 'title', 'body'. "
                           "Give the texts' column the name 'review', or give a file with only "
                           "that column")


def test_a_txt_stays_one_document(text, isolated):
    folder, model = text
    words = "id,review\n1,loved it\n2,boring plot\n"
    (folder / "doc.txt").write_text(words)
    code, [out], err = _predict(isolated, folder, "doc.txt", "--top", "2")
    assert code == 0, err
    np.testing.assert_allclose([out["probabilities"][c] for c in ("neg", "pos")],
                               _text_probs(model, [words])[0], atol=2e-6)


def test_a_npy_of_token_ids_predicts_each_row_and_refuses_ids_outside_the_vocabulary(
        text, isolated):
    folder, model = text
    texts = ["great film", "boring plot"]
    np.save(folder / "ids.npy", np.array([_ids(t) for t in texts]))
    code, lines, err = _predict(isolated, folder, "ids.npy", "--top", "2")
    assert code == 0, err
    np.testing.assert_allclose([[line["probabilities"][c] for c in ("neg", "pos")]
                                for line in lines], _text_probs(model, texts), atol=2e-6)
    np.save(folder / "bad.npy", np.array([9] + [0] * 31))
    code, _, err = _predict(isolated, folder, "bad.npy")
    assert code == 1
    assert err.strip() == ("error: bad.npy: token id 9 at [0, 0] is outside the training "
                           "vocabulary (ids 0 to 7)")


def test_a_runs_export_records_the_column_its_texts_came_from(tmp_path):
    from layerloom.runtime import dataset_spec
    from layerloom.runtime.export import _dataset

    lines = ["id,review,sentiment"]
    for i in range(60):
        words = ["loved it a great film", "boring plot a boring film"][i % 2]
        lines.append(f"{i},{words} {i},{['pos', 'neg'][i % 2]}")
    (tmp_path / "reviews.csv").write_text("\n".join(lines) + "\n")
    data = _dataset(dataset_spec(str(tmp_path / "reviews.csv"), length=16))
    assert data["meta"]["text_column"] == "review"


def test_a_category_holding_a_comma_is_quoted_in_the_expected_input():
    """"city (one of Berlin, New York, NY, Paris)" read as four cities; quoted, it reads as
    three."""
    from layerloom.graph.export.predict_script import expected_input

    manifest = {"inputs": [{"name": "x", "shape": [5], "dtype": "float32"}],
                "preprocessing": {"kind": "tabular", "columns": [
                    {"name": "area", "kind": "numeric"},
                    {"name": "city", "kind": "categorical",
                     "categories": ["Berlin", "New York, NY", "Paris"]}]}}
    text = " ".join(expected_input(manifest))
    assert 'the columns area, city (one of Berlin, "New York, NY", Paris)' in text
