"""The model card (README.md) and the loss curves (a self-contained Plotly HTML file)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

from ..code_header import description_left_out
from .reference import Reference
from .run import RunInfo


def model_card(ref: Reference, manifest: dict, run: RunInfo | None) -> str:
    graph, summary = ref.graph, ref.summary
    lines = [f"# {_text(graph.name)}", ""]
    if graph.description:
        # a template's words about the data it was sized for, unless they are true of this model
        why = description_left_out(graph, ref.resolution.top, ref.data,
                                   f"{ref.data}, the data this model was trained on")
        lines += [f"*(The design's description is left out: {_text(why)}.)*"
                  if why else _paragraphs(graph.description.strip()), ""]
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    origin = (f"run {run.run_id}" + (f" ({_text(run.name)})" if run.name else "")
              if run is not None and run.run_id is not None else
              "trained weights" if run is not None else
              f"fresh, untrained weights (seed {manifest.get('seed', 0)})")
    lines += [f"Exported by LayerLoom on {when} from {origin}.", ""]
    lines += _what(ref, manifest)
    lines += _expected_input(manifest)
    lines += _layers(summary)
    lines += _data(run, ref, manifest)
    lines += _metrics(run)
    lines += _examples(run)
    lines += _usage(ref, manifest)
    lines += _files(manifest, run)
    return "\n".join(lines).rstrip() + "\n"


def _what(ref: Reference, manifest: dict) -> list[str]:
    s = ref.summary
    rows = ["## What the model is", "",
            f"- Task: {_text(manifest.get('task') or 'not stated')}",
            f"- Parameters: {s.params:,}",
            f"- Multiply-accumulates per sample: {s.macs:,}"]
    for spec in ref.inputs:
        rows.append(f"- Input `{spec.name}`: shape `[batch, {', '.join(map(str, spec.shape))}]`, "
                    f"{spec.dtype}")
    holds = _holds(manifest)
    for i, (name, shape) in enumerate(zip(ref.outputs, s.outputs)):
        rows.append(f"- Output `{name}`: shape `[batch, {', '.join(map(str, shape))}]`"
                    + (f"; {holds}" if i == 0 and holds else ""))
    if manifest.get("classes"):
        classes = manifest["classes"]
        shown = ", ".join(_text(c) for c in classes[:20]) + (" …" if len(classes) > 20 else "")
        rows.append(f"- Classes ({len(classes)}): {shown}")
    return rows + [""]


def _holds(manifest: dict) -> str:
    """What a classifier's first output holds, whatever its name says (seed-cnn's Output is
    called ``probs``, as in the design note, and gives scores before a softmax)."""
    if manifest.get("task") != "classification":
        return ""
    if manifest.get("output_is_probs"):
        return "class probabilities (they sum to 1)"
    if manifest.get("output_is_log_probs"):
        return "log-probabilities of the classes (`exp` gives probabilities)"
    return ("logits: a score per class before softmax, not probabilities (`softmax` over the "
            "last axis gives them; `predict.py` does)")


def _expected_input(manifest: dict) -> list[str]:
    """What to feed the model: shape, how a file is read, range, polarity, normalisation (the
    same sentences as ``predict.py --help``)."""
    from .predict_script import expected_input, input_files

    # column names and categories come from the user's data: no tag may come through
    return ["## Expected input", ""] + [f"- {_html(line)}" for line in expected_input(manifest)] + [
        "", "`python predict.py FILE` reads these files (`--help` says the same):", ""] + [
        f"- {_html(line)}" for line in input_files(manifest)] + [
        "", "`predict.py` warns when an input is far from the training data (for an image, "
        "its average far from the training images', as an inverted one is).", ""]


def _layers(summary) -> list[str]:
    rows = ["## Layers", "", "| node | type | output shape | params | MACs |",
            "| --- | --- | --- | ---: | ---: |"]
    for n in summary.nodes:
        shape = n.output_text
        rows.append(f"| `{_cell(n.id)}` | {n.type} | {shape} | {n.params:,} | {n.macs:,} |")
    rows.append(f"| **total** | | | **{summary.params:,}** | **{summary.macs:,}** |")
    return rows + [""]


def _data(run: RunInfo | None, ref: Reference, manifest: dict) -> list[str]:
    rows = ["## Training data", ""]
    if run is None or not run.dataset:
        return rows + ["Not trained in LayerLoom: the weights are freshly initialised.", ""]
    d = run.dataset
    # the file's name, never the folder it was trained from on the trainer's machine: the
    # card travels with the bundle
    source = str(d.get("source") or "")
    shown = source if source and source != d.get("name") and not re.search(r"[/\\]", source) \
        else ""
    rows.append(f"- Dataset: {_text(d.get('name', 'unknown'))}"
                + (f" ({_text(shown)})" if shown else ""))
    if d.get("task"):
        rows.append(f"- Task: {_text(d['task'])}")
    splits = d.get("splits") or {}
    if splits:
        rows.append("- Samples: " + ", ".join(f"{name} {info.get('size', '?'):,}"
                                              if isinstance(info.get("size"), int)
                                              else f"{name} {info.get('size', '?')}"
                                              for name, info in splits.items()))
    spec = ref.inputs[0]
    prep = manifest.get("preprocessing") or {}
    what = {"text": "token ids", "image": "an image", "tabular": "features"}.get(
        prep.get("kind"), "values")
    rows.append(f"- Each sample: `[{', '.join(map(str, spec.shape))}]` {spec.dtype} ({what})"
                + (f", from the column \"{_text(prep['text_column'])}\""
                   if prep.get("text_column") else ""))
    norm = d.get("normalization")
    if isinstance(norm, dict):
        scale = norm.get("scale") or prep.get("scale")  # 8-bit pixels' 255, where divided
        rows.append(f"- Inputs standardised per {norm.get('kind', 'feature')} with the training "
                    f"split's mean and std" + (f" after dividing by {scale:g}"
                                               if isinstance(scale, (int, float)) else ""))
    if d.get("vocab"):
        rows.append(f"- Vocabulary: {len(d['vocab']):,} tokens (ids 0 and 1 are <pad> and "
                    f"<unk>)")
    return rows + [""]


def _metrics(run: RunInfo | None) -> list[str]:
    rows = ["## Test metrics", ""]
    if run is None or not run.metrics:
        return rows + ["None: the model has not been evaluated.", ""]
    rows += ["| metric | value |", "| --- | ---: |"]
    for name, value in run.metrics.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            rows.append(f"| {_cell(name)} | {value:.4g} |")
    rows.append("")
    if run.curves:
        rows += ["Loss and metric curves: [curves.html](curves.html) (opens offline).", ""]
    return rows


def _usage(ref: Reference, manifest: dict) -> list[str]:
    prep = manifest.get("preprocessing") or {}
    vocab = len(prep.get("vocab") or [])

    def ids(i: int, spec) -> int:  # token ids the model knows: the training vocabulary's
        sizes = [n for n in (vocab if i == 0 else 0, spec.vocab) if n]
        return min(sizes) if sizes else 2

    torch_example = ", ".join(
        f"torch.randint(0, {ids(i, spec)}, (1, {', '.join(map(str, spec.shape))}))"
        if spec.dtype == "int64" else f"torch.randn(1, {', '.join(map(str, spec.shape))})"
        for i, spec in enumerate(ref.inputs))
    numpy_example = ", ".join(
        f"{json.dumps(spec.name)}: np.random.randint(0, {ids(i, spec)}, (1, "
        f"{', '.join(map(str, spec.shape))})).astype(np.int64)"
        if spec.dtype == "int64" else
        f"{json.dumps(spec.name)}: np.random.randn(1, {', '.join(map(str, spec.shape))})"
        f".astype(np.float32)"
        for i, spec in enumerate(ref.inputs))
    rows = ["## How to load it", ""]
    if ref.normalization:
        rows += ["The model was trained on standardised inputs (see Expected input): give it "
                 "raw data only through `standardize_input` of `model.py`, or standardise it "
                 "with the mean and std that every model file carries (`layerloom."
                 "normalization` in the ONNX metadata and the safetensors metadata, "
                 "`normalization.json` in the TorchScript file's extra files); `predict.py` "
                 "does it for files. The random inputs below stand for standardised ones.", ""]
    if vocab:
        rows += [f"Token ids come from the {vocab:,}-word training vocabulary "
                 f"(`manifest.json`'s `preprocessing.vocab`; 0 is <pad>, 1 is <unk>).", ""]
    rows += ["With TorchScript (only PyTorch needed):", "", "```python",
             "import torch",
             'model = torch.jit.load("model.torchscript.pt").eval()',
             f"outputs = model({torch_example})", "```", "",
             "With the generated code (PyTorch and safetensors):", "", "```python",
             f"from model import {manifest['class']}; from safetensors.torch import load_file",
             f"model = {manifest['class']}().eval()",
             'model.load_state_dict(load_file("weights.safetensors"))']
    if ref.normalization:
        dims = ", ".join(map(str, ref.inputs[0].shape))
        rows += ["from model import standardize_input  # as the training data were fed",
                 f"outputs = model(standardize_input(raw))  # raw: [batch, {dims}] raw values"]
    rows += ["```", "", "With ONNX Runtime:", "", "```python", "import numpy as np",
             "import onnxruntime as ort",
             'session = ort.InferenceSession("model.onnx")',
             f"outputs = session.run(None, {{{numpy_example}}})", "```",
             "", "To predict on files (what each must hold: Expected input above; a file of "
             "several samples gives one JSON line each):", "", "```",
             "python predict.py INPUT_FILE", "```", ""]
    return rows


def _examples(run: RunInfo | None) -> list[str]:
    """Grad-CAM pictures of a few test samples (the bundle's ``gradcam-N.png``)."""
    if run is None or not run.examples:
        return []
    rows = ["## Why it decides", "",
            "Grad-CAM over test samples: red marks the parts of the input that pushed the model "
            "towards the class it gave.", ""]
    for i, example in enumerate(run.examples, start=1):
        caption = _text(example.get("caption", ""))
        rows += [f"![{caption}](gradcam-{i}.png)", "", f"*{caption}*", ""]
    return rows


def _files(manifest: dict, run: RunInfo | None) -> list[str]:
    rows = ["## Files", "", "Every model file was loaded back and compared with the model on the "
            "same inputs before it was packed, and run at batch 1 and at the other sequence "
            "lengths the model takes, which say what sizes it takes.", "",
            "| file | size | max abs diff | takes |", "| --- | ---: | ---: | --- |"]
    for name, info in manifest["files"].items():
        diff = info.get("max_abs_diff")
        rows.append(f"| {name} | {info['bytes']:,} B | "
                    f"{'' if diff is None else f'{diff:.2e}'} | {_text(info.get('takes') or '')} |")
    for part, reason in manifest.get("skipped", {}).items():
        rows.append(f"| {part} | not included | {_cell(reason)} | |")
    return rows + [""]


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


# User text (names, descriptions, tasks, classes) is text in the card: Markdown's punctuation is
# backslash-escaped and HTML's special characters become entities, so that neither a link, an
# image nor a tag (``<img src=x onerror=...>``) can come from a graph or a run.
_ESCAPES = {**{c: "\\" + c for c in "\\`*_{}[]()#!|~"}, "&": "&amp;", "<": "&lt;", ">": "&gt;",
            "\r": " ", "\n": " "}
_TEXT = str.maketrans(_ESCAPES)


def _text(text) -> str:
    """One line of user text, escaped for Markdown and HTML."""
    return str(text).translate(_TEXT)


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _paragraphs(text: str) -> str:
    """Lines of user text, each escaped; one that would start a list, a quote or a heading
    underline (``-``, ``+``, ``=``, ``1.``) has that start escaped too."""
    out = []
    for line in text.splitlines():
        line = _text(line)
        start = re.match(r"\s*(\d+(?=[.)])|(?=[-+=]))", line)
        if start:
            line = line[:start.end()] + "\\" + line[start.end():]
        out.append(line)
    return "\n".join(out)


def curves_html(run: RunInfo) -> str | None:
    """Every curve of the run on one page, one panel per metric, Plotly inlined."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    metrics: dict[str, list[str]] = {}
    for key in run.curves:
        split, _, metric = key.rpartition("/")
        metrics.setdefault(metric or key, []).append(key)
    if not metrics:
        return None
    names = sorted(metrics, key=lambda m: (m != "loss", m))
    fig = make_subplots(rows=len(names), cols=1, subplot_titles=names,
                        vertical_spacing=0.25 / max(1, len(names)))
    for row, metric in enumerate(names, start=1):
        for key in metrics[metric]:
            xs, ys = run.curve_points(key)
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers",
                                     name=key.rpartition("/")[0] or key), row=row, col=1)
        fig.update_xaxes(title_text="epoch", row=row, col=1)
    title = f"Training curves of run {run.run_id}" if run.run_id is not None else "Training curves"
    fig.update_layout(title=title, height=320 * len(names) + 80, template="plotly_white")
    return fig.to_html(include_plotlyjs=True, full_html=True)
