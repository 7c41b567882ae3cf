"""Records a data library wrote that are not read as datasets (a JSON document, Feather; JSON
lines and Parquet are read: test_data_parquet_jsonl.py): the refusal says how to make the CSV
that is, in one line of pandas, where it listed suffixes only ('files of type '.feather' cannot
be loaded; use .csv, …')."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError, load_dataset


@pytest.mark.parametrize("name, said", [
    ("events.json", "events.json: a JSON file is not read as a dataset: save it as a CSV file "
                    "(with pandas: pd.read_json('events.json').to_csv('events.csv', "
                    "index=False)) and load that; a LayerLoom design (.json) opens in the "
                    "Designer"),
    ("events.feather", "events.feather: a Feather file is not read as a dataset: save it as a "
                       "CSV file (with pandas: pd.read_feather('events.feather').to_csv("
                       "'events.csv', index=False)) and load that")])
def test_records_of_data_libraries_are_refused_with_the_way_to_a_csv(tmp_path, capsys, name,
                                                                     said):
    path = tmp_path / name
    path.write_text("".join(json.dumps({"a": i, "label": "xy"[i % 2]}) + "\n" for i in range(9)))
    with pytest.raises(DataError) as refused:
        load_dataset(path)
    assert str(refused.value) == said
    assert main(["validate", "mlp-tabular", "--dataset", str(path)]) == 1
    assert capsys.readouterr().err == f"error: {said}\n"
