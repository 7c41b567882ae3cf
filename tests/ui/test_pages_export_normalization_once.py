"""Export page: a run trained on standardised inputs says once, above the files, how to feed
them raw data, and each file's row says only where that file keeps the numbers. The whole note
(four lines at 1366×768) stood under each of five files, the same advice each time."""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.runtime import RunStore, train

from .test_pages_export import home, page  # noqa: F401 - the fixture and the page


def test_the_advice_is_said_once_and_each_row_says_where_its_file_keeps_it(home):  # noqa: F811
    train(load_template("mlp-tabular"), "iris", {"epochs": 1}, store=RunStore(home / "runs.db"))
    at = page()
    at.radio(key="export.source").set_value("A run (trained weights)").run()
    at.button(key="export.all").click().run()
    assert not at.exception and not at.error
    [advice] = [i.value for i in at.info if "standardised" in i.value]
    assert advice.startswith("Trained on inputs standardised per feature: x = (raw - mean) / std")
    assert advice.endswith("standardise raw data the same way before feeding the model.")
    captions = [c.value for c in at.caption]
    assert not [c for c in captions if c.startswith("Trained on")]
    where = [c for c in captions if c.startswith("The standardisation's numbers are in ")]
    assert where == [
        "The standardisation's numbers are in INPUT_NORMALIZATION and standardize_input() in "
        "the generated code, and its weights' safetensors "
        "metadata['layerloom.normalization'].",
        "The standardisation's numbers are in the TorchScript file's extra file "
        "'normalization.json' (torch.jit.load(path, _extra_files={'normalization.json': ''})).",
        "The standardisation's numbers are in the ONNX file's "
        "metadata_props['layerloom.normalization'] (JSON; onnx.load(path).metadata_props).",
        "The standardisation's numbers are in the safetensors "
        "metadata['layerloom.normalization'] (JSON; safe_open(path, 'pt').metadata())."]
