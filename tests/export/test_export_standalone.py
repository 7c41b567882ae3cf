"""TorchScript and generated code run where LayerLoom is not installed."""

from __future__ import annotations

import numpy as np
import torch

from layerloom.graph import compile_graph
from layerloom.graph.export import export_model
from layerloom.graph.templates import load_template

CHECK = """
import sys
import numpy as np, torch
from safetensors.torch import load_file
sys.path.insert(0, ".")
for name in sys.argv[1:]:
    x = torch.from_numpy(np.load(f"{name}.x.npy"))
    want = np.load(f"{name}.y.npy")
    scripted = torch.jit.load(f"{name}.pt").eval()
    import importlib
    module = importlib.import_module(name.replace("-", "_"))
    cls = getattr(module, open(f"{name}.class").read())
    coded = cls().eval()
    coded.load_state_dict(load_file(f"{name}.safetensors"), strict=True)
    with torch.no_grad():
        for label, model in (("torchscript", scripted), ("python", coded)):
            diff = float(np.abs(model(x).numpy() - want).max())
            assert diff < 1e-5, (name, label, diff)
            print(name, label, "ok", diff)
assert not any(m.startswith("layerloom") for m in sys.modules), "layerloom was imported"
"""


def test_torchscript_and_generated_code_need_no_layerloom(tmp_path, isolated):
    names = ["resnet-mini", "transformer-text"]  # composites; custom modules from graph/modules
    for name in names:
        graph = load_template(name)
        if name == "transformer-text":
            graph.variables.update(d_model=16, heads=2, layers=1, vocab=50)  # quick to export
        torch.manual_seed(0)
        trained = compile_graph(graph).state_dict()
        model = compile_graph(graph).eval()
        model.load_state_dict(trained)
        ts = export_model(graph, "torchscript", tmp_path / f"{name}.pt", trained)
        py = export_model(graph, "python", tmp_path / f"{name.replace('-', '_')}.py", trained)
        py.files[1].rename(tmp_path / f"{name}.safetensors")
        (tmp_path / f"{name}.class").write_text(py.notes["class"])
        assert ts.max_abs_diff < 1e-5
        shape = (4, *compile_graph(graph).layerloom_summary.inputs[0])
        x = torch.randint(0, 50, shape) if name == "transformer-text" else torch.randn(shape)
        with torch.no_grad():
            np.save(tmp_path / f"{name}.x.npy", x.numpy())
            np.save(tmp_path / f"{name}.y.npy", model(x).numpy())
    done = isolated(CHECK, tmp_path, *names)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.count(" ok ") == 4
