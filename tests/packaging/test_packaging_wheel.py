"""The installed wheel is a first-class target: build it from the source tree (with no
warnings), install it into a fresh virtual environment that reuses this one's torch and other
dependencies, and check from there that every page of the app draws and that the CLI works end
to end (validate, summary, codegen, a one-epoch run, export).

A wheel that left out a folder of data files (the live-chart frontend once) gave an app with
only two of its six pages; nothing but an installed wheel shows that.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("designer", "data", "train", "results", "runs", "export", "help")

pytestmark = pytest.mark.slow


def _source_files() -> list[str]:
    """The files a clone holds: tracked plus untracked-but-not-ignored (git), else the tree
    without the usual build and environment folders."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], cwd=ROOT, capture_output=True, check=True,
                             timeout=60).stdout.decode()
        return [f for f in out.split("\0") if f and (ROOT / f).is_file()]
    skip = {".git", ".venv", "node_modules", "build", "dist", "__pycache__", ".pytest_cache"}
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(ROOT).parts)
            and not any(part.endswith(".egg-info") for part in p.parts)]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, str]:
    """(the wheel, the build's output), built from a copy of the source tree so that the
    working tree gets no build/ or egg-info folders."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for name in _source_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--no-index", "-w", str(tmp / "dist"),
                           str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list((tmp / "dist").glob("layerloom-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0], proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed; this environment's site-packages
    are on its path (after its own) for torch and the other dependencies, but not its .pth
    files, so the editable install of the source tree is not seen."""
    env = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True,
                   timeout=120)
    python = env / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"], capture_output=True,
                             text=True, check=True, timeout=60).stdout.strip()
    ours = dict.fromkeys(site.getsitepackages() + [sysconfig.get_paths()["purelib"]])
    Path(purelib, "reuse-dependencies.pth").write_text("\n".join(ours) + "\n")
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--no-deps", "--no-index", "-q", str(wheel[0])],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return env


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(LAYERLOOM_HOME=str(home), PYTHONNOUSERSITE="1")
    return env


def test_the_build_prints_no_warnings(wheel):
    _, output = wheel
    noisy = [line for line in output.splitlines()
             if re.search(r"warning|would be ignored|deprecat", line, re.I)]
    assert noisy == []


def test_the_wheel_holds_every_data_folder(wheel):
    names = set(zipfile.ZipFile(wheel[0]).namelist())
    for needed in ("layerloom/ui/livechart/frontend/src/index.html",
                   "layerloom/ui/livechart/frontend/src/main.js",
                   "layerloom/ui/livechart/frontend/src/plotly-cartesian.min.js",
                   "layerloom/ui/canvas/frontend/build/index.html",
                   "layerloom/assets/templates/seed-cnn.json",
                   "layerloom/graph/export/predict_script.py",
                   "layerloom/runtime/csrc/conv_pool_relu.c"):
        assert needed in names
    assert any(re.fullmatch(r"layerloom/ui/canvas/frontend/build/assets/index-.*\.js", n)
               for n in names)
    # Each page module, and nothing of the source tree's tooling or node modules.
    for page in PAGES:
        assert f"layerloom/ui/pages/{page}.py" in names
    assert not [n for n in names if "node_modules" in n or "/tests/" in n or n.endswith(".png")]


PAGE_CHECK = r'''
import json, sys
from pathlib import Path

import layerloom
from streamlit.testing.v1 import AppTest

out = {"package": layerloom.__file__}
import layerloom.ui.canvas as canvas, layerloom.ui.livechart as livechart
from layerloom.runtime import native
out["components"] = [(Path(canvas._BUILD_DIR) / "index.html").is_file(),
                     (Path(livechart._STATIC_DIR) / "index.html").is_file(),
                     (native.SOURCES / "conv_pool_relu.c").is_file()]


PAGE = """
import streamlit as st
from layerloom.graph.templates import load_template
from layerloom.ui.pages import {name} as page
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState

if "app" not in st.session_state:
    st.session_state.app = DesignerState.new(ProjectStore(), load_template("seed-cnn"))
page.render(st.session_state.app)
"""


pages = {}
for name in sys.argv[1:]:
    at = AppTest.from_string(PAGE.format(name=name), default_timeout=90)
    at.run()
    pages[name] = {"exception": [e.value for e in at.exception],
                   "error": [e.value for e in at.error],
                   "elements": len(list(at.main))}
out["pages"] = pages
at = AppTest.from_string("from layerloom.ui.app import main\nmain()\n", default_timeout=90)
at.run()
out["app"] = {"exception": [e.value for e in at.exception], "error": [e.value for e in at.error]}
from layerloom.ui import app
import importlib
out["navigation"] = [title for module, title, _icon in app.OTHER_PAGES
                     if importlib.import_module(f"layerloom.ui.pages.{module}")]
print(json.dumps(out))
'''


def test_every_page_of_the_installed_app_draws(venv, tmp_path):
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", PAGE_CHECK, *PAGES],
                          capture_output=True, text=True, cwd=tmp_path, env=_env(tmp_path),
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["package"]).is_relative_to(venv), out["package"]  # not the source tree
    assert out["components"] == [True, True, True]
    for name in PAGES:
        page = out["pages"][name]
        assert page["exception"] == [] and page["error"] == [], (name, page)
        assert page["elements"] > 0, name
    assert out["app"] == {"exception": [], "error": []}
    assert out["navigation"] == ["Data", "Train", "Results", "Runs", "Export", "Help"]
    assert "No such component directory" not in proc.stderr


def test_the_installed_cli_works_end_to_end(venv, tmp_path):
    home = tmp_path / "home"
    env = _env(home)
    cli = str(venv / "bin" / "layerloom")

    def run(*args, ok=True):
        proc = subprocess.run([cli, *args], capture_output=True, text=True, cwd=tmp_path,
                              env=env, timeout=300)
        if ok:
            assert proc.returncode == 0, (args, proc.stdout, proc.stderr)
        return proc

    assert run("new", "-t", "mlp-tabular", "-o", "g.json").returncode == 0
    assert "valid" in run("validate", "g.json").stdout
    summary = json.loads(run("summary", "g.json", "--json").stdout)
    assert summary["params"] > 0 and summary["inputs"] == [[4]]
    run("codegen", "g.json", "-o", "model.py")
    assert "import torch" in (tmp_path / "model.py").read_text()
    out = json.loads(run("train", "g.json", "--dataset", "iris", "--epochs", "1",
                         "--json").stdout)
    assert out["status"] == "completed" and out["run_id"] == 1
    assert "test_accuracy" in out["metrics"]
    runs = json.loads(run("runs", "--json").stdout)
    assert [r["id"] for r in runs] == [1]
    run("export", "g.json", "-f", "onnx", "-o", "g.onnx")
    assert (tmp_path / "g.onnx").stat().st_size > 1000
    home_flag = ["--home", str(home)] if "--home" in run("export", "--help").stdout \
        else ["--db", str(home / "runs.db")]
    run("export", "1", "-f", "bundle", "-o", "bundle.zip", *home_flag)
    names = zipfile.ZipFile(tmp_path / "bundle.zip").namelist()
    assert any(n.endswith("predict.py") for n in names)
    assert run(ok=False).returncode == 2  # bare `layerloom`: help, and argparse's usage exit code


def test_python_run_in_the_checkout_after_pip_install_finds_every_subpackage(venv, tmp_path):
    """The README's "With pip" installs from the clone, and a user goes on there: `python -m
    layerloom`, or the Python API (`from layerloom.graph import load_graph`). Python puts the
    current folder first on its path, so the clone's layerloom/ (the package root) shadows the
    installed package; its sub-packages are the clone's sibling folders, and were not found
    (ModuleNotFoundError: No module named 'layerloom.graph'); `layerloom app` printed its URL
    and its server, `python -m layerloom.ui.serve`, ended at once for the same reason."""
    env = _env(tmp_path)
    python = str(venv / "bin" / "python")
    proc = subprocess.run([python, "-c", "from layerloom.graph import load_graph, validate\n"
                           "from layerloom.runtime import TrainConfig\n"
                           "import importlib.util, layerloom.graph\n"
                           "assert importlib.util.find_spec('layerloom.ui.serve')  # the app\n"
                           "print(layerloom.graph.__file__)"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert Path(proc.stdout.strip()) == ROOT / "graph" / "__init__.py"  # the clone's, whole
    proc = subprocess.run([python, "-m", "layerloom", "templates"], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)
    assert proc.returncode == 0 and "seed-cnn" in proc.stdout, proc.stderr[-2000:]


def test_a_rebuild_leaves_out_what_the_checkout_no_longer_has(tmp_path):
    """`git pull` then `pip install .` again: setuptools builds in the clone's build/lib, kept
    from the install before, and packed whatever was left there, so a module or template
    deleted upstream was installed still (a stale template listed by `layerloom templates`)."""
    src = tmp_path / "src"
    for name in _source_files():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, src / name)
    stale = [src / "build" / "lib" / "layerloom" / "graph" / "removed_upstream.py",
             src / "build" / "lib" / "layerloom" / "assets" / "templates" / "removed.json"]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                           "--no-build-isolation", "--no-index", "-w", str(tmp_path / "dist"),
                           str(src)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = set(zipfile.ZipFile(next((tmp_path / "dist").glob("layerloom-*.whl"))).namelist())
    assert "layerloom/graph/io.py" in names
    assert not {"layerloom/graph/removed_upstream.py",
                "layerloom/assets/templates/removed.json"} & names
