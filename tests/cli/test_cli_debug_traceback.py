"""``layerloom --debug``: errors that a command turns into one line (import-torch, import-onnx,
train on a bad data file) show the traceback of the original exception with --debug, and only
the line without it."""

from __future__ import annotations

import textwrap

import pytest

from layerloom.cli import main

MODEL = textwrap.dedent("""
    import torch
    from torch import nn

    class DataDependent(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x):
            if x.sum() > 0:
                x = -x
            return self.fc(x)
""")


def _model_file(tmp_path, name: str):
    path = tmp_path / f"{name}.py"
    path.write_text(MODEL)
    return f"{path}:DataDependent"


def test_import_torch_error_is_one_line_and_debug_shows_where_it_came_from(tmp_path, capsys):
    spec = _model_file(tmp_path, "debug_tb_model_a")
    out = str(tmp_path / "g.json")
    assert main(["import-torch", spec, "--input-shape", "4", "-o", out]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("error: torch.fx cannot trace DataDependent") and err.count("\n") == 1
    assert main(["--debug", "import-torch", spec, "--input-shape", "4", "-o", out]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    # the original exception (torch.fx's, raised in the user's forward) and its frame
    assert "debug_tb_model_a.py" in err and "if x.sum() > 0" in err
    assert "TraceError" in err or "symbolically traced" in err
    assert err.rstrip().splitlines()[-1].startswith("error: torch.fx cannot trace DataDependent")


def test_import_onnx_error_with_debug_shows_the_traceback(tmp_path, capsys):
    bad = tmp_path / "garbage.onnx"
    bad.write_bytes(b"not a protobuf at all \x00\x01\x02" * 10)
    out = str(tmp_path / "g.json")
    assert main(["import-onnx", str(bad), "-o", out]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith("error: ") and err.count("\n") == 1
    assert main(["--debug", "import-onnx", str(bad), "-o", out]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "onnx_in.py" in err
    assert err.rstrip().splitlines()[-1].startswith("error: ")


@pytest.mark.parametrize("debug", [False, True])
def test_train_on_a_ragged_csv_with_debug_shows_where_the_data_error_was_raised(
        tmp_path, capsys, monkeypatch, debug):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    data = tmp_path / "ragged.csv"
    rows = ["f1,f2,f3,f4,species"] + [f"0.{i},0.2,0.3,0.4,{'ab'[i % 2]}" for i in range(12)]
    rows[8] += ",9"
    data.write_text("\n".join(rows) + "\n")
    argv = ["train", "mlp-tabular", "-d", str(data), "--epochs", "1",
            "--home", str(tmp_path / "home")]
    assert main((["--debug"] if debug else []) + argv) == 1
    err = capsys.readouterr().err
    last = err.rstrip().splitlines()[-1]
    assert last == "error: ragged.csv, line 9: 6 values, but the header has 5 columns"
    if debug:
        assert "Traceback (most recent call last)" in err
        assert "csvfile.py" in err and "DataError" in err  # where the data error was raised
    else:
        assert "Traceback" not in err and err.count("\n") == 1
