"""The Data page (ui/pages/data.py, Streamlit's AppTest) on files as users bring them: a
Windows spreadsheet's CSV (Windows-1252, ';', decimal commas, a row without its label) and a
phone's photos stored sideways. Each is read, and how is said beside the preview."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from .test_pages_data import load_errors, page, texts


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LAYERLOOM_HOME", str(tmp_path))
    return tmp_path


def notes(at) -> list[str]:
    return [i.value for i in at.info if "How the values were read" in i.value]


def test_a_windows_spreadsheet_csv_offers_its_columns_and_says_how_it_was_read():
    """It was refused ("not UTF-8") and its columns were not offered as targets."""
    rows = [f"{['Besançon', 'Nîmes'][i % 2]};{i},5;{'oui' if i % 3 else 'non'}"
            for i in range(40)]
    rows[9] = "Nîmes;9,5;"  # a row without its label
    data = ("ville;taille (m²);achat\r\n" + "\r\n".join(rows) + "\r\n").encode("cp1252")
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("ventes.csv", data, "text/csv").run()
    assert not at.exception and not load_errors(at)
    target = at.selectbox(key="data.opt.ventes.csv.target")
    assert target.options == ["(default)", "ville", "taille (m²)", "achat"]
    assert texts(at.metric)[:3] == ["classification", "[3] float32", "2"]
    table = at.dataframe[0].value
    assert list(table.columns) == ["ville=Besançon", "ville=Nîmes", "taille (m²)", "class"]
    assert set(table["class"]) <= {"oui", "non"}
    assert notes(at) == [
        "**How the values were read:**\n\n"
        "- not UTF-8 text: read as Windows-1252 (Western European, as Excel saves a CSV on "
        "Windows) from line 1 on; if accented letters look wrong, save the file as CSV UTF-8\n"
        "- taille (m²): numbers written with a decimal comma, read as numbers (0,5 as 0.5)\n"
        "- 1 row with no 'achat' (line 11) left out: a sample needs its label"]


def test_a_zip_of_sideways_phone_photos_is_shown_upright_and_said():
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6  # turn 90° clockwise to show
    pixels = np.zeros((16, 20, 3), np.uint8)
    pixels[:, :10] = (220, 20, 20)
    photo = io.BytesIO()
    Image.fromarray(pixels).save(photo, format="JPEG", exif=exif.tobytes(), quality=95)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for label in ("cat", "dog"):
            for i in range(6):
                archive.writestr(f"phone/{label}/IMG_{i}.JPG", photo.getvalue())
                archive.writestr(f"__MACOSX/phone/{label}/._IMG_{i}.JPG", b"\x00\x05\x16\x07")
    at = page("seed-cnn").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("phone.zip", buffer.getvalue()).run()
    assert not at.exception and not load_errors(at)
    assert texts(at.metric)[1] == "[3, 20, 16] float32"  # as shown: 20 high, 16 wide
    assert texts(at.metric)[3] == "7 / 2 / 3"  # 12 photos, macOS's ._ files not among them
    assert notes(at) == ["**How the values were read:**\n\n- 12 photos turned upright as their "
                         "EXIF orientation says (as a phone or camera shows them)"]


def test_excels_tab_delimited_text_is_taken_as_a_table():
    rows = [f"{i}\t{i % 4}.5\t{'ab'[i % 2]}" for i in range(40)]
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    assert "txt" in at.file_uploader(key="data.file").proto.type or \
        ".txt" in at.file_uploader(key="data.file").proto.type
    at.file_uploader(key="data.file").upload(
        "export.txt", ("n\tsize\tlabel\r\n" + "\r\n".join(rows)).encode(), "text/plain").run()
    assert not at.exception and not load_errors(at)
    assert at.selectbox(key="data.opt.export.txt.target").options == \
        ["(default)", "n", "size", "label"]
    assert texts(at.metric)[:3] == ["classification", "[2] float32", "2"]


def test_a_lone_npy_is_told_what_to_do_not_refused_by_type():
    """The uploader refused a .npy by its type ("Invalid file extension"), saying nothing of
    the x and y it lacks."""
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((40, 4)))
    at = page("mlp-tabular").run()
    at.radio(key="data.source").set_value("Upload a file").run()
    at.file_uploader(key="data.file").upload("features.npy", buffer.getvalue()).run()
    assert not at.exception
    assert load_errors(at) == [
        "Could not read features.npy: a .npy file holds one array, and training needs the "
        "samples and their labels together: save both in one .npz file, "
        "np.savez('data.npz', x=samples, y=labels), and load that"]
