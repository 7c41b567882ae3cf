"""``layerloom validate`` and ``layerloom summary``: exit codes, output, JSON shape."""

from __future__ import annotations

import json

import pytest

from layerloom.cli import main


@pytest.fixture
def seed_file(tmp_path, seed_cnn):
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed_cnn))
    return path


def test_summary_json(seed_file, capsys):
    assert main(["summary", str(seed_file), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"name", "params", "trainable_params", "macs", "inputs", "outputs",
                        "nodes"}
    assert out["name"] == "seed-cnn"
    assert out["params"] == out["trainable_params"] == 34_826
    assert out["inputs"] == [[1, 28, 28]] and out["outputs"] == [[10]]
    assert out["nodes"][1] == {"id": "conv1", "type": "Conv2d", "output_shape": [32, 26, 26],
                               "params": 320, "macs": 32 * 26 * 26 * 9}
    assert out["macs"] == sum(n["macs"] for n in out["nodes"])


def test_summary_table_and_variables(seed_file, capsys):
    assert main(["summary", str(seed_file), "--set", "width=2"]) == 0
    out = capsys.readouterr().out
    assert "conv1  Conv2d     [64, 26, 26]" in out
    assert "total params: " in out


def test_validate_exit_codes(tmp_path, seed_file, seed_cnn, capsys):
    assert main(["validate", str(seed_file)]) == 0
    assert "valid" in capsys.readouterr().out
    seed_cnn["nodes"][1]["type"] = "Conv2D"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(seed_cnn))
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "error: conv1: unknown block type 'Conv2D' (did you mean 'Conv2d'" in err
    assert main(["summary", str(bad), "--json"]) == 1
    assert "conv1: unknown block type" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text("{ not json")
    assert main(["validate", str(broken)]) == 2
    assert "broken.json: line 1, column 3: invalid JSON" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "missing.json")]) == 2


def test_console_script_help():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "layerloom", "--help"], capture_output=True,
                         text=True, check=True).stdout
    assert "validate" in out and "summary" in out
