"""A batch size larger than the training set trains (on all of it at once), with a note that
says so: each epoch is one batch of all the samples."""

from __future__ import annotations

import json

from layerloom.cli import main
from layerloom.runtime import train


def test_api_notes_a_batch_larger_than_the_training_set(moons, mlp):
    seen = []
    n = len(moons.x_train)
    result = train(mlp(), moons, {"epochs": 2, "num_threads": 1, "batch_size": 100_000},
                   callback=seen.append)
    assert result.status == "completed"
    note = f"each epoch is one batch of {n} samples"
    assert any(note in m for m in result.notes)
    assert any(e.kind == "message" and note in e.message for e in seen)
    assert [e.step for e in seen if e.kind == "epoch"] == [1, 2]  # one step an epoch
    # a batch that fits says nothing of it
    small = train(mlp(), moons, {"epochs": 1, "num_threads": 1, "batch_size": n})
    assert not any("batch_size" in m for m in small.notes)


def test_cli_prints_the_note(tmp_path, mlp, capsys):
    graph = tmp_path / "mlp.json"
    graph.write_text(json.dumps(mlp()))
    code = main(["train", str(graph), "--dataset", "moons", "--data-option", "n_samples=100",
                 "--cfg", "num_threads=1", "--epochs", "1", "--batch-size", "100000"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "note: batch_size 100000 is larger than the 70 training samples: each epoch is " \
           "one batch of 70 samples" in err
