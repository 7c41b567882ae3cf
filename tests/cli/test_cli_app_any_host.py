"""``layerloom app --host 0.0.0.0`` (or ``::``) says the addresses to open, not the wildcard it
listens on: it printed ``http://0.0.0.0:8523``, no address for other machines, which Windows'
browsers refuse. Now the loopback URL to open here, and this machine's network addresses (read
here, no request out) for the others."""

from __future__ import annotations

import ipaddress

import pytest

from layerloom.cli import app, main
from layerloom.cli.network_addresses import network_addresses

WARNING = "warning: --host {} makes the app reachable from other machines"


@pytest.fixture
def served(monkeypatch, tmp_path):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    monkeypatch.setattr(app, "run_server", lambda cmd, on_ready, **kw: on_ready() or 0)
    monkeypatch.setattr(app, "choose_port", lambda host, wanted: 8523)
    monkeypatch.setattr(app, "host_problem", lambda host: None)


@pytest.mark.parametrize("host, here, others", [
    ("0.0.0.0", "http://127.0.0.1:8523", ["192.0.2.7"]),
    ("::", "http://[::1]:8523", ["2001:db8::7", "192.0.2.7"]),
])
def test_a_wildcard_host_prints_the_urls_to_open(served, monkeypatch, capsys, host, here, others):
    monkeypatch.setattr(app, "network_addresses", lambda wildcard: others)
    assert main(["app", "--host", host]) == 0
    err = capsys.readouterr().err
    assert err.startswith(WARNING.format(host))
    shown = ", ".join(f"http://[{a}]:8523" if ":" in a else f"http://{a}:8523" for a in others)
    assert err.endswith(f"\nLayerLoom designer: {here} (Ctrl+C stops it)\n"
                        f"  from other machines: {shown}\n")
    assert f"//{host}:" not in err and f"[{host}]" not in err


def test_no_network_address_found_is_said(served, monkeypatch, capsys):
    monkeypatch.setattr(app, "network_addresses", lambda wildcard: [])
    assert main(["app", "--host", "0.0.0.0"]) == 0
    assert capsys.readouterr().err.endswith(
        "\nLayerLoom designer: http://127.0.0.1:8523 (Ctrl+C stops it)\n  from other machines: "
        "http://<this machine's address>:8523 (no network address of this machine was found "
        "here)\n")


def test_a_named_host_is_printed_as_given(served, capsys):
    assert main(["app", "--host", "192.0.2.9"]) == 0
    assert capsys.readouterr().err.endswith(
        "\nLayerLoom designer: http://192.0.2.9:8523 (Ctrl+C stops it)\n")


@pytest.mark.parametrize("wildcard, versions", [("0.0.0.0", {4}), ("::", {4, 6})])
def test_this_machines_addresses_are_for_other_machines(wildcard, versions):
    for text in network_addresses(wildcard):
        address = ipaddress.ip_address(text)
        assert address.version in versions
        assert not (address.is_loopback or address.is_link_local or address.is_unspecified)
