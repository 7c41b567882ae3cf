"""``layerloom explain RUN --input sample.npy`` says how it read an 8-bit .npy to suit the model,
as Look inside does under its uploader: divided by what training divided its images by, and a
channel axis added for a one-channel image model. The command read it so silently."""

from __future__ import annotations

import numpy as np

from layerloom.cli import main

DESIGN = {"format": "layerloom-graph", "version": 1, "name": "flat", "nodes": [
    {"id": "image", "type": "Input", "params": {"shape": [1, 8, 8]}},
    {"id": "flat", "type": "Flatten"},
    {"id": "fc", "type": "Linear", "params": {"out_features": 2}},
    {"id": "out", "type": "Output"}],
    "edges": [{"source": a, "target": b} for a, b in
              (("image", "flat"), ("flat", "fc"), ("fc", "out"))]}


def test_the_notes_of_reading_an_8_bit_npy_are_printed(tmp_path, monkeypatch, capsys):
    from layerloom.graph import parse_graph
    from layerloom.runtime import RunStore, TrainConfig, train

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))
    x = np.random.default_rng(0).integers(0, 256, (40, 8, 8)).astype(np.uint8)
    np.savez(tmp_path / "gray.npz", x=x, y=np.arange(40) % 2)
    run = train(parse_graph(DESIGN), {"source": str(tmp_path / "gray.npz")},
                TrainConfig(epochs=1, seed=0, num_threads=2, batch_size=8),
                store=RunStore(home / "runs.db")).run_id
    np.save(tmp_path / "one.npy", x[0])
    capsys.readouterr()
    code = main(["explain", str(run), "--input", str(tmp_path / "one.npy"), "--json",
                 "--home", str(home)])
    err = capsys.readouterr().err
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: ")]
    assert notes[0].startswith("note: one.npy: whole-number pixel values, divided by 255 as")
    assert notes[1] == ("note: one.npy: [8, 8] is read as one grayscale image [H, W] and given a "
                        "channel axis: [1, 8, 8], as the model takes it")
