"""The Export page's training project: a zip of a folder that trains the design (or reruns a
run) with PyTorch, NumPy and Pillow alone (``layerloom.runtime.export_project``), checked before
its download appears like every other format."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from layerloom.graph.summary import format_bytes
from layerloom.runtime.export_project import (export_project, export_run_project,
                                              project_zip)

from .errors import export_failure
from .pagestate import PagesState

FORMAT = "project"
HELP = ("A folder that trains the model without LayerLoom, on one GPU or several (torchrun): "
        "model.py, train.py, data.py, config.json, the data and a README.")


@dataclass(frozen=True)
class BuiltProject:
    file_name: str
    data: bytes
    files: int
    data_kind: str
    seconds: float
    notes: tuple[str, ...]

    def check_line(self) -> str:
        data = "data as split arrays" if self.data_kind == "arrays" else \
            f"data read from the {self.data_kind} file"
        return (f"checked: model.py and data.py give LayerLoom's model and tensors · "
                f"{format_bytes(len(self.data))} ({self.files} files, {data}) · "
                f"{self.seconds:.1f} s")


def project_row(pages: PagesState, source) -> None:
    """The project's row under the other formats: build, then download the zip."""
    left, mid, right = st.columns([1, 2, 4], vertical_alignment="center")
    left.markdown(f"**{FORMAT}**")
    dataset, config = _inputs(pages, source)
    key = f"{source.key}/{FORMAT}/{json.dumps([dataset, config], sort_keys=True, default=str)}"
    built = pages.exports.get(FORMAT)
    if built is not None and built[0] == key:
        try:
            result = _cached(key, source, dataset, config)
        except Exception as err:  # noqa: BLE001 - shown in words on its row
            pages.exports.pop(FORMAT, None)
            right.error(export_failure(FORMAT, err))
            return
        mid.download_button(f"Download {result.file_name}", result.data,
                            file_name=result.file_name,
                            mime="application/zip", key=f"export.dl.{FORMAT}",
                            on_click="ignore", icon=":material/download:")
        right.caption(result.check_line())
        for note in result.notes:
            right.caption(f"note: {note}")
        return
    if mid.button("Build and check", key=f"export.build.{FORMAT}"):
        with st.spinner("Writing the project, checking its model and data against LayerLoom…"):
            try:
                _cached(key, source, dataset, config)
            except Exception as err:  # noqa: BLE001 - ProjectError, DataError…: in words
                pages.export_errors[FORMAT] = (key, export_failure(FORMAT, err))
                pages.exports.pop(FORMAT, None)
            else:
                pages.exports[FORMAT] = (key,)
                pages.export_errors.pop(FORMAT, None)
        st.rerun()
    failed = pages.export_errors.get(FORMAT)
    if failed is not None and failed[0] == key:
        right.error(failed[1])
    elif source.run_id is None and dataset is None:
        right.caption("The design names no dataset: pick one on the Data page (or export a "
                      "run).")
    else:
        right.caption(HELP)


def _inputs(pages: PagesState, source) -> tuple[dict | None, dict]:
    """For the design: the Data page's dataset (else the design's own) and the Train page's
    settings; a run brings its own."""
    if source.run_id is not None:
        return None, {}
    config = dict(pages.config or {})
    if pages.data is not None:
        choice = pages.data
        return {"source": choice.source, "seed": choice.seed,
                "val_fraction": choice.val_fraction, "test_fraction": choice.test_fraction,
                "options": dict(choice.options)}, config
    graph = json.loads(source.graph_json)
    name = graph.get("dataset") or (graph.get("extra") or {}).get("dataset")
    return ({"source": name} if name else None), config


@st.cache_resource(max_entries=4, show_spinner=False)
def _cached(key: str, _source, _dataset: dict | None, _config: dict) -> BuiltProject:
    """``key`` is the cache's identity; the other arguments (not hashed) say how to build."""
    source = _source
    name = f"{source.name}-project"
    with tempfile.TemporaryDirectory(prefix="layerloom-project-") as folder:
        path = Path(folder) / name
        if source.run_id is not None:
            result = export_run_project(source.run_id, path, db=source.db)
        else:
            if _dataset is None:
                raise ValueError("the design names no dataset: pick one on the Data page")
            result = export_project(source.graph_json, _dataset, path, _config,
                                    init_weights=getattr(source, "weights", None))
        data = project_zip(result.path)
    return BuiltProject(f"{name}.zip", data, len(result.files), result.data, result.seconds,
                        tuple(result.notes))
