"""The bundle: one zip with the graph, code, weights, TorchScript, ONNX, a predict.py and a card.

Each model file is written and checked as its own format would be; TorchScript and ONNX are
included where they succeed (the card says why one is missing), the graph, code and weights
always (their failure fails the bundle). The zip's CRCs are checked once it is written.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from .card import curves_html, model_card
from .errors import ExportError
from .reference import Reference
from .run import RunInfo

PARTS = (("graph.json", "json"), ("weights.safetensors", "safetensors"), ("model.py", "python"),
         ("model.torchscript.pt", "torchscript"), ("model.onnx", "onnx"))
OPTIONAL = ("torchscript", "onnx")
TEXT = (".md", ".py", ".json", ".html")
PREDICT = Path(__file__).with_name("predict_script.py")


def write_bundle(ref: Reference, path: Path, run: RunInfo | None,
                 atol: float) -> tuple[list[Path], float, dict]:
    from . import write_checked

    data = (run.dataset if run is not None else None) or {}
    if data.get("unavailable"):  # predict.py would read raw input and print bare numbers
        raise ExportError("bundle", f"run {run.run_id} was trained on {data.get('source')}, "
                          f"which cannot be read again ({data['unavailable']}); the bundle's "
                          f"predict.py needs the class names, normalisation and vocabulary "
                          f"it gives. Put the data back where it was and export again (the "
                          f"other formats need no data)")
    folder = path.parent / "bundle"
    folder.mkdir()
    files: dict[str, dict] = {}
    skipped: dict[str, str] = {}
    notes: dict = {}
    for filename, fmt in PARTS:
        try:
            written, diff, part_notes = write_checked(ref, fmt, folder / filename, atol,
                                                      label=f"bundle/{fmt}")
        except ExportError as exc:
            if fmt not in OPTIONAL:
                raise
            skipped[filename] = str(exc)
            continue
        for extra in written[1:]:  # the python format's own weights: weights.safetensors has them
            extra.unlink()
        files[filename] = {"bytes": (folder / filename).stat().st_size, "max_abs_diff": diff,
                           "takes": part_notes.get("sizes")}
        notes.update({f"{fmt}.{k}": v for k, v in part_notes.items()})
    manifest = _manifest(ref, run, files, skipped, notes.get("python.class"))
    texts = {"manifest.json": json.dumps(manifest, indent=2) + "\n",
             "predict.py": PREDICT.read_text(encoding="utf-8")}
    if run is not None:
        texts["config.json"] = json.dumps(run.config, indent=2, default=str) + "\n"
        texts["metrics.json"] = json.dumps(run.metrics, indent=2, default=str) + "\n"
        html = curves_html(run) if run.curves else None
        if html:
            texts["curves.html"] = html
    for i, example in enumerate(run.examples if run is not None else [], start=1):
        (folder / f"gradcam-{i}.png").write_bytes(example["png"])
    texts["README.md"] = model_card(ref, manifest, run)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    _zip(folder, path)
    diffs = {name: info["max_abs_diff"] for name, info in files.items()}
    return [path], max(diffs.values()), {"parts": diffs, "skipped": skipped,
                                         "members": sorted(p.name for p in folder.iterdir()),
                                         "sizes": takes(files),
                                         "fixed_length": any(notes.get(f"{fmt}.fixed_length")
                                                             for _, fmt in PARTS)}


def takes(files: dict) -> str:
    """What sizes the bundle's model files take: one sentence where they all take the same,
    else each file's (a TorchScript file that keeps a text length free, an ONNX file that
    fixes it)."""
    said = {name: info["takes"] for name, info in files.items() if info.get("takes")}
    if len(set(said.values())) <= 1:
        return next(iter(said.values()), "")
    return "; ".join(f"{name}: {text}" for name, text in said.items())


def _zip(folder: Path, path: Path) -> None:
    order = ["README.md", "predict.py", "manifest.json"]
    members = sorted(folder.iterdir(), key=lambda p: (p.name not in order,
                                                      order.index(p.name) if p.name in order
                                                      else 0, p.name))
    with zipfile.ZipFile(path, "w") as archive:
        for member in members:
            # weights barely compress and take long to try: stored; text deflated
            packed = zipfile.ZIP_DEFLATED if member.suffix in TEXT else zipfile.ZIP_STORED
            archive.write(member, member.name, compress_type=packed)
    with zipfile.ZipFile(path) as archive:
        bad = archive.testzip()
        if bad is not None:
            raise ExportError("bundle", f"{bad} is corrupt in the written zip")


def _manifest(ref: Reference, run: RunInfo | None, files: dict, skipped: dict,
              cls: str | None) -> dict:
    data = (run.dataset if run is not None else None) or {}
    config = (run.config if run is not None else None) or {}
    top = ref.resolution.top
    last = [top.nodes[top.nodes[o].inputs[0]].type for o in top.outputs if top.nodes[o].inputs]
    task = data.get("task") or config.get("task") or ref.graph.extra.get("task")
    return {
        "format": "layerloom-bundle", "version": 1, "name": ref.graph.name, "class": cls,
        "task": task, "classes": data.get("classes"),
        "inputs": [{"id": s.id, "name": s.name, "shape": list(s.shape), "dtype": s.dtype}
                   for s in ref.inputs],
        "outputs": [{"name": name, "shape": list(shape)}
                    for name, shape in zip(ref.outputs, ref.summary.outputs)],
        "output_is_log_probs": bool(last) and last[0] == "LogSoftmax",
        "output_is_probs": bool(last) and last[0] == "Softmax",
        # the column a regression predicts (a table's), which predict.py names in its answer
        "target": _target(data) if task == "regression" else None,
        "preprocessing": _preprocessing(ref, data),
        "files": files, "skipped": skipped,
        "run_id": run.run_id if run is not None else None,
    }


def _target(data: dict) -> str | None:
    target = (data.get("meta") or {}).get("target")
    return target if isinstance(target, str) else None


def _preprocessing(ref: Reference, data: dict) -> dict:
    """How predict.py turns a file into the model's input, as the training data was made."""
    spec = ref.inputs[0]
    if spec.dtype == "int64":
        kind = "text"
    elif len(spec.shape) == 3 and spec.shape[0] in (1, 3):
        kind = "image"
    elif len(spec.shape) == 1:
        kind = "tabular"
    else:
        kind = "array"
    prep: dict = {"kind": kind}
    given = data.get("preprocessing") or {}  # the runtime's own record, when there is one
    norm = data.get("normalization")
    if isinstance(norm, dict) and kind != "text":
        prep["normalization"] = norm
    if kind == "text" and data.get("vocab"):
        prep["vocab"] = list(data["vocab"])
        for key in ("token_pattern", "lowercase"):
            if key in given:
                prep[key] = given[key]
        column = (data.get("meta") or {}).get("text_column")
        if isinstance(column, str):  # a CSV of texts given to predict.py is read by this column
            prep["text_column"] = column
    scale = (data.get("meta") or {}).get("scale")  # what training divided 8-bit images by
    if kind != "text" and isinstance(scale, (int, float)) and scale > 0:
        prep["scale"] = float(scale)
    if kind == "image" and given.get("digit"):  # digits made as MNIST's: prepared so
        prep["digit"] = dict(given["digit"])
    columns = given.get("columns") or (data.get("meta") or {}).get("columns")
    if kind == "tabular" and columns:
        prep["columns"] = columns
        if given.get("missing") is not None:
            prep["missing"] = list(given["missing"])
    return prep
