"""A design that does not fit the data names its node's line in the design file, in
``validate --dataset`` and ``train``, as the design's own problems do (graph/file_lines.py):
``error: head: … Fix: … (design.json, line 33)``. They named the node alone."""

from __future__ import annotations

import pytest

from layerloom.cli import main
from layerloom.graph.templates import template_text


@pytest.fixture
def design(tmp_path):
    path = tmp_path / "design.json"
    path.write_text(template_text("mlp-tabular"), encoding="utf-8")
    head = next(i for i, line in enumerate(path.read_text().splitlines(), 1)
                if '"id": "head"' in line)
    return str(path), head


def test_validate_with_data_names_the_line_of_the_node_to_change(design, capsys):
    path, head = design
    assert main(["validate", path, "--dataset", "iris", "--set", "classes=5"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: head: the design's output has 5 values per sample but iris "
                          "has 3 classes.")
    assert f"(it sets head's out_features). ({path}, line {head})\n" in err


def test_train_names_it_too(design, capsys, tmp_path, monkeypatch):
    path, head = design
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "home"))
    assert main(["train", path, "--dataset", "iris", "--set", "classes=5", "--epochs",
                 "1"]) == 1
    err = capsys.readouterr().err
    assert f"(it sets head's out_features). ({path}, line {head}) On the command line: " \
        f"--set classes=3" in err


def test_a_template_by_name_has_no_file_to_name(capsys):
    assert main(["validate", "mlp-tabular", "--dataset", "iris", "--set", "classes=5"]) == 1
    assert "line" not in capsys.readouterr().err.split("\n")[0]
