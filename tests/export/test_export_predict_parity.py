"""The Results page's "Try it" and the bundle's standalone predict.py give the same answer.

For each kind of input (a 28×28 grayscale picture, a CSV row, a text) a tiny run is trained
through the runtime, exported as a bundle, and the bundle's predict.py run on a file in a
subprocess that cannot import LayerLoom; the Results page's helpers (``ui/predict.py``) read the
same raw input, and the two probability vectors must agree.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest
from PIL import Image, ImageDraw

from layerloom.graph.templates import load_template

from .conftest import run_without_layerloom

pytest.importorskip("streamlit")

PREDICT = """
    import runpy, sys
    sys.argv = ["predict.py", *sys.argv[1:]]
    runpy.run_path("predict.py", run_name="__main__")
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    return tmp_path


def trained_bundle(tmp_path, template: str, dataset, variables: dict | None = None, **config):
    """Train ``template`` (its ``variables`` set) for one epoch, export its bundle; the store,
    run and bundle folder."""
    from layerloom.runtime import RunStore, TrainConfig, train
    from layerloom.runtime.export import export_run

    store = RunStore(tmp_path / "runs.db")
    graph = load_template(template)
    graph.variables.update(variables or {})
    result = train(graph, dataset,
                   TrainConfig(epochs=1, seed=0, num_threads=2, **config), store=store)
    path = tmp_path / "model.zip"
    export_run(result.run_id, "bundle", path, store)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(folder)
    return store, store.get(result.run_id), folder


def bundle_predict(folder, input_file, classes) -> np.ndarray:
    done = run_without_layerloom(PREDICT, folder, str(input_file), "--top", "1000")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    probs = out["probabilities"]
    assert out["prediction"] == max(probs, key=probs.get)
    return np.array([probs[c] for c in classes])


def page_model(store, run):
    from layerloom.ui import predict

    return predict.trained(store, run)


def assert_same(page: np.ndarray, bundle: np.ndarray) -> None:
    # predict.py prints probabilities rounded to 6 decimals
    np.testing.assert_allclose(bundle, page, atol=1e-5, rtol=0)
    assert int(np.argmax(bundle)) == int(np.argmax(page))
    assert abs(page.sum() - 1.0) < 1e-5


def small_mnist():
    """600 training digits of mnist-5k, handed over in memory (the run saves a copy), with
    the normalisation fitted on those 600: not what loading mnist-5k again would fit."""
    import dataclasses

    import torch

    from layerloom.runtime.data import load_dataset, normalize
    from layerloom.ui import predict

    full = load_dataset("mnist-5k")
    raw = {part: predict.shown(getattr(full, f"x_{part}")[:n], full)
           for part, n in (("train", 600), ("val", 100), ("test", 100))}
    norm = normalize.fit(raw["train"], "channel", scale=255.0)
    parts = {f"x_{part}": torch.from_numpy(normalize.apply(x, norm)) for part, x in raw.items()}
    parts.update({f"y_{part}": getattr(full, f"y_{part}")[:len(raw[part])] for part in raw})
    return dataclasses.replace(full, normalization=norm, **parts), full


def test_image_predictions_agree(home):
    from layerloom.ui import predict

    small, full = small_mnist()
    store, run, folder = trained_bundle(home, "seed-cnn", small, batch_size=64)
    model = page_model(store, run)
    ds = model.dataset
    assert ds.normalization == small.normalization != full.normalization  # the saved copy's
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["preprocessing"]["digit"] == {"size": 28, "box": 20}
    digit = predict.shown(ds.x_test[:1], ds)[0, 0]  # [28, 28] in [0, 1]
    pixels = (digit * 255 + 0.5).clip(0, 255).astype(np.uint8)
    cases = {"digit.png": Image.fromarray(pixels),  # the model's own size, grayscale
             # RGB and twice the size: converted to gray and resized on both sides
             "big.png": Image.fromarray(np.repeat(pixels[:, :, None], 3, axis=2)).resize(
                 (56, 56), Image.NEAREST)}
    # a 7 drawn dark on a white 280×280 canvas: inverted, cropped, scaled and centred by mass
    # on both sides
    drawn = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(drawn).line([(75, 55), (205, 55), (120, 235)], fill=0, width=20)
    cases["drawn.png"] = drawn
    for name, image in cases.items():
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        (home / name).write_bytes(buffer.getvalue())
        # as the Results page reads an upload: a digit prepared as MNIST's were (centred by
        # mass in a 20×20 box), by the same function the bundle's predict.py ships
        raw = predict.picture_input(predict.upload_pixels(buffer.getvalue()), ds)
        page = model.probabilities(predict.from_raw(raw[None], ds))[0]
        assert_same(page, bundle_predict(folder, home / name, ds.classes))


def test_table_row_predictions_agree(home):
    import pandas as pd

    from layerloom.ui import predict

    store, run, folder = trained_bundle(home, "mlp-tabular", "iris", batch_size=16)
    model = page_model(store, run)
    ds = model.dataset
    names = predict.row_names(ds)
    assert names[0] == "sepal length (cm)"
    # a row in the file's units, columns in another order, with the target beside them
    row = {names[3]: "0.2", "species": "setosa", names[1]: "3.1", names[0]: "5.0",
           names[2]: " 1.6 "}
    csv_file = home / "row.csv"
    pd.DataFrame([row]).to_csv(csv_file, index=False)
    # read as the page reads an uploaded CSV row
    frame = pd.read_csv(io.BytesIO(csv_file.read_bytes()), dtype=str, keep_default_na=False)
    features = predict.encode_row(frame.iloc[0].to_dict(), ds)
    np.testing.assert_allclose(features, [5.0, 3.1, 1.6, 0.2])
    page = model.probabilities(predict.from_raw(features[None], ds))[0]
    assert_same(page, bundle_predict(folder, csv_file, ds.classes))


def test_a_workbook_row_predicts_as_the_same_row_in_csv(home):
    """The bundle's predict.py reads an .xlsx (openpyxl, values only) as its CSV; without
    openpyxl it says in one line what to do."""
    openpyxl = pytest.importorskip("openpyxl")
    store, run, folder = trained_bundle(home, "mlp-tabular", "iris", batch_size=16)
    ds = page_model(store, run).dataset
    from layerloom.ui import predict

    names = predict.row_names(ds)
    rows = [[5.0, 3.1, 1.6, 0.2], [6.7, 3.0, 5.2, 2.3]]
    (home / "rows.csv").write_text(",".join(f'"{n}"' for n in names) + "\n" + "\n".join(
        ",".join(map(str, row)) for row in rows) + "\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append([])  # an empty row above the table, as people leave them
    book.active.append(names)
    for row in rows:
        book.active.append(row)
    book.save(home / "rows.xlsx")
    read = [run_without_layerloom(PREDICT, folder, str(home / name), "--top", "1000")
            for name in ("rows.csv", "rows.xlsx")]
    assert [done.returncode for done in read] == [0, 0], read[1].stderr
    assert read[0].stdout == read[1].stdout and len(read[1].stdout.splitlines()) == 2
    blocked = run_without_layerloom("\n    import sys; sys.modules['openpyxl'] = None" + PREDICT,
                                    folder, str(home / "rows.xlsx"))
    assert blocked.returncode != 0 and blocked.stderr.strip().splitlines()[-1].endswith(
        "rows.xlsx: reading .xlsx needs openpyxl: pip install openpyxl (or save the sheet as "
        "CSV)")


def test_text_predictions_agree(home):
    from layerloom.runtime import dataset_spec
    from layerloom.ui import predict

    spec = dataset_spec("text-sentiment", n_samples=300, length=32)
    store, run, folder = trained_bundle(home, "transformer-text", spec, batch_size=32)
    model = page_model(store, run)
    ds = model.dataset
    words = "A wonderful, moving film -- I'd see it AGAIN! Zzzunknownword"
    text_file = home / "review.txt"
    text_file.write_text(words, encoding="utf-8")
    ids = predict.from_text(words, ds)
    assert ids.shape == (1, 32) and int(ids[0, -1]) == 0  # padded
    page = model.probabilities(ids)[0]
    assert_same(page, bundle_predict(folder, text_file, ds.classes))


def test_an_unseen_category_is_said_by_both_and_every_row_is_predicted(home):
    """A category training never saw ('Red' where it saw 'red') is read as none of the known
    ones and said by both; predict.py predicts every row of a CSV of several (it predicted the
    first only), naming the row a warning is about."""
    import pandas as pd

    from layerloom.ui import predict

    rng = np.random.default_rng(1)
    lines = ["x1,x2,colour,kind"]
    for i in range(120):
        a, b = rng.normal(size=2)
        lines.append(f"{a:.3f},{b:.3f},{['red', 'blue'][i % 2]},{['p', 'q', 'r'][i % 3]}")
    data = home / "shapes.csv"
    data.write_text("\n".join(lines) + "\n")
    store, run, folder = trained_bundle(home, "mlp-tabular", str(data), batch_size=16)
    model = page_model(store, run)
    rows = home / "rows.csv"
    rows.write_text("x1,x2,colour\n0.5,-0.2,Red\n1,1,blue\n")
    said = "column 'colour': 'Red' was not seen in training (it saw blue, red), so it is read " \
           "as none of them"
    frame = pd.read_csv(io.BytesIO(rows.read_bytes()), dtype=str, keep_default_na=False)
    done = run_without_layerloom(PREDICT, folder, str(rows), "--top", "1000")
    assert done.returncode == 0, done.stderr
    outs = [json.loads(line) for line in done.stdout.splitlines()]
    assert [out["sample"] for out in outs] == [0, 1]
    assert outs[0]["warnings"] == [f"rows.csv sample 0: {said}"] and "warnings" not in outs[1]
    for i, out in enumerate(outs):
        notes: list[str] = []
        features = predict.encode_row(frame.iloc[i].to_dict(), model.dataset, notes)
        assert notes == ([said] if i == 0 else [])
        page = model.probabilities(predict.from_raw(features[None], model.dataset))[0]
        assert_same(page, np.array([out["probabilities"][c] for c in model.dataset.classes]))


def test_rows_with_dates_predict_alike_and_a_date_written_otherwise_is_refused(home):
    """A column of order dates written day first (25/03/2022) is made days since the first
    training date, month and weekday as sine and cosine by the bundle's predict.py as by the
    Results page: the same probabilities for each row, a date written year first read as the
    same date; a date written month first is refused by both, naming the column and line."""
    import datetime as dt

    import pandas as pd

    from layerloom.ui import predict

    start = dt.date(2022, 1, 3)
    lines = ["order_date,amount,label"] + [
        f"{(start + dt.timedelta(days=3 * i)).strftime('%d/%m/%Y')},{i % 7}.5,"
        f"{'ab'[(i // 15) % 2]}" for i in range(120)]
    data = home / "orders.csv"
    data.write_text("\n".join(lines) + "\n")
    store, run, folder = trained_bundle(home, "mlp-tabular", str(data),
                                        {"features": 6, "classes": 2}, batch_size=16)
    model = page_model(store, run)
    assert model.dataset.input_shape == (6,)
    rows = home / "rows.csv"
    rows.write_text("order_date,amount\n25/12/2022,2.5\n2022-12-25,2.5\n,1\n")
    done = run_without_layerloom(PREDICT, folder, str(rows), "--top", "1000")
    assert done.returncode == 0, done.stderr
    outs = [json.loads(line) for line in done.stdout.splitlines()]
    assert outs[0]["probabilities"] == outs[1]["probabilities"]  # one date, two ways
    frame = pd.read_csv(io.BytesIO(rows.read_bytes()), dtype=str, keep_default_na=False)
    for i, out in enumerate(outs):
        features = predict.encode_row(frame.iloc[i].to_dict(), model.dataset)
        page = model.probabilities(predict.from_raw(features[None], model.dataset))[0]
        assert_same(page, np.array([out["probabilities"][c] for c in model.dataset.classes]))
    rows.write_text("order_date,amount\n12/25/2022,2.5\n")
    done = run_without_layerloom(PREDICT, folder, str(rows))
    said = ("column 'order_date', line 2: '12/25/2022' is not a date written day/month/year, "
            "as the training file wrote the column; write it so, or year first (2024-03-25)")
    assert done.returncode != 0 and done.stderr.strip().endswith(said)
    with pytest.raises(Exception, match=said.replace("(", r"\(").replace(")", r"\)")):
        predict.table_rows("rows.csv", rows.read_bytes(), predict.input_columns(model.dataset))
