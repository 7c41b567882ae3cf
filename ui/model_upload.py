"""The project panel's "Open a model (ONNX)": a user's own trained model, brought in from the
browser as ``layerloom import-onnx`` brings it in from the shell.

The file opens as a new project named after it, carrying the imported weights (the Train page
starts from them, the Export page exports them), laid out by the canvas. What the import says —
its blocks, how closely the design matches the file, the nodes frozen as in the model, where it
trains otherwise — is the new project's notice. A file that does not import leaves the open
design as it is and shows the importer's message (the ONNX node and what to do) under the
uploader, for as long as the file stays there.

Uploaded files are data: the ONNX file is a protobuf message, parsed within the upload budgets
(:mod:`layerloom.graph.import_torch.onnx_upload`); nothing in it is unpickled or run, and no
Python file is accepted.
"""

from __future__ import annotations

import math
from pathlib import Path

import streamlit as st

from layerloom.graph import GraphError

from . import state as session
from .fields import plain
from .state import DesignerState

LABEL = "Open a model (ONNX)"
HELP = ("Your trained model opens as a new project, with its weights: the Train page starts "
        "from them and the Export page exports them. A PyTorch model comes in as ONNX: "
        "`torch.onnx.export(model, x, 'model.onnx', input_names=['x'], output_names=['y'], "
        "dynamic_axes={'x': {0: 'batch'}, 'y': {0: 'batch'}})`, or from the shell with "
        "`layerloom import-torch` (Python files are never run here).")
FAILED = "open-model:failed"  # (the file's upload id, the message) of the last refused file


def uploader(state: DesignerState) -> None:
    """The uploader; a file put there is imported at once (with a spinner), and opens as a new
    project or leaves its message under the uploader."""
    from layerloom.graph.import_torch.onnx_upload import max_bytes

    upload = st.file_uploader(LABEL, type=["onnx"], key=f"open-model:{state.uploads}",
                              max_upload_size=math.ceil(max_bytes() / 2**20), help=HELP)
    if upload is None:
        st.session_state.pop(FAILED, None)
        return
    failed = st.session_state.get(FAILED)
    if failed is None or failed[0] != upload.file_id:  # a file not tried yet
        with st.spinner(f"Importing {plain(upload.name)}: each block is checked against the "
                        f"file's own results…"):
            problem = open_model(state, upload.name, upload.getvalue())
        if problem is None:
            st.rerun()  # the new project, from the top of the page
        failed = st.session_state[FAILED] = (upload.file_id, problem)
    st.error(f"Could not import {plain(upload.name)}; the current design is kept.\n\n"
             f"{plain(failed[1])}", icon=":material/error:")


def open_model(state: DesignerState, file: str, data: bytes) -> str | None:
    """Import the ONNX file ``file`` (its bytes ``data``) as a new project with its weights and
    make it this tab's, with the import's result as its notice; None. A file that does not
    import: the importer's message, and nothing is created."""
    from safetensors.torch import save as save_tensors

    from layerloom.graph.import_torch.onnx_upload import import_onnx_bytes
    from layerloom.graph.import_torch.trace import without_fx_notes
    from layerloom.graph.import_torch.training import import_warnings

    from .project_panel import unique_name

    file = Path(file).name
    name = unique_name(state.store, Path(file).stem.strip()[:64] or "imported")
    try:
        with import_warnings() as said:
            graph, weights, diff = import_onnx_bytes(data, file, name=name)
    except GraphError as exc:
        return without_fx_notes(str(exc))
    except MemoryError:
        return f"{file}: the model needs more memory than this machine has to import"
    for node in graph.nodes:  # the canvas lays out a design without positions, fitted to it
        node.position = None
    weights = {key: value.detach().contiguous() for key, value in weights.items()}
    other = session.new_project(state, graph, f"The project of {file}")
    if other is None:
        return None  # said in the design's notices
    state.uploads += 1
    other.uploads = state.uploads  # the uploaders start empty in the new project
    other.store.set_weights(other.project_id, save_tensors(weights))
    blocks = sum(n.type not in ("Input", "Output") for n in graph.nodes)
    warned = [line.split(": ", 1)[1] for line in said if line.startswith("warning: ")]
    noted = [line.split(": ", 1)[1] for line in said if line.startswith("note: ")]
    other.notify("warning" if warned else "success",
                 f"Opened {file} as the new project “{graph.name}”: {blocks} blocks, matches "
                 f"the model (max abs diff {diff:.2e}); its {len(weights)} weight tensors are "
                 f"stored with the design, so training and export start from them.",
                 [f"Trains differently: {text}" for text in warned] +
                 [f"Note: {text}" for text in noted])
    return None
