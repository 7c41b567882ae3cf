"""Two servers (`layerloom app` twice) on one home both write its settings.json: each browser's
last project and the theme. Each read the file, added its browser and wrote it back, so the
other's browsers written meanwhile were dropped, and such a browser, opening the bare URL, was
given a new seed-cnn in place of its own design (which it then had to find in the list)."""

from __future__ import annotations

import subprocess
import sys
import time

from layerloom.ui.projects import ProjectStore

WRITER = """
import sys, time
from layerloom.ui.projects import ProjectStore
store = ProjectStore(sys.argv[1])
server, start, count = int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
time.sleep(max(0.0, start - time.time()))  # both at once, once both have started
for i in range(count):
    store.remember_browser(f"{server:02x}{i:030x}", f"design-{server}-{i}")
    if i % 5 == 0:
        store.update_settings(theme="dark")
"""


N = 100  # browsers each server remembers


def test_two_servers_on_one_home_keep_every_browsers_last_project(tmp_path):
    start = str(time.time() + 3)
    servers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(n), start,
                                 str(N)])
               for n in range(2)]
    assert [s.wait(timeout=120) for s in servers] == [0, 0]
    store = ProjectStore(tmp_path)
    for server in range(2):
        for i in range(N):
            assert store.browser_project(f"{server:02x}{i:030x}") == f"design-{server}-{i}"
    assert store.settings()["theme"] == "dark"
