"""Train page (ui/pages/train.py): a setting made of two numbers (Adam's ``betas``) takes any
value in its boxes, and one out of range is said and turns Start off, as a single number is.

The two boxes handed their limits (0 to 0.9999) to the browser, which refused 1.5 silently:
the box kept it with "Press Enter to apply" and the betas before it were used unseen.
"""

from __future__ import annotations


from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.state import DesignerState
from layerloom.ui.testing import train_page


def test_betas_out_of_range_are_said_and_turn_start_off(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    pid = DesignerState.new(ProjectStore(), load_template("mlp-tabular")).project_id
    at = train_page(pid).run()
    assert not at.exception and not at.error
    second = at.number_input(key="train.cfg.betas.1")
    assert second.value == 0.999
    for box in (at.number_input(key="train.cfg.betas.0"), second):
        assert not box.proto.has_min and not box.proto.has_max  # no limit left to the browser
    second.set_value(1.5).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Adam's averaging rates (betas) must be two numbers in [0, 1), got (0.9, 1.5)"]
    start = at.button(key="train.start")
    assert start.disabled and "(betas) must be two numbers in [0, 1)" in start.help
    assert any("Start is off until this is fixed: Adam's averaging rates (betas) must be" in c.value for c in at.caption)
    at.number_input(key="train.cfg.betas.1").set_value(0.99).run()
    assert not at.error and not at.button(key="train.start").disabled
    assert at.session_state.app.pages["runs"].config == {"betas": (0.9, 0.99)}

