"""Uploads with total budgets (issue 11): each small hostile file of the issue's table ends in a
DataError naming the file and the budget, before the work it bounds, in a process whose address space is
capped (``resource.setrlimit(RLIMIT_AS)``), so an allocation of gigabytes fails the test."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.errors import budget

MEMORY_LIMIT = 1536 * 2**20  # address space: torch's import needs about 1 GiB of it

# Runs in a fresh interpreter under the memory limit; prints what load_dataset raised for each
# file (one interpreter for all: starting one costs seconds, most of them torch's import).
LIMITED = textwrap.dedent("""
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from PIL import ImageFile
    from layerloom.runtime.data import load_dataset
    decoded = [0]  # images whose pixels were decoded (ImageFile.load), per file
    _load = ImageFile.ImageFile.load
    def counted(self):
        decoded[0] += 1
        return _load(self)
    ImageFile.ImageFile.load = counted
    import numpy.lib.format as npy
    arrays = [0]  # arrays read from an .npz
    _read_array = npy.read_array
    def read_array(*args, **kwargs):
        arrays[0] += 1
        return _read_array(*args, **kwargs)
    npy.read_array = read_array
    results = {{}}
    for path in sys.argv[1:]:
        decoded[0] = arrays[0] = 0
        try:
            load_dataset(path)
            out = {{"error": None}}
        except Exception as exc:
            out = {{"error": type(exc).__name__, "message": str(exc)}}
        out["decoded"], out["arrays"] = decoded[0], arrays[0]
        results[path] = out
    print(json.dumps(results))
""")


def load_limited(*paths, timeout=120) -> dict:
    """``{path: {"error", "message", "decoded", "arrays"}}`` of loading each file under the
    limit (``decoded``: how many images' pixels were decoded; ``arrays``: how many arrays of an
    .npz were read)."""
    code = LIMITED.format(limit=MEMORY_LIMIT)
    done = subprocess.run([sys.executable, "-c", code, *map(str, paths)], capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return {Path(k).name: v for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict:
    """The issue's hostile uploads, loaded once under the memory limit."""
    folder = tmp_path_factory.mktemp("hostile")
    buffer = io.BytesIO()
    Image.new("L", (5000, 5000)).save(buffer, "PNG")
    with zipfile.ZipFile(folder / "black.zip", "w") as archive:
        for i in range(60):
            archive.writestr(f"{'ab'[i % 2]}/{i}.png", buffer.getvalue())
    npz_with_header(folder / "huge.npz", (10**6, 10**6))
    wide_csv(folder / "wide.csv", 40_000, rows=10)
    sizes = {path.name: path.stat().st_size for path in folder.iterdir()}
    return {"sizes": sizes, **load_limited(*sorted(folder.iterdir()))}


def test_a_zip_of_60_huge_black_pngs_fails_fast_before_decoding(hostile):
    assert hostile["sizes"]["black.zip"] < 2_000_000  # each image under the per-image cap
    got = hostile["black.zip"]
    assert got["error"] == "DataError", got
    assert got["message"].startswith("black.zip: its 60 images hold 1,500,000,000 pixels")
    assert "500,000,000 decoded pixels" in got["message"]
    assert "LAYERLOOM_MAX_ZIP_PIXELS" in got["message"]
    assert got["decoded"] == 0  # refused from the images' headers: no pixel was decoded


def test_the_tensor_built_from_a_zip_is_budgeted_too(tmp_path, monkeypatch):
    path = tmp_path / "pets.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(6):
            buffer = io.BytesIO()
            Image.new("RGB", (8, 8), (i * 40, 0, 0)).save(buffer, "PNG")
            archive.writestr(f"{'ab'[i % 2]}/{i}.png", buffer.getvalue())
    monkeypatch.setenv("LAYERLOOM_MAX_ZIP_PIXELS", "2000")
    with pytest.raises(DataError, match=r"pets\.zip: 6 images of 32×32×3 make 18,432 values; "
                                        r".* capped at 2,000 values .* image_size \(set "
                                        r"LAYERLOOM_MAX_ZIP_PIXELS"):
        load_dataset(path, image_size=32)
    assert load_dataset(path).input_shape == (3, 8, 8)  # 6×8×8×3 = 1,152 values fit


def npz_with_header(path, shape, descr="<f8", payload=b"\0" * 64, y=None):
    """An .npz whose ``x.npy`` header declares ``shape`` but holds only ``payload``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": descr, "fortran_order": False, "shape": shape})
    ys = io.BytesIO()
    np.lib.format.write_array(ys, np.zeros(4) if y is None else y)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", header.getvalue() + payload)
        archive.writestr("y.npy", ys.getvalue())
    return path


def test_an_npz_header_declaring_a_huge_shape_is_refused_before_loading(hostile):
    got = hostile["huge.npz"]
    assert got["error"] == "DataError", got
    assert got["message"] == ("huge.npz: the arrays' headers declare 8,000,000,000,032 bytes; "
                              ".npz files are capped at 1,073,741,824 bytes (set "
                              "LAYERLOOM_MAX_NPZ_BYTES to change it)")
    assert got["arrays"] == 0  # refused from the headers: no array was read


def test_npz_budget_is_set_in_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "ok.npz"
    np.savez(path, x=np.zeros((40, 3)), y=np.arange(40) % 2)
    assert load_dataset(path).input_shape == (3,)
    monkeypatch.setenv("LAYERLOOM_MAX_NPZ_BYTES", "1000")
    with pytest.raises(DataError, match=r"ok\.npz: the arrays take 1,536 bytes uncompressed; "
                                        r"\.npz files are capped at 1,000 bytes \(set "
                                        r"LAYERLOOM_MAX_NPZ_BYTES to change it\)"):
        load_dataset(path)
    path = npz_with_header(tmp_path / "liar.npz", (1000, 1000))  # 300 bytes, 8 MB declared
    monkeypatch.setenv("LAYERLOOM_MAX_NPZ_BYTES", "1000000")
    with pytest.raises(DataError, match=r"liar\.npz: the arrays' headers declare 8,000,032 "
                                        r"bytes; \.npz files are capped at 1,000,000 bytes"):
        load_dataset(path)


def test_an_npz_whose_data_is_shorter_than_its_header_says_is_refused(tmp_path):
    path = npz_with_header(tmp_path / "short.npz", (4, 100))
    with pytest.raises(DataError, match=r"short\.npz: not a valid \.npz file, or an array in "
                                        r"it is damaged"):
        load_dataset(path)


def test_an_npz_header_declaring_objects_is_refused_unread(tmp_path):
    path = npz_with_header(tmp_path / "obj.npz", (4,), descr="|O")
    with pytest.raises(DataError, match=r"obj\.npz: an array could not be read without "
                                        r"unpickling: 'x' holds Python objects"):
        load_dataset(path)


def wide_csv(path, columns: int, rows: int = 4):
    lines = [",".join(f"c{i}" for i in range(columns))]
    lines += [",".join(str((r + i) % 2) for i in range(columns)) for r in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_csv_with_40000_columns_is_refused_naming_the_budget(hostile):
    assert 900_000 < hostile["sizes"]["wide.csv"] < 1_200_000
    got = hostile["wide.csv"]
    assert got["error"] == "DataError", got
    assert got["message"] == ("wide.csv, line 1: the header has 40,000 columns; CSV files are "
                              "capped at 10,000 columns (set LAYERLOOM_MAX_CSV_COLUMNS to "
                              "change it)")


class CountedName(str):
    """A column name that counts every comparison and hash made of it (``CountedName.uses``):
    finding a column by a search of the header compares the name sought with each name before
    it, a dict finds it by one hash."""

    uses = 0

    def __eq__(self, other):
        CountedName.uses += 1
        return str.__eq__(self, other)

    def __ne__(self, other):
        CountedName.uses += 1
        return str.__ne__(self, other)

    def __hash__(self):
        CountedName.uses += 1
        return str.__hash__(self)


def test_reading_a_csv_is_linear_in_its_columns(tmp_path, monkeypatch):
    """Ten times the columns costs about ten times the work on the header's names, not a
    hundred: the column lookup was a search of the header (40,000 columns took 31 s). The work
    is counted, not timed (``benchmarks/csv_load_bench.py --wide`` times it)."""
    from layerloom.runtime.data import csvfile

    header = csvfile._header
    monkeypatch.setattr(csvfile, "_header",
                        lambda *a: [CountedName(name) for name in header(*a)])
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_COLUMNS", "100000")
    uses = {}
    for columns in (200, 2_000):
        CountedName.uses = 0
        dataset = load_dataset(wide_csv(tmp_path / f"{columns}.csv", columns, rows=4))
        assert dataset.input_shape == (columns - 1,)
        uses[columns] = CountedName.uses
    assert 0 < uses[2_000] < 15 * uses[200], uses  # a search of the header: about 100 times


def test_budgets_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("LAYERLOOM_TEST_BUDGET", "1e9")
    assert budget("LAYERLOOM_TEST_BUDGET", 5) == 1_000_000_000
    for bad in ("", "-3", "lots", "0", "1e999999"):
        monkeypatch.setenv("LAYERLOOM_TEST_BUDGET", bad)
        assert budget("LAYERLOOM_TEST_BUDGET", 5) == 5


def test_csv_values_are_capped_while_the_file_is_read(tmp_path, monkeypatch):
    path = wide_csv(tmp_path / "long.csv", 4, rows=60)
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_CELLS", "200")
    with pytest.raises(DataError, match=r"long\.csv, line 52: more than 50 rows of 4 columns; "
                                        r"CSV files are capped at 200 values \(set "
                                        r"LAYERLOOM_MAX_CSV_CELLS to change it\)"):
        load_dataset(path)
    monkeypatch.setenv("LAYERLOOM_MAX_CSV_CELLS", "240")
    assert load_dataset(path).input_shape == (3,)
