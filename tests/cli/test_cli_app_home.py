"""``layerloom app`` and LayerLoom's home: ``--home DIR`` does for the app what it does for the
other commands (the README says so of the CLI), and a home that cannot be made or written is one
``error:`` line and exit 2 before any server starts, not a URL to a page that says so (with a
traceback on the terminal). A --port out of range, or a --host that is no address here, is
refused in words before any server starts as well."""

from __future__ import annotations

import os

import pytest

from layerloom.cli import app, main


@pytest.fixture
def started(monkeypatch):
    """The servers ``layerloom app`` would start: each one's $LAYERLOOM_HOME."""
    homes: list[str | None] = []
    monkeypatch.setattr(app, "run_server", lambda cmd, on_ready, **kw: (
        homes.append(os.environ.get("LAYERLOOM_HOME")), on_ready()) and 0)
    monkeypatch.setattr(app, "choose_port", lambda host, wanted: 8523)
    return homes


def test_home_option_sets_the_servers_home(tmp_path, monkeypatch, started, capsys):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.chdir(tmp_path)
    assert main(["app", "--home", "mine"]) == 0
    assert started[0] == str(tmp_path / "mine")  # absolute: the server may change folder
    assert (tmp_path / "mine").is_dir()
    assert capsys.readouterr().err == (  # a home named but not there is made, and said
        "note: --home mine did not exist: made it, a new, empty home (runs and projects kept in "
        "another home are not here: check the path if you meant one)\n"
        "LayerLoom designer: http://127.0.0.1:8523 (Ctrl+C stops it)\n")
    assert main(["app", "--home", "mine"]) == 0  # made: no word the next time
    assert capsys.readouterr().err == "LayerLoom designer: http://127.0.0.1:8523 (Ctrl+C stops it)\n"


@pytest.mark.parametrize("given", ["afile", "afile/sub"])
def test_a_home_that_is_a_file_is_one_line_and_exit_2(tmp_path, monkeypatch, started, capsys,
                                                      given):
    (tmp_path / "afile").write_text("not a folder")
    monkeypatch.chdir(tmp_path)
    assert main(["app", "--home", given]) == 2
    assert started == []
    assert capsys.readouterr().err == (
        f"error: cannot use {given} as LayerLoom's home: afile is a file, not a folder; "
        f"set LAYERLOOM_HOME (or --home) to a folder you can write\n")


def test_a_home_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, monkeypatch, started,
                                                              capsys):
    home = tmp_path / "locked"
    home.mkdir()
    monkeypatch.setenv("LAYERLOOM_HOME", str(home))
    real_access = os.access
    monkeypatch.setattr(app.os, "access",  # as a read-only folder is for a user who is not root
                        lambda path, mode: False if str(path) == str(home)
                        else real_access(path, mode))
    assert main(["app"]) == 2
    assert started == []
    assert capsys.readouterr().err == (
        f"error: cannot use {home} as LayerLoom's home: it cannot be written; set "
        f"LAYERLOOM_HOME (or --home) to a folder you can write\n")


@pytest.mark.parametrize("port", ["99999", "-5", "http"])
def test_a_port_out_of_range_is_refused_as_argparse_does(started, capsys, port):
    with pytest.raises(SystemExit) as exit_info:
        main(["app", "--port", port])
    assert exit_info.value.code == 2 and started == []
    err = capsys.readouterr().err
    assert err.endswith(f"error: argument --port: {port} is not a port: give a number from 1 "
                        f"to 65535\n") and "Traceback" not in err


def test_a_host_that_is_no_address_here_is_named(capsys, tmp_path, monkeypatch):
    """It said "no free port on nosuchhost.invalid from 8501 to 8600", after trying them all."""
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    started = []
    monkeypatch.setattr(app, "run_server", lambda cmd, **kw: started.append(cmd) or 0)
    assert main(["app", "--host", "nosuchhost.invalid"]) == 1
    assert started == []
    err = capsys.readouterr().err
    assert err.startswith("error: --host nosuchhost.invalid: not an address of this machine (")
    assert err.count("\n") == 1
