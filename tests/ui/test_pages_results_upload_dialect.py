"""Results page, Try it → Upload a row (AppTest), for a model trained on a spreadsheet's
CSV in a European dialect (';' between values, Windows-1252, amounts written '1.234,50 €', a
dash for none): a row in the same dialect is read as the training file was, and as the
exported bundle's predict.py reads it. The page read uploads as UTF-8 with commas, and numbers
as Python writes them, so such a row was refused or misread."""

from __future__ import annotations

import numpy as np
import pytest

from layerloom.graph.export import predict_script
from layerloom.graph.templates import load_template
from layerloom.runtime import train
from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.preprocessing import encode_row, preprocessing, table_rows

from .test_pages_results_edit_row import page, probabilities


def euros(x: float) -> str:
    return f"{x:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".") + " €"


@pytest.fixture(scope="module")
def run(scratch_home):
    with scratch_home("home") as (home, store):
        towns = ["Besançon", "Nîmes", "Orléans"]
        rows = [f"{towns[i % 3]};{euros(900 + 37.5 * i) if i % 9 else '-'};"
                f"{['oui', 'non'][i % 3 > 0]}" for i in range(90)]
        path = home / "ventes.csv"
        path.write_bytes(("ville;montant;achat\r\n" + "\r\n".join(rows) + "\r\n")
                         .encode("cp1252"))
        graph = load_template("mlp-tabular")
        graph.variables.update(features=4, classes=2)
        yield home, train(graph, {"source": str(path)}, {"epochs": 1}, store=store).run_id


ROW = "ville;montant\r\nNîmes;1.234,50 €\r\n"


def test_a_row_in_the_training_files_dialect_is_read_as_predict_py_reads_it(run, tmp_path):
    home, _ = run
    ds = load_dataset(home / "ventes.csv")  # as the run loaded it
    raw = ROW.encode("cp1252")
    features = encode_row(table_rows("row.csv", raw)[0], ds)
    assert features.tolist() == [0.0, 1.0, 0.0, 1234.5]  # Nîmes one-hot, the amount
    (tmp_path / "row.csv").write_bytes(raw)
    shipped = predict_script.read_rows(tmp_path / "row.csv", ds.input_shape,
                                       preprocessing(ds), [])
    np.testing.assert_array_equal(shipped[0], features)
    dash = encode_row(table_rows("row.csv", "ville;montant\nNîmes;-\n".encode())[0], ds)
    assert np.isnan(dash[-1])


def test_the_page_predicts_a_windows_row_as_the_same_row_in_utf8_with_commas(run, monkeypatch):
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="results.how").set_value("Upload a row").run()
    at.file_uploader(key="results.csv").upload("utf8.csv", 'ville,montant\nNîmes,"1.234,50 €"\n'
                                               .encode(), "text/csv").run()
    assert not at.exception and not at.error
    utf8 = probabilities(at)
    at.file_uploader(key="results.csv").upload("row.csv", ROW.encode("cp1252"),
                                               "text/csv").run()
    assert not at.exception and not at.error and not at.warning
    assert probabilities(at) == utf8


def test_a_plain_row_from_another_program_predicts_as_the_training_files_form(run, monkeypatch):
    """1234.50 is read as written, not through the training file's form (as 123450), and the
    page says the file writes its numbers otherwise."""
    home, run_id = run
    at = page(home, monkeypatch, run_id)
    at.radio(key="results.how").set_value("Upload a row").run()
    at.file_uploader(key="results.csv").upload("row.csv", ROW.encode("cp1252"),
                                               "text/csv").run()
    european = probabilities(at)
    at.file_uploader(key="results.csv").upload("plain.csv", b"ville,montant\nN\xc3\xaemes,1234.50\n",
                                               "text/csv").run()
    assert not at.exception and not at.error
    assert probabilities(at) == european
    assert [w.value for w in at.warning] == [
        "column 'montant': this file writes numbers with a decimal point (line 2: 1234.50), "
        "the training file with a decimal comma: read as this file writes them"]
