"""A column named like a number (a target ``1.5``, ``007``, ``1e3``: a measurement, a code, a
year) is named on the command line as written: ``--data-option target=1.5`` was read as the
number 1.5 and refused ('option 'target' must be text, got 1.5'), and ``target=007`` looked for
a column ``7``."""

from __future__ import annotations

import pytest

from layerloom.cli import main


@pytest.mark.parametrize("name", ["1.5", "007", "1e3"])
def test_a_target_named_like_a_number_is_found_by_validate_and_train(tmp_path, capsys, name):
    table = tmp_path / "dose.csv"
    table.write_text(f"a,{name},b\n" + "".join(f"{i},{'xy'[i % 2]},{i % 3}\n"
                                              for i in range(30)))
    assert main(["validate", "mlp-tabular", "--dataset", str(table), "--data-option",
                 f"target={name}", "--set", "features=2", "--set", "classes=2"]) == 0
    assert "fits dose.csv: input [2] float32, classification output for 2 classes" in \
        capsys.readouterr().out
    assert main(["train", "mlp-tabular", "--dataset", str(table), "--data-option",
                 f"target={name}", "--set", "features=2", "--set", "classes=2", "--epochs",
                 "1", "--home", str(tmp_path / "home")]) == 0
    said = capsys.readouterr()
    assert "Test accuracy" in said.out and "run 1 recorded" in said.err


def test_a_column_named_like_a_year_is_dropped_and_a_json_text_target_is_its_text(tmp_path, capsys):
    table = tmp_path / "t.csv"
    table.write_text("a,2024,b\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(30)))
    assert main(["validate", "mlp-tabular", "--dataset", str(table), "--data-option",
                 'target="b"', "--data-option", "drop=2024", "--set", "features=1", "--set",
                 "classes=2"]) == 0
