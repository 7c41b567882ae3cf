"""The server runs one script run of a session at a time (``runner.fastReruns`` off).

A small script counts the runs under way in the server (shared by ``st.cache_resource``) while
it draws for about half a second, touching the session's state all along as the app does; a
browser clicks its button thirty times, faster than a run ends. With Streamlit's default, each
click started a run beside the one stopping (at most 2 at once here), and the two shared the
session's state: the cause of "dictionary changed size during iteration" in the edit stress
bench. Started with LayerLoom's server options, at most one run is ever under way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PROBE = '''
import threading, time
import streamlit as st

@st.cache_resource
def shared():
    return {"active": 0, "most": 0, "runs": 0, "lock": threading.Lock()}

s = shared()
with s["lock"]:
    s["active"] += 1
    s["runs"] += 1
    s["most"] = max(s["most"], s["active"])
try:
    st.button("again", key="again")
    for i in range(40):
        st.session_state[f"k{i}"] = i
        time.sleep(0.01)
        st.empty()
    st.write(f"most {s['most']} at once, {s['runs']} runs")
finally:
    with s["lock"]:
        s["active"] -= 1
'''


def most_runs_at_once(browser, streamlit_app, script: Path, given: list[str]) -> tuple[int, int]:
    """The most runs under way at once, and the runs, after thirty quick clicks, the server
    started with LayerLoom's options (and ``given``, which win)."""
    from layerloom.ui import serve

    options = serve.streamlit_argv(given)[3:]  # what `layerloom app` passes, ours and given
    with streamlit_app(["streamlit", "run", str(script)], log=script.with_suffix(".log"),
                       options=options) as url:
        context = browser.new_context()
        page = context.new_page()
        page.goto(url)
        page.get_by_text("at once").wait_for(timeout=60_000)
        for _ in range(30):
            page.get_by_role("button", name="again").click()
            page.wait_for_timeout(60)
        page.wait_for_timeout(3000)
        words = page.get_by_text("at once").inner_text().split()
        context.close()
    return int(words[1]), int(words[4])


def test_the_server_runs_one_script_run_of_a_session_at_a_time(browser, streamlit_app, tmp_path):
    script = tmp_path / "probe.py"
    script.write_text(PROBE)
    most, runs = most_runs_at_once(browser, streamlit_app, script, [])
    assert runs > 10 and most == 1
    # the probe does see runs side by side: with Streamlit's default, there are
    most, runs = most_runs_at_once(browser, streamlit_app, script, ["--runner.fastReruns", "true"])
    assert most >= 2
