"""The bundle's predict.py, run without LayerLoom, reads a new Parquet or JSON lines file as the
CSV of the same rows (graph/export/predict_script.py): one prediction per row, the same ones."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch

from layerloom.graph import compile_graph
from layerloom.graph.export import RunInfo, export_model
from layerloom.graph.templates import load_template
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.preprocessing import preprocessing

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

PREDICT = """
import runpy, sys
sys.argv = ["predict.py", *sys.argv[1:]]
runpy.run_path("predict.py", run_name="__main__")
"""


def frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(n)
    return pd.DataFrame({"age": rng.integers(18, 80, n),
                         "income": rng.normal(50, 10, n).round(2),
                         "city": rng.choice(["Paris", "Lyon", "Nîmes"], n),
                         "label": rng.choice(["yes", "no"], n)})


def written(folder, df, stem: str) -> dict:
    paths = {"csv": folder / f"{stem}.csv", "parquet": folder / f"{stem}.parquet",
             "jsonl": folder / f"{stem}.jsonl"}
    df.to_csv(paths["csv"], index=False)
    df.to_parquet(paths["parquet"])
    df.to_json(paths["jsonl"], orient="records", lines=True, force_ascii=False)
    return paths


@pytest.mark.parametrize("kind", ["parquet", "jsonl"])
def test_the_bundles_predict_py_predicts_a_parquet_or_jsonl_as_its_csv(tmp_path, kind,
                                                                       isolated):
    paths = written(tmp_path, frame(40), "people")
    ds = load_dataset(paths[kind])
    graph = load_template("mlp-tabular")
    graph.variables.update(features=int(ds.input_shape[0]), classes=2, hidden=8)
    prep = preprocessing(ds)
    torch.manual_seed(0)
    dataset = {**ds.describe(), "name": paths[kind].name, "normalization": prep["normalization"],
               "meta": {"columns": prep["columns"], "target": ds.meta["target"]},
               "preprocessing": prep}
    run = RunInfo(dataset=dataset, state_dict=compile_graph(graph).state_dict())
    result = export_model(graph, "bundle", tmp_path / "model.zip", run=run)
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(result.path) as archive:
        archive.extractall(folder)
    new = written(folder, frame(5).drop(columns="label"), "new")
    outputs = {}
    for name in ("csv", kind):
        done = isolated(PREDICT, folder, new[name].name)
        assert done.returncode == 0, done.stderr
        outputs[name] = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(outputs[kind]) == 5 and outputs[kind] == outputs["csv"]
