"""``layerloom import-torch mymodels:make_resnet`` (the README's line) run where there is no
``mymodels.py`` said "cannot import module 'mymodels': No module named 'mymodels'", and a model
file whose own import is not installed said the same of that import: neither said what to do."""

from __future__ import annotations

import pytest

from layerloom.cli import main


def test_a_module_that_is_not_here_says_where_to_run_or_what_to_name(tmp_path, monkeypatch,
                                                                     capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["import-torch", "mymodels_not_here:make_resnet", "--input-shape", "3,32,32",
                 "-o", "resnet.json"]) == 1
    assert capsys.readouterr().err == (
        "error: cannot import module 'mymodels_not_here': there is no mymodels_not_here.py in "
        "the current folder, nor a module of that name on Python's path; run the command in "
        "the folder that holds it, or name the file itself "
        "(path/to/mymodels_not_here.py:make_resnet)\n")
    assert not (tmp_path / "resnet.json").exists()


def test_a_dependency_that_is_not_installed_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "needs_a_package.py").write_text("import no_such_package_xyz.models\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["import-torch", "needs_a_package:Net", "--input-shape", "3", "-o",
                 "net.json"]) == 1
    assert capsys.readouterr().err == (
        "error: cannot import module 'needs_a_package': it imports 'no_such_package_xyz', "
        "which is not installed in this Python; install it (pip install no_such_package_xyz) "
        "and import again\n")


@pytest.mark.parametrize("source", ["from os import no_such_name_xyz\n"])
def test_another_import_error_is_said_as_python_says_it(tmp_path, monkeypatch, capsys, source):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad_name_import.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["import-torch", "bad_name_import:Net", "--input-shape", "3", "-o",
                 "net.json"]) == 1
    assert capsys.readouterr().err.startswith(
        "error: cannot import module 'bad_name_import': cannot import name 'no_such_name_xyz' "
        "from 'os'")
