"""``layerloom export … -f bundle -o NAME`` without ``.zip``: the zip gets its suffix, and the
command says so (it wrote a zip named ``NAME`` that nothing opened as one)."""

from __future__ import annotations

import zipfile

from layerloom.cli import main
from layerloom.graph import dumps_graph
from layerloom.graph.templates import load_template


def test_a_bundle_named_without_zip_gets_the_suffix_and_says_so(tmp_path, capsys):
    graph = load_template("mlp-tabular")
    (tmp_path / "g.json").write_text(dumps_graph(graph))
    target = tmp_path / "tt_bundle"
    assert main(["export", str(tmp_path / "g.json"), "-f", "bundle", "-o", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == (f"note: a bundle is a zip file: writing {target}.zip, as "
                                   f"{target} has no .zip suffix")
    assert f"wrote {target}.zip (bundle, fresh weights (seed 0))" in out
    assert not target.exists()
    with zipfile.ZipFile(tmp_path / "tt_bundle.zip") as archive:
        assert "predict.py" in archive.namelist()


def test_a_zip_name_is_kept_as_it_is(tmp_path, capsys):
    (tmp_path / "g.json").write_text(dumps_graph(load_template("mlp-tabular")))
    assert main(["export", str(tmp_path / "g.json"), "-f", "bundle", "-o",
                 str(tmp_path / "B.ZIP")]) == 0
    assert "note:" not in capsys.readouterr().out
    assert zipfile.is_zipfile(tmp_path / "B.ZIP")
