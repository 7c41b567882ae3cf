"""The Data page refuses a table over its budget before saving it: the uploader takes up to
Streamlit's 200 MB, tables are capped at 100 MB (LAYERLOOM_MAX_CSV_BYTES), and a 100–200 MB CSV
was written under uploads/ and only then refused by its reader. Here the budget is lowered to
2 KiB so that a small CSV stands for the big one."""

from __future__ import annotations

import pytest

from .test_pages_data import page


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def table(rows: int) -> bytes:
    return ("a,b,label\n" + "".join(f"{i},{i * 2},{'xy'[i % 2]}\n" for i in range(rows))).encode()


def errors(at) -> list[str]:
    return [e.value for e in at.error]


def test_a_table_over_its_budget_is_refused_before_it_is_saved(home, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_BYTES", "2048")
    data = table(600)
    assert len(data) > 4096
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("big.csv", data, "text/csv").run()
    assert not at.exception
    [error] = errors(at)
    assert error.startswith(f"big.csv is {len(data) / 1024:.0f} KiB; table files (CSV, TSV, text, "
                            f"Excel, Parquet, JSON lines) are capped at 2 KiB, so it was not "
                            f"kept.")
    assert "LAYERLOOM_MAX_CSV_BYTES" in error
    assert not (home / "uploads").exists() or not any((home / "uploads").rglob("*"))


def test_a_table_within_its_budget_is_saved_and_read(home, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_BYTES", "1000000")
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("small.csv", table(60), "text/csv").run()
    assert not at.exception
    assert not any("capped" in e for e in errors(at))
    assert [p.name for p in (home / "uploads").rglob("*.csv")] == ["small.csv"]
