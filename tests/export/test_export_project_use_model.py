"""A run's exported project: its README's "To use the model" code, run as it stands in the
folder as exported, gives the run's model. It loaded ``output/weights.pt``, which only
``train.py`` writes, so a user who exported the trained run to use it met FileNotFoundError;
the run's own weights are ``weights.pt``."""

from __future__ import annotations

import json
import re

import numpy as np
import torch

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, train
from layerloom.runtime.export_project import export_run_project


def _use_the_model(readme: str) -> str:
    block = readme.split("To use the model:", 1)[1]
    return re.search(r"```python\n(.*?)```", block, re.S).group(1)


def test_the_readme_code_loads_the_runs_trained_weights(tmp_path, isolated):
    store = RunStore(tmp_path / "home" / "runs.db")
    graph = load_template("mlp-tabular")
    graph.variables.update(hidden=8)
    result = train(graph, "iris", {"epochs": 1, "batch_size": 16, "seed": 3}, store=store)
    project = export_run_project(result.run_id, tmp_path / "project", db=store).path
    x = torch.randn(5, 4)
    np.save(project / "x.npy", x.numpy())
    code = ("import sys; sys.path.insert(0, '')\n" + _use_the_model(
        (project / "README.md").read_text()) + "import numpy as np\n"
        "print(model(torch.from_numpy(np.load('x.npy'))).tolist())\n")
    done = isolated(code, project)
    assert done.returncode == 0, done.stderr
    with torch.no_grad():
        want = result.model.eval()(x)
    np.testing.assert_allclose(json.loads(done.stdout), want.numpy(), atol=1e-6)
