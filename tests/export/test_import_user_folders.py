"""Importing a user's model leaves the process as it found it: the folder is not left on
``sys.path``, and its modules are not left in ``sys.modules`` under names that shadow others
(a ``copy.py`` or ``json.py`` beside the model, another user's ``helper.py``), while the model
keeps what it needs to run, trace and show its source afterwards."""

from __future__ import annotations

import importlib
import inspect
import sys
import textwrap
from importlib.machinery import PathFinder

import pytest
import torch

from layerloom.graph.import_torch import import_torch, load_callable

MODEL = textwrap.dedent("""
    import copy
    import json

    from torch import nn

    from helper import WIDTH, Block
    from parts.heads import Head  # parts/ holds no __init__.py, as many research folders


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = Block()
            self.head = Head()

        def forward(self, x):
            return self.head(self.body(x))
""")

HELPER = textwrap.dedent("""
    import torch
    from torch import nn

    WIDTH = {width}


    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(4, WIDTH)

        def forward(self, x):
            return torch.relu(self.fc(x))
""")

HEAD = textwrap.dedent("""
    from torch import nn

    from helper import WIDTH


    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(WIDTH, 2)

        def forward(self, x):
            return self.fc(x)
""")

BROKEN = "raise RuntimeError('the user folder\\'s {name}.py was imported')\n"


def user_folder(root, name: str, width: int):
    folder = root / name
    (folder / "parts").mkdir(parents=True)
    (folder / "model.py").write_text(MODEL)
    (folder / "helper.py").write_text(HELPER.format(width=width))
    (folder / "parts" / "heads.py").write_text(HEAD)
    for stdlib in ("copy", "json"):  # a user's files that would break Python's own
        (folder / f"{stdlib}.py").write_text(BROKEN.format(name=stdlib))
    return folder


def plain_names_of(folder) -> list[str]:
    return [name for name, module in sys.modules.items()
            if str(folder) in str(getattr(module, "__file__", "") or "")
            and not name.startswith("_layerloom_user_")]


@pytest.mark.parametrize("form", ["file", "module"])
def test_the_import_leaves_the_path_and_modules_as_they_were(tmp_path, monkeypatch, form):
    folder = user_folder(tmp_path, "alice", 8)
    monkeypatch.chdir(folder)
    path, copy_module = list(sys.path), sys.modules["copy"]
    spec = f"{folder / 'model.py'}:Net" if form == "file" else "model:Net"
    model = load_callable(spec)()
    assert sys.path == path
    assert PathFinder.find_spec("copy").origin != str(folder / "copy.py")
    assert PathFinder.find_spec("json").origin != str(folder / "json.py")
    import copy
    assert copy is copy_module and copy.deepcopy([1]) == [1]
    assert plain_names_of(folder) == []
    for name in ("helper", "model", "parts", "parts.heads"):
        assert name not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("helper")
    # what the model needs is kept: it runs, copies, shows its source and imports
    assert model(torch.randn(3, 4)).shape == (3, 2)
    assert "nn.Linear(4, WIDTH)" in inspect.getsource(type(model.body))
    graph, _ = import_torch(model, (4,))
    assert [n.type for n in graph.nodes] == ["Input", "Linear", "ReLU", "Linear", "Output"]
    assert graph.description.startswith(
        f"Imported from {'model.py:Net' if form == 'file' else 'model.Net'} with torch.fx")


def test_two_users_helpers_of_one_name_do_not_see_each_other(tmp_path):
    alice, bob = user_folder(tmp_path, "alice", 8), user_folder(tmp_path, "bob", 16)
    first = load_callable(f"{alice / 'model.py'}:Net")()
    second = load_callable(f"{bob / 'model.py'}:Net")()
    assert first.body.fc.out_features == 8 and second.body.fc.out_features == 16
    assert second(torch.randn(1, 4)).shape == (1, 2)
    assert inspect.getfile(type(first.body)) == str(alice / "helper.py")
    assert inspect.getfile(type(second.body)) == str(bob / "helper.py")
    by_name = load_callable("model:Net", search=[bob])()
    assert by_name.head.fc.in_features == 16


def test_a_file_that_fails_leaves_nothing_behind(tmp_path):
    folder = user_folder(tmp_path, "carol", 8)
    (folder / "model.py").write_text(MODEL + "\nraise ValueError('half-way')\n")
    before = set(sys.modules)
    from layerloom.graph import GraphError

    with pytest.raises(GraphError, match="importing module 'model' failed in its own code: "
                                         "half-way"):
        load_callable(f"{folder / 'model.py'}:Net")
    assert set(sys.modules) - before == set()


def test_a_package_imports_relatively_by_name_and_its_file_says_how(tmp_path, monkeypatch):
    package = tmp_path / "mypkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .nets import Net\n")
    (package / "layers.py").write_text(HELPER.format(width=8))
    (package / "nets.py").write_text(
        "from torch import nn\n\nfrom .layers import Block\n\n\nclass Net(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.body = Block()\n\n"
        "    def forward(self, x):\n        return self.body(x)\n")
    monkeypatch.chdir(tmp_path)
    assert load_callable("mypkg.nets:Net")()(torch.randn(1, 4)).shape == (1, 8)
    assert "mypkg" not in sys.modules and "mypkg.layers" not in sys.modules
    from layerloom.graph import GraphError

    with pytest.raises(GraphError) as caught:
        load_callable("mypkg/nets.py:Net")
    assert str(caught.value) == (
        "mypkg/nets.py imports its neighbours relatively (from .name import …), which works "
        "only in its package: give it by its module's name, mypkg.nets:NAME, here")


@pytest.mark.parametrize("form", ["file", "module"])
def test_a_helper_named_like_pythons_own_module_says_to_rename_it(tmp_path, monkeypatch, form):
    folder = tmp_path / "dave"
    folder.mkdir()
    (folder / "code.py").write_text(HELPER.format(width=8))  # Python's own `code` wins
    (folder / "net.py").write_text(MODEL.replace("from helper import WIDTH, Block",
                                                 "from code import Block")
                                   .replace("from parts.heads import Head", ""))
    monkeypatch.chdir(folder)
    from layerloom.graph import GraphError

    with pytest.raises(GraphError) as caught:
        load_callable("net.py:Net" if form == "file" else "net:Net")
    assert str(caught.value).endswith(
        "code.py in dave is named like Python's own module 'code', which is imported in its "
        "place; rename code.py (e.g. to my_code.py) and the imports of it")
