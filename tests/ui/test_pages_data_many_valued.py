"""The Data page (AppTest) on a Titanic-like table whose Name and Ticket both hold too many
values to one-hot: one error names both, in the page's words, and one click drops both. The
page named Name alone, and after its Drop button the file was refused again for Ticket."""

from __future__ import annotations

import pytest

from .test_pages_data import load_errors, page, texts


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def titanic() -> bytes:
    rows = [f'{1 + i % 3},"Smith{i}, Mr. John",{"mf"[i % 2]},{20 + i % 50},A/{1000 + i},'
            f'{"SCQ"[i % 3]},{i % 2}' for i in range(200)]
    return ("Pclass,Name,Sex,Age,Ticket,Embarked,Survived\n" + "\n".join(rows) + "\n").encode()


def test_every_many_valued_column_is_named_and_one_click_drops_them_all():
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("titanic.csv", titanic(), "text/csv").run()
    assert not at.exception
    [error] = load_errors(at)
    assert error.startswith("Could not read titanic.csv: column 'Name': 140 different values "
                            "in the training rows, too many to one-hot (more than 50), as has "
                            "column 'Ticket' (140). Choose Name, Ticket under **drop** below")
    button = at.button(key="data.drop_column")
    assert button.label == "Drop Name, Ticket"
    button.click().run()
    assert not at.exception and not load_errors(at)
    assert at.multiselect(key="data.opt.titanic.csv.drop").value == ["Name", "Ticket"]
    assert texts(at.metric)[:3] == ["classification", "[7] float32", "2"]  # Pclass, Sex (2), Age, Embarked (3)
