"""Memory soak (issue 18): 50 sessions opened and closed on one server; its memory afterwards
is within 10 % of where it was after the first session (what one session's first visit
imports and caches stays; nothing accumulates per session).

Each session is a Streamlit websocket session, as a browser tab opens one: it connects to
``/_stcore/stream``, asks for the app's script run, reads until the run has finished, and
closes. ``benchmarks/app_soak_bench.py`` does the same with Chromium pages.
"""

from __future__ import annotations

import os
import time

import pytest

pytestmark = pytest.mark.browser

SESSIONS = 50


def session(url: str, timeout: float = 120.0) -> list[str]:
    """One session: its script run from start to finish; the kinds of message it got."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    kinds = []
    with connect(url.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                 open_timeout=timeout, max_size=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_script_hash = ""
        ws.send(msg.SerializeToString())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fm = ForwardMsg()
            fm.ParseFromString(ws.recv(timeout=timeout))
            kinds.append(fm.WhichOneof("type"))
            if kinds[-1] == "script_finished":
                assert fm.script_finished == 0  # finished successfully
                return kinds
    raise AssertionError(f"the script run did not finish in {timeout:g} s")


def server_pid(port: str) -> int:
    """The app's server process: the one whose command line names its port."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if b"layerloom.ui.serve" in args and port.encode() in args:
            return int(pid)
    raise AssertionError(f"no server on port {port}")


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads memory from /proc")
def test_memory_returns_after_50_sessions(app_home, streamlit_app, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_WARM_WORKER", "0")  # the server's memory alone
    with streamlit_app(["layerloom.ui.serve"], home=app_home, start_s=90, stop_s=20) as url:
        pid = server_pid(url.rsplit(":", 1)[1])
        kinds = session(url)
        assert kinds[0] == "new_session" and "delta" in kinds  # the page was drawn
        time.sleep(2)
        first = rss_mib(pid)
        t0 = time.monotonic()
        for _ in range(SESSIONS - 1):
            session(url)
        took = time.monotonic() - t0
        time.sleep(2)
        last = rss_mib(pid)
        print(f"server memory: {first:.0f} MiB after the first session, {last:.0f} MiB after "
              f"{SESSIONS} ({last / first:.3f}), {took / (SESSIONS - 1):.2f} s a session")
        assert last <= 1.10 * first, (f"{first:.0f} MiB after the first session, {last:.0f} "
                                      f"MiB after {SESSIONS} ({took:.0f} s)")
