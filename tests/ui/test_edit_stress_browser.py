"""No edit lost or altered with several people editing at once (issue 18), in Chromium: the
short version of benchmarks/edit_stress_bench.py (which see): 2 users, each in a browser of
their own (so a project of their own), a palette drop followed at once by a click on conv2,
and conv2's out_channels typed in the inspector, one edit every 2 s for ~30 s; the design is
read back from disk after every edit and every save must be one of the user's edits."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "edit_stress_bench.py"


def _bench():
    spec = importlib.util.spec_from_file_location("edit_stress_bench", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_two_people_editing_at_once_lose_and_alter_nothing(app_home, streamlit_app):
    pytest.importorskip("playwright.async_api")
    bench = _bench()
    with streamlit_app(["layerloom.ui.serve"], home=app_home) as url:
        result = bench.stress(url, app_home, users=2, seconds=30, interval=2.0)
    details = result["details"]
    assert result["projects"] == 2, details  # each browser its own project
    assert result["edits"] >= 8, details
    assert result["lost"] == 0, details
    assert result["altered"] == 0, details
    assert result["unaccounted"] == 0, details
    assert result["page_errors"] == 0, details
    assert result["driver_errors"] == 0, details
    assert result["canvas_recreated"] == 0, details  # it would drop what it has not sent
    assert result["applied"] + result["refused"] == result["edits"]
    assert result["applied"] >= result["edits"] - 1, details  # refusals are rare, and said
    # every save is an edit: one line per applied edit, plus each project's creation
    assert result["saves"] == result["applied"] + 2, details
