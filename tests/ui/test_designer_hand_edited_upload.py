"""The designer refuses a design file edited by hand with a slip (a comma after the last item)
saying where and what to change, and keeps the design open."""

from __future__ import annotations

from layerloom.ui.testing import app_test, shown

TRAILING = ('{\n  "format": "layerloom-graph",\n  "version": 1,\n  "name": "t",\n  "nodes": [],\n'
            '  "edges": [],\n}\n')


def test_the_designer_says_so_and_keeps_the_design_open(home, canvas):
    app = app_test()
    app.run()
    project = app.query_params["project"]
    app.file_uploader[0].set_value(("mine.json", TRAILING.encode(), "application/json")).run()
    assert not app.exception
    shown_errors = "\n".join(shown(e.value) for e in app.error)
    assert "Could not open mine.json; the current design is kept." in shown_errors
    assert ("mine.json: line 6, column 14: invalid JSON: a comma after the last item of an "
            "object (JSON allows none there): remove it") in shown_errors
    assert app.query_params["project"] == project
