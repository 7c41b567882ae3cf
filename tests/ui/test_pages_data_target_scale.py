"""The Data page (AppTest) on a table whose target is large (yearly spend in the thousands): it
says that training standardises the target, with its mean and sd, and that predictions and
metrics stay in its units; with target_scaling off on the Train page it gives the advice."""

from __future__ import annotations

import pytest

from .test_pages_data import load_errors, page


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def spend_table() -> bytes:
    rows = "\n".join(f"{20 + i % 40},{i % 4},{800 + 37 * (i % 40) + 90 * (i % 4)}"
                     for i in range(120))
    return f"age,visits,spend\n{rows}\n".encode()


def fitted(at):
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("spend.csv", spend_table(), "text/csv").run()
    assert not load_errors(at)
    at.button(key="data.fit").click().run()
    assert not at.exception
    return at


def test_a_large_target_is_said_to_be_standardised_in_its_units():
    at = fitted(page("mlp-tabular").run())
    [said] = [i.value for i in at.info if "standardised for training" in i.value]
    assert said.startswith("spend is standardised for training (mean 1,")
    assert "; predictions and metrics are in spend's units" in said
    assert not [w.value for w in at.warning if "far from the scale" in w.value]


def test_with_target_scaling_off_the_page_gives_the_advice():
    at = page("mlp-tabular")
    at.run()
    from layerloom.ui.pagestate import pages_of

    pages_of(at.session_state.app).config["target_scaling"] = "off"
    at = fitted(at)
    [said] = [w.value for w in at.warning if "far from the scale" in w.value]
    assert "(target_scaling is off)" in said and "Set target_scaling to auto" in said
    assert "drop a Rescaling block (palette: Activation) on the wire from head to the Output " \
           "logits and set its scale to " in said
    assert not [i.value for i in at.info if "standardised for training" in i.value]
