"""LayerLoom writes only under its home and needs no network: onnxruntime (1.29 and newer, on
Linux too) wrote a device id under ``~/.cache/Microsoft/DeveloperTools`` and sent usage events
as it was imported, and under a read-only home every ONNX export printed its coloured warning
("Failed to persist telemetry device ID"). LayerLoom turns its telemetry off
(``ORT_DISABLE_TELEMETRY``) unless the user has set it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # a real export in a fresh process (~5 s)


def _export(tmp_path, **env) -> subprocess.CompletedProcess:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    clean = {k: v for k, v in os.environ.items()
             if k not in ("ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME")}
    return subprocess.run(
        [sys.executable, "-m", "layerloom", "export", "mlp-tabular", "-f", "onnx", "-o",
         str(tmp_path / "m.onnx")],
        env={**clean, "HOME": str(home), "LAYERLOOM_HOME": str(tmp_path / "ll"), **env},
        cwd=tmp_path, capture_output=True, text=True, timeout=300)


def test_an_onnx_export_writes_nothing_outside_its_output_and_home(tmp_path):
    done = _export(tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.onnx").is_file()
    assert list((tmp_path / "home").iterdir()) == []  # no .cache/Microsoft/DeveloperTools
    assert "telemetry" not in done.stderr


def test_a_user_who_sets_the_variable_is_left_alone(tmp_path):
    done = subprocess.run([sys.executable, "-c", "import os, layerloom; "
                           "print(os.environ['ORT_DISABLE_TELEMETRY'])"],
                          env={**os.environ, "ORT_DISABLE_TELEMETRY": "0"},
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "0", done.stderr
