"""A run trained on a file given by a relative path keeps working from any other folder: the
run records the file's absolute path, so a resume, an export or an explanation run elsewhere
reads the same data. Where the file is gone, a resume says so and leaves the run as it was,
and a bundle (whose predict.py needs the data's classes and normalisation) is refused instead
of written without them."""

from __future__ import annotations

import json
import zipfile

import pytest

from layerloom.cli import main

SPECIES = ("setosa", "versicolor", "virginica")


@pytest.fixture()
def trained(tmp_path, monkeypatch, capsys):
    """Run 1: mlp-tabular trained for one epoch on ``data/flowers.csv``, named relatively from
    ``data/``; the test then works in ``elsewhere/``."""
    data = tmp_path / "data"
    data.mkdir()
    rows = ["a,b,c,d,species"]
    for i in range(60):
        k = i % 3
        rows.append(f"{k + i % 5 / 10:.2f},{2 * k + i % 7 / 10:.2f},{i % 4 / 4:.2f},"
                    f"{k * 0.5:.2f},{SPECIES[k]}")
    (data / "flowers.csv").write_text("\n".join(rows) + "\n")
    home = tmp_path / "home"
    monkeypatch.chdir(data)
    assert main(["train", "mlp-tabular", "--dataset", "flowers.csv", "--epochs", "1",
                 "--home", str(home), "--cfg", "num_threads=1"]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    capsys.readouterr()
    return home, data / "flowers.csv", elsewhere


def _run(home, capsys) -> dict:
    capsys.readouterr()
    assert main(["runs", "--json", "--home", str(home)]) == 0
    (run,) = json.loads(capsys.readouterr().out)
    return run


def test_the_run_records_the_files_absolute_path(trained, capsys):
    home, csv, _ = trained
    assert _run(home, capsys)["dataset"] == str(csv.resolve())


def test_a_bundle_exported_from_another_folder_keeps_the_classes(trained, capsys):
    home, _, elsewhere = trained
    assert main(["export", "1", "-f", "bundle", "-o", "b.zip", "--home", str(home)]) == 0
    with zipfile.ZipFile(elsewhere / "b.zip") as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["classes"] == list(SPECIES)
    assert manifest["task"] == "classification"
    assert manifest["preprocessing"]["kind"] == "tabular"
    assert set(manifest["preprocessing"]["normalization"]) >= {"mean", "std"}


def test_a_completed_run_whose_data_is_gone_is_left_completed(trained, capsys):
    home, csv, elsewhere = trained
    csv.rename(csv.with_name("moved.csv"))
    code = main(["resume", "1", "--epochs", "2", "--home", str(home)])
    err = capsys.readouterr().err
    assert code != 0
    assert (f"error: run 1 cannot go on: its data {csv.resolve()} is not there. Put it back "
            f"there and resume again; the run is left as it was (completed)") in err
    assert "Traceback" not in err
    run = _run(home, capsys)
    assert run["status"] == "completed" and run["epoch"] == 1
    # Put back, the same command trains on.
    csv.with_name("moved.csv").rename(csv)
    assert main(["resume", "1", "--epochs", "2", "--home", str(home)]) == 0
    assert _run(home, capsys)["epoch"] == 2


def test_a_bundle_is_refused_when_the_data_is_gone(trained, capsys):
    home, csv, elsewhere = trained
    csv.unlink()
    code = main(["export", "1", "-f", "bundle", "-o", "b.zip", "--home", str(home)])
    err = capsys.readouterr().err
    assert code != 0
    assert f"run 1 was trained on {csv.resolve()}, which cannot be read again" in err
    assert "predict.py needs the class names, normalisation and vocabulary" in err
    assert not (elsewhere / "b.zip").exists()
    assert list(elsewhere.iterdir()) == []
    # The formats that need no data still export.
    assert main(["export", "1", "-f", "onnx", "-o", "m.onnx", "--home", str(home)]) == 0
    assert (elsewhere / "m.onnx").stat().st_size > 0


def test_a_spec_given_in_python_keeps_the_absolute_path_too(tmp_path, monkeypatch):
    from layerloom.runtime.runner import dataset_spec

    (tmp_path / "t.csv").write_text("a,b\n1,x\n")
    monkeypatch.chdir(tmp_path)
    spec = dataset_spec({"source": "t.csv", "options": {"target": "b"}}, 3)
    assert spec["source"] == str(tmp_path / "t.csv") and spec["options"] == {"target": "b"}
    assert dataset_spec({"source": "iris"})["source"] == "iris"  # a built-in by its name
    assert dataset_spec("nowhere.csv")["source"] == "nowhere.csv"  # said when it is loaded
