"""Results and Export open on the project's latest COMPLETED run (not the newest run when it was
stopped half-way) and say which run they show."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

from streamlit.testing.v1 import AppTest

from layerloom.runtime import RunStore
from layerloom.ui.pages.results import default_run, showing

TIMEOUT = 60


def captions(at) -> list[str]:
    """The captions' text, without the dot in the run's colour that leads a run's caption."""
    return [re.sub(r'^<span style="color:#[0-9A-Fa-f]{6}"[^>]*>●</span> ', "", c.value)
            for c in at.caption]


def run(id, status, project="p1", ended=None, name="seed-cnn"):
    return SimpleNamespace(id=id, status=status, project=project, ended=ended, created=ended,
                           name=name)


def test_the_default_is_the_projects_latest_completed_run():
    runs = [run(5, "stopped", ended=50), run(4, "completed", "p2", ended=40),
            run(3, "completed", ended=30), run(2, "completed", ended=35, project="p1"),
            run(1, "failed", ended=10)]
    assert default_run(runs, "p1").id == 2  # finished last among p1's completed runs
    assert default_run(runs, "p3").id == 4  # no run of its own: the latest completed
    assert default_run([run(5, "stopped"), run(4, "failed")], "p1").id == 5


def test_showing_says_which_run_and_when_it_finished():
    ended = time.mktime((2026, 12, 4, 19, 42, 0, 0, 0, -1))
    text = showing(run(12, "completed", ended=ended))
    assert text.startswith("Showing run #12 “seed-cnn” finished ")
    assert text.endswith("19:42")
    assert "stopped half-way" in showing(run(3, "stopped", ended=ended))
    cut = run(4, "stopped", ended=ended)
    cut.config, cut.progress = {"epochs": 40}, {"epoch": 10, "epochs": 40}
    assert showing(cut).startswith("Showing run #4 “seed-cnn” stopped after 10 of 40 epochs ")


def _runs(home, monkeypatch, project: str) -> tuple[int, int]:
    """A completed run, then a newer one stopped half-way, both of ``project``."""
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))
    store = RunStore()
    done = store.create_run("finished-one", {}, {"source": "iris"}, {}, project=project)
    store.set_status(done, "completed", "finished 2 epochs", checkpoint=str(home / "a.pt"))
    cut = store.create_run("cut-one", {}, {"source": "iris"}, {}, project=project)
    store.set_status(cut, "stopped", "stopped at epoch 1", checkpoint=str(home / "b.pt"))
    return done, cut


def _page(module: str, pid_holder: dict) -> AppTest:
    def script(name: str = "", pid: str = ""):
        import streamlit as st

        import importlib

        from layerloom.ui.projects import ProjectStore
        from layerloom.ui.state import DesignerState

        if "app" not in st.session_state:
            st.session_state.app = DesignerState.open(ProjectStore(), pid)
        importlib.import_module(f"layerloom.ui.pages.{name}").render(st.session_state.app)

    return AppTest.from_function(script, kwargs={"name": module, **pid_holder},
                                 default_timeout=TIMEOUT)


def _project(home, monkeypatch) -> str:
    from layerloom.graph.templates import load_template
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    monkeypatch.setenv("LAYERLOOM_HOME", str(home))
    return DesignerState.new(ProjectStore(), load_template("mlp-tabular")).project_id


def test_results_opens_on_the_completed_run_and_names_it(tmp_path, monkeypatch):
    pid = _project(tmp_path, monkeypatch)
    done, cut = _runs(tmp_path, monkeypatch, pid)
    at = _page("results", {"pid": pid}).run()
    assert not at.exception
    assert at.selectbox(key="results.run").value == done
    caption = next(c for c in captions(at) if c.startswith("Showing run"))
    assert caption.startswith(f"Showing run “finished-one #{done}” finished ")
    assert caption.endswith("— choose another:")
    at.selectbox(key="results.run").select(cut).run()
    assert any(c.startswith(f"Showing run “cut-one #{cut}” stopped half-way")
               for c in captions(at))


def test_the_run_just_trained_is_shown_next_on_results_and_export(tmp_path, monkeypatch):
    """A newcomer trains (a completed run), then trains again and stops it: Results and
    Export show the run just trained (the one the Train page shows), not the older completed
    one; without it they show the completed one."""
    from layerloom.ui.pagestate import pages_of
    from layerloom.ui.projects import ProjectStore
    from layerloom.ui.state import DesignerState

    pid = _project(tmp_path, monkeypatch)
    (tmp_path / "a.pt").write_bytes(b"")
    (tmp_path / "b.pt").write_bytes(b"")
    done, cut = _runs(tmp_path, monkeypatch, pid)
    for page, key in (("results", "results.run"), ("export", "export.run")):
        at = _page(page, {"pid": pid})
        state = DesignerState.open(ProjectStore(), pid)
        pages_of(state).run_id = cut  # what the Train page shows after Start, then Stop
        at.session_state["app"] = state
        at.run()
        if page == "export":
            at.radio(key="export.source").set_value(at.radio(key="export.source").options[1])
            at.run()
        assert at.selectbox(key=key).value == cut, page
        assert at.selectbox(key=key).value != done


def test_export_of_a_run_opens_on_the_completed_run(tmp_path, monkeypatch):
    pid = _project(tmp_path, monkeypatch)
    (tmp_path / "a.pt").write_bytes(b"")
    (tmp_path / "b.pt").write_bytes(b"")
    done, _ = _runs(tmp_path, monkeypatch, pid)
    at = _page("export", {"pid": pid}).run()
    at.radio(key="export.source").set_value(at.radio(key="export.source").options[1]).run()
    assert at.selectbox(key="export.run").value == done
    assert any(c.startswith(f"Showing run “finished-one #{done}” finished")
               for c in captions(at))


def test_export_opens_on_the_projects_trained_run_not_on_fresh_weights(tmp_path, monkeypatch):
    """Right after training, a newcomer clicking ONNX must get the trained model: the page
    opens on the project's latest completed run; the design stays a choice, said untrained."""
    from layerloom.ui.pages import export

    pid = _project(tmp_path, monkeypatch)
    (tmp_path / "a.pt").write_bytes(b"")
    (tmp_path / "b.pt").write_bytes(b"")
    done, _ = _runs(tmp_path, monkeypatch, pid)
    at = _page("export", {"pid": pid}).run()
    assert not at.exception
    radio = at.radio(key="export.source")
    assert radio.value == export.RUN
    assert radio.options == ["The current design, untrained (fresh weights)",
                             "A run (trained weights)"]
    assert at.selectbox(key="export.run").value == done
    # the user may still export the design: its files are said to be untrained
    radio.set_value(export.DESIGN).run()
    assert not at.exception
    assert any(c.value.startswith(":material/warning: Untrained: these files hold fresh random "
                                  "weights") for c in at.caption)
    at.run()  # the choice holds: the page no longer picks for the user
    assert at.radio(key="export.source").value == export.DESIGN


def test_export_opens_on_the_design_without_a_trained_run_of_the_project(tmp_path,
                                                                          monkeypatch):
    from layerloom.ui.pages import export

    pid = _project(tmp_path, monkeypatch)
    (tmp_path / "a.pt").write_bytes(b"")
    store = RunStore()
    other = store.create_run("other", {}, {"source": "iris"}, {}, project="someone-else")
    store.set_status(other, "completed", "finished", checkpoint=str(tmp_path / "a.pt"))
    at = _page("export", {"pid": pid}).run()
    assert not at.exception
    assert at.radio(key="export.source").value == export.DESIGN


def test_the_trained_run_prefers_one_of_the_current_design():
    from layerloom.graph.templates import load_template
    from layerloom.ui.pages.export import trained_run

    graph = load_template("mlp-tabular")
    edited = load_template("mlp-tabular")
    edited.variables["hidden"] = 7

    def made(id, design, ended, project="p1", status="completed"):
        return SimpleNamespace(id=id, status=status, project=project, ended=ended,
                               created=ended, checkpoint="x.pt", graph=design.to_dict())

    runs = [made(3, edited, 30), made(2, graph, 20), made(1, graph, 10),
            made(4, graph, 40, project="p2"), made(5, graph, 50, status="stopped")]
    assert trained_run(runs, "p1", graph).id == 2  # the latest of this very design
    assert trained_run(runs, "p1", edited).id == 3
    other = load_template("seed-cnn")
    assert trained_run(runs, "p1", other).id == 3  # none of it: the project's latest
    assert trained_run(runs, "p3", graph) is None
