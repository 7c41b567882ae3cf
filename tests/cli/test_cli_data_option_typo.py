"""A data option typed wrong (``--data-option tagret=label``) names the option meant, beside the
list of the file's options, which alone left the user to spot the typo among ten names."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.runtime.data import DataError
from layerloom.runtime.data.options import Option, resolve


def test_a_mistyped_data_option_names_the_one_meant(tmp_path, capsys):
    table = tmp_path / "my data.csv"
    table.write_text("a,b,label\n1,2,0\n2,3,1\n3,4,0\n4,5,1\n5,6,0\n6,7,1\n")
    assert main(["validate", "mlp-tabular", "--dataset", str(table), "--data-option",
                 "tagret=label"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {table.name} has no option 'tagret' (did you mean 'target'? its "
                          f"options: date_order, drop, kind, ")
    assert err.count("\n") == 1


def test_an_option_like_none_is_listed_as_before():
    declared = (Option("n_samples", "int", 400, "points", min=4),)
    with pytest.raises(DataError, match=r"^xor has no option 'colour' \(its options: "
                                        r"n_samples\)$"):
        resolve("xor", declared, {"colour": 1})
    with pytest.raises(DataError, match=r"^xor has no option 'n_sample' \(did you mean "
                                        r"'n_samples'\? its options: n_samples\)$"):
        resolve("xor", declared, {"n_sample": 1})
