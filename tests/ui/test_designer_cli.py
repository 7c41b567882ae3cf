"""`layerloom app`: the command it runs."""

from __future__ import annotations

import sys

from layerloom.cli import build_parser
from layerloom.cli.app import command


def test_app_listens_on_localhost_headless_by_default():
    args = build_parser().parse_args(["app"])
    assert (args.host, args.port, args.browser) == ("127.0.0.1", None, False)
    cmd = command(args.port, args.host, args.browser)
    assert cmd[:4] == [sys.executable, "-P", "-m", "layerloom.ui.serve"]
    options = dict(zip(cmd[4::2], cmd[5::2]))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.headless"] == "true"
    assert "--server.port" not in options


def test_app_port_and_host_are_passed_on():
    args = build_parser().parse_args(["app", "--port", "8765", "--host", "0.0.0.0"])
    options = dict(zip(*[iter(command(args.port, args.host, args.browser)[4:])] * 2))
    assert options["--server.port"] == "8765"
    assert options["--server.address"] == "0.0.0.0"


def test_serve_runs_ui_app_py():
    from layerloom.ui import serve

    assert serve.APP.name == "app.py" and serve.APP.parent.name == "ui"
    assert serve.APP.is_file()


def test_serve_turns_off_the_per_rerun_gc_and_the_file_watcher_unless_told_otherwise():
    from streamlit.web import cli

    from layerloom.ui import serve

    def parsed(*given):
        argv = serve.streamlit_argv(list(given))
        assert argv[:3] == ["streamlit", "run", str(serve.APP)]
        ctx = cli.main_run.make_context("run", argv[2:])
        return ctx.params["runner_postScriptGC"], ctx.params["server_fileWatcherType"]

    assert parsed() == (False, "none")
    assert parsed("--server.fileWatcherType", "auto", "--runner.postScriptGC", "true") == (
        True, "auto")
