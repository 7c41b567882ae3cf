"""Results page (ui/pages/results.py) with AppTest, on small runs trained here in-process:
test metrics, confusion matrix, per-class table, confidently wrong gallery, regression scatter,
autoencoder reconstructions, and "Try it" for images, rows and texts."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from layerloom.graph import load_graph
from layerloom.runtime import RunStore, train

from results_page import results_page

TIMEOUT = 60


def chain(name: str, shape: list, layers: list[tuple[str, dict]], dtype: str = "float32",
          task: str | None = None):
    """A straight graph: Input → layers → Output."""
    nodes = [{"id": "x", "type": "Input", "params": {"shape": shape, "dtype": dtype}}]
    nodes += [{"id": f"n{i}", "type": t, "params": p} for i, (t, p) in enumerate(layers)]
    nodes.append({"id": "y", "type": "Output"})
    edges = [{"source": a["id"], "target": b["id"]} for a, b in zip(nodes, nodes[1:])]
    doc = {"format": "layerloom-graph", "version": 1, "name": name, "nodes": nodes,
           "edges": edges}
    if task:
        doc["task"] = task
    return load_graph(doc)


@pytest.fixture(scope="module")
def runs(scratch_home):
    """One finished run of each kind, in a runs database of their own."""
    with scratch_home("home") as (home, store):
        cnn = chain("tiny-cnn", [1, 8, 8], [("Conv2d", {"out_channels": 4, "padding": 1}),
                                            ("ReLU", {}), ("Flatten", {}),
                                            ("Linear", {"out_features": 10})])
        ids = {"digits": train(cnn, "digits", {"epochs": 1}, store=store).run_id}
        rows = "\n".join(f"{a},{b},{2 * a - b + 0.1 * np.sin(a)}"
                         for a, b in np.random.default_rng(0).normal(size=(120, 2)))
        csv = home / "lines.csv"
        csv.write_text("a,b,target\n" + rows)
        mlp = chain("line", [2], [("Linear", {"out_features": 8}), ("ReLU", {}),
                                  ("Linear", {"out_features": 1})])
        ids["regression"] = train(mlp, {"source": str(csv), "options": {"task": "regression"}},
                                  {"epochs": 2}, store=store).run_id
        ae = chain("tiny-ae", [1, 8, 8], [("Flatten", {}), ("Linear", {"out_features": 8}),
                                          ("ReLU", {}), ("Linear", {"out_features": 64}),
                                          ("Reshape", {"shape": [1, 8, 8]})],
                   task="reconstruction")
        ids["ae"] = train(ae, "digits", {"epochs": 1}, store=store).run_id
        bag = chain("bag", [32], [("Embedding", {"num_embeddings": 1000, "embedding_dim": 8}),
                                  ("SequencePool", {}), ("Linear", {"out_features": 2})],
                    dtype="int64")
        ids["text"] = train(bag, "text-sentiment", {"epochs": 1}, store=store).run_id
        yield home, ids


def page(home, monkeypatch, run_id: int) -> AppTest:
    return results_page(home, monkeypatch, run_id, timeout=TIMEOUT)


def values(elements) -> list:
    return [e.value for e in elements]


def labels(at) -> list[str]:
    return [m.label for m in at.metric]


def test_classification_shows_metrics_confusion_scores_and_the_wrong_gallery(runs, monkeypatch):
    home, ids = runs
    evaluation = RunStore(home / "runs.db").evaluation(ids["digits"])
    at = page(home, monkeypatch, ids["digits"])
    assert not at.exception and not at.error
    assert at.selectbox(key="results.run").value == ids["digits"]
    assert labels(at) == ["Samples in the test set", "Accuracy on the test set",
                          "Macro F1 on the test set", "Loss on the test set"]
    # each tile says what its number means, in a sentence
    assert at.metric[2].proto.help.startswith("F1 (the balance of precision and recall)")
    assert values(at.metric)[:2] == [str(evaluation["n"]), f"{evaluation['accuracy']:.2%}"]
    confusion = at.get("plotly_chart")[0].proto.spec
    assert '"Confusion matrix"' in confusion and '"heatmap"' in confusion
    table = at.dataframe[0].value
    assert list(table.columns) == ["class", "precision", "recall", "f1", "support"]
    assert table["support"].sum() == evaluation["n"]
    wrong = evaluation["most_confident_wrong"]
    gallery = at.image[0].proto.imgs
    assert len(gallery) == min(12, len(wrong))
    first = wrong[0]
    assert gallery[0].caption == (f"true {first['true_class']} → {first['predicted_class']} "
                                  f"({first['confidence']:.0%})")


def test_try_it_predicts_a_test_sample_and_an_uploaded_picture(runs, monkeypatch):
    home, ids = runs
    at = page(home, monkeypatch, ids["digits"])
    assert at.radio(key="results.how").options == ["Pick a test sample", "Upload a picture"]
    at.radio(key="results.how").set_value("Pick a test sample").run()
    assert [c for c in at.get("plotly_chart") if '"Class probabilities"' in c.proto.spec]
    at.radio(key="results.how").set_value("Upload a picture").run()
    picture = np.zeros((40, 40), dtype=np.uint8)
    picture[8:32, 18:22] = 255  # a "1"
    png = io.BytesIO()
    Image.fromarray(picture).save(png, format="PNG")
    at.file_uploader(key="results.upload").upload("one.png", png.getvalue(), "image/png").run()
    assert not at.exception and not at.error
    assert at.image[-1].proto.imgs[0].caption == "what the model sees"
    bars = [c for c in at.get("plotly_chart") if '"Class probabilities"' in c.proto.spec]
    assert len(bars) == 1 and all(f'"{d}"' in bars[0].proto.spec for d in "0123456789")
    at.file_uploader(key="results.upload").set_value(("notes.png", b"not a png",
                                                     "image/png")).run()
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Try it failed: that file is not an image PIL can read")


def test_regression_shows_predicted_against_true_and_predicts_a_row(runs, monkeypatch, caplog):
    home, ids = runs
    at = page(home, monkeypatch, ids["regression"])
    assert not at.exception and not at.error
    assert labels(at)[:6] == ["Samples in the test set", "MAE on the test set",
                              "RMSE on the test set", "R² on the test set",
                              "MSE on the test set", "Loss on the test set"]
    scatter = at.get("plotly_chart")[0].proto.spec
    assert '"Predicted vs true target"' in scatter and '"perfect"' in scatter
    assert labels(at)[-1] == "prediction"
    at.radio(key="results.how").set_value("Upload a row").run()
    at.file_uploader(key="results.csv").upload("row.csv", b"a,b\n1.0,0.5\n", "text/csv").run()
    assert not at.error and labels(at)[-1] == "prediction"
    assert not at.warning
    at.file_uploader(key="results.csv").set_value(("rows.csv", b"a,b\n1.0,0.5\n2,3\n",
                                                   "text/csv")).run()
    assert not at.error and labels(at)[-1] == "prediction"
    assert values(at.warning) == ["rows.csv has 2 rows: the prediction is for the first"]
    caplog.set_level("INFO", logger="layerloom.ui")
    at.file_uploader(key="results.csv").set_value(("row.csv", b"a,c\n1,2\n", "text/csv")).run()
    assert values(at.error) == ["Try it failed: the row has no column 'b'; the model reads a, b"]
    # a user's mistake: one line in the log, not a traceback
    said = [r for r in caplog.records if "the row has no column 'b'" in r.getMessage()]
    assert said and all(r.exc_info is None and r.levelname == "WARNING" for r in said)


def test_an_autoencoder_shows_inputs_beside_reconstructions(runs, monkeypatch):
    home, ids = runs
    at = page(home, monkeypatch, ids["ae"])
    assert not at.exception and not at.error
    assert labels(at)[1:] == ["MAE on the test set", "MSE on the test set",
                              "Loss on the test set"]
    assert [len(img.proto.imgs) for img in at.image] == [8, 8]
    assert not at.radio  # nothing to "try" on a reconstruction


def test_a_text_model_classifies_what_is_typed(runs, monkeypatch):
    home, ids = runs
    at = page(home, monkeypatch, ids["text"])
    assert not at.exception and not at.error
    at.text_area(key="results.text").input("a wonderful moving film, brilliant acting").run()
    bars = [c for c in at.get("plotly_chart") if '"Class probabilities"' in c.proto.spec]
    assert len(bars) == 1 and '"negative"' in bars[0].proto.spec


def test_with_no_finished_run_the_page_says_what_to_do(tmp_path, monkeypatch):
    at = page(tmp_path, monkeypatch, 0)
    assert values(at.info) == ["No finished run yet: train one on the Train page."]
