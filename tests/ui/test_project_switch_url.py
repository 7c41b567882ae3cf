"""The project switcher's choice holds though the browser's next request still carries the
old link (AppTest; the ``home`` and ``canvas`` fixtures are tests/ui/conftest.py's).

The switch wrote the new project into the page's link from its callback. A request the browser
sent meanwhile (a click during the rerun) carries the old link, ``?project=<the old one>``,
and the tab read it as a link to that project and went back to it: the click was lost. A
link changed later (the browser's Back) still opens its project.
"""

from __future__ import annotations

from layerloom.graph.templates import load_template
from layerloom.ui.projects import ProjectStore
from layerloom.ui.testing import app_test


def switcher(at):
    return next(s for s in at.selectbox if s.key and s.key.startswith("project:"))


def test_a_request_with_the_old_link_keeps_the_project_chosen(home, canvas):
    other = ProjectStore().create(load_template("mlp-tabular"))
    at = app_test()
    at.run()
    first = at.query_params["project"]
    assert first != other
    switcher(at).set_value(other).run()
    assert not at.exception
    assert at.query_params["project"] == other
    at.query_params["project"] = first  # sent by the browser before it had the new link
    at.run()
    assert not at.exception
    assert at.query_params["project"] == other
    assert switcher(at).value == other
    assert canvas.last["graph"]["nodes"][0]["id"] == "features"
    at.run()  # the browser has the new link now
    at.query_params["project"] = first  # and then goes Back: the first project again
    at.run()
    assert at.query_params["project"] == first and switcher(at).value == first
