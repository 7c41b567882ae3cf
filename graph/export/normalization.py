"""What a standalone file says about the inputs its weights were trained on.

A run that standardised its inputs (``x = (raw - mean) / std``, raw values in 0–1 where the data were scaled (8-bit pixels divided by 255), per channel or per
feature, fitted on the training split) trained weights that give nonsense on raw data. The bundle's
predict.py applies that normalisation itself; the single files carry it where their format can
(ONNX ``metadata_props``, a TorchScript extra file, safetensors metadata, a constant and a
function in the generated code), each under :data:`KEY`, as the JSON of :func:`record`.

>>> print(sentence({"kind": "channel", "mean": [0.1307], "std": [0.3081], "scale": 255.0}))
Trained on inputs standardised per channel: x = (raw - mean) / std (raw values in 0–1: whole numbers, such as 8-bit pixels, divided by 255 first) with the training split's mean [0.1307] and std [0.3081]; standardise raw data the same way before feeding the model.
"""

from __future__ import annotations

import json
import math

KEY = "layerloom.normalization"  # ONNX metadata and safetensors metadata key
EXTRA_FILE = "normalization.json"  # TorchScript extra file

# where each format keeps it, as a user reads it back
WHERE = {
    "onnx": f"the ONNX file's metadata_props[{KEY!r}] (JSON; "
            f"onnx.load(path).metadata_props)",
    "torchscript": f"the TorchScript file's extra file {EXTRA_FILE!r} (torch.jit.load(path, "
                   f"_extra_files={{{EXTRA_FILE!r}: ''}}))",
    "safetensors": f"the safetensors metadata[{KEY!r}] (JSON; safe_open(path, 'pt').metadata())",
    "python": "INPUT_NORMALIZATION and standardize_input() in the generated code, and its "
              f"weights' safetensors metadata[{KEY!r}]",
}


def record(norm) -> dict | None:
    """The normalisation as plain JSON-ready data (``kind``, ``mean``, ``std``, ``scale`` when
    raw values were divided first), or None where there is none to carry."""
    if not isinstance(norm, dict) or "mean" not in norm or "std" not in norm:
        return None
    mean = [float(v) for v in norm["mean"]]
    std = [float(v) for v in norm["std"]]
    if len(mean) != len(std) or not all(math.isfinite(v) for v in mean + std):
        return None
    out = {"kind": str(norm.get("kind", "feature")), "mean": mean, "std": std}
    if norm.get("scale"):
        out["scale"] = float(norm["scale"])
    return out


def to_json(norm: dict) -> str:
    return json.dumps(record(norm), separators=(",", ":"))


def sentence(norm: dict) -> str:
    """One sentence saying how the training inputs were standardised, for a user."""
    norm = record(norm)
    scaled = (f" (raw values in 0–1: whole numbers, such as 8-bit pixels, divided by "
              f"{norm['scale']:g} first)" if norm.get("scale") else "")
    return (f"Trained on inputs standardised per {norm['kind']}: x = (raw - mean) / std"
            f"{scaled} with the training split's mean {_short(norm['mean'])} and std "
            f"{_short(norm['std'])}; standardise raw data the same way before feeding the model.")


def _short(values: list, n: int = 6) -> str:
    shown = ", ".join(f"{v:.4g}" for v in values[:n])
    return f"[{shown}{', …' if len(values) > n else ''}]"
