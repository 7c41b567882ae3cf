"""``export -f python -o NAME`` and ``codegen -o NAME``: a module's file name. A name ``import``
cannot load (``name with space.py``, ``1model.py``, ``my-model.py``, ``class.py``, no ``.py``) was
written without a word; it is still written as asked (it runs as a script and loads from its
path), and a note names the file to import it by. A name that shadows a module (``json.py``,
``torch.py``) was written too, and its own ``import torch`` then found it in torch's place; it
is refused, nothing written, with a name that works."""

from __future__ import annotations

import subprocess
import sys

import pytest

from layerloom.cli import main

NOT_IMPORTABLE = [("name with space.py", "name_with_space.py"), ("1model.py", "model_1model.py"),
                  ("my-model.py", "my_model.py"), ("class.py", "class_.py"),
                  ("mymodel", "mymodel.py")]


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("name", "usable"), NOT_IMPORTABLE)
def test_export_writes_a_name_import_cannot_load_and_says_which_it_can(folder, capsys, name,
                                                                       usable):
    assert main(["export", "mlp-tabular", "-f", "python", "-o", name]) == 0
    err = capsys.readouterr().err
    assert err.endswith(f"to import it, name it {usable}\n")
    assert err.count("\n") == 1 and err.startswith(f"note: import cannot load {name} by its name")
    assert (folder / name).is_file()


def test_the_name_said_imports(folder, capsys):
    assert main(["export", "mlp-tabular", "-f", "python", "-o", "my-model.py"]) == 0
    assert capsys.readouterr().err.endswith("name it my_model.py\n")
    (folder / "my-model.py").rename(folder / "my_model.py")
    done = subprocess.run([sys.executable, "-c", "import my_model; print(my_model.MlpTabular)"],
                          cwd=folder, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "MlpTabular" in done.stdout


@pytest.mark.parametrize(("name", "what", "usable"), [
    ("json.py", "Python's own json module", "json_model.py"),
    ("torch.py", "the torch package", "torch_model.py")])
def test_export_refuses_a_name_that_shadows_a_module(folder, capsys, name, what, usable):
    assert main(["export", "mlp-tabular", "-f", "python", "-o", name]) == 1
    err = capsys.readouterr().err
    assert err == (f"error: {name} is named like {what}, and would be imported in its place by "
                   f"the file's own imports (torch, and what torch imports) and by every script "
                   f"in its folder; name it {usable}\n")
    assert list(folder.iterdir()) == []


def test_codegen_says_the_same(folder, capsys):
    assert main(["codegen", "mlp-tabular", "-o", "torch.py"]) == 1
    assert capsys.readouterr().err.startswith("error: torch.py is named like the torch package")
    assert list(folder.iterdir()) == []
    assert main(["codegen", "mlp-tabular", "-o", "my-model.py"]) == 0
    assert capsys.readouterr().err == (
        "note: import cannot load my-model.py by its name (a module's name is letters, digits "
        "and _, not starting with a digit, and no keyword such as class); to import it, name it "
        "my_model.py\n")
    assert (folder / "my-model.py").is_file()


def test_a_name_import_takes_gets_no_note(folder, capsys):
    assert main(["export", "mlp-tabular", "-f", "python", "-o", "my_net.py"]) == 0
    assert main(["codegen", "mlp-tabular", "-o", "Net2.py"]) == 0
    assert capsys.readouterr().err == ""
