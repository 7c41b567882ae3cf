"""Fuzzing the upload readers (issue 11): NPZ headers, zip entries and CSV bytes, damaged at
random, end in a loaded dataset or a DataError — never another exception — each case within a
time limit."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from layerloom.runtime.data import DataError, load_dataset

# LAYERLOOM_FUZZ_EXAMPLES=1000 searches longer, and at random (the default run is repeatable).
EXAMPLES = int(os.environ.get("LAYERLOOM_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 40, deadline=timedelta(seconds=5),
                derandomize=not EXAMPLES,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _npy(array) -> bytes:
    out = io.BytesIO()
    np.lib.format.write_array(out, array, allow_pickle=False)
    return out.getvalue()


def _loads_or_data_error(path, **options) -> None:
    try:
        load_dataset(path, **options)
    except DataError as exc:
        assert str(exc).startswith(path.name), str(exc)


def _damage(data: bytes, edits: list[tuple[int, int]], limit: int) -> bytes:
    out = bytearray(data)
    for position, value in edits:
        out[position % min(limit, len(out))] = value
    return bytes(out)


EDITS = st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=6)
SHAPES = st.lists(st.integers(0, 2**62), min_size=0, max_size=4).map(tuple)
DESCRS = st.sampled_from(["<f8", "<f4", "|u1", "<i8", "<U3", "|S2", "|O", "|V8", "<c16",
                          [("a", "<f4")], "<M8[s]", "|b1"])


@FUZZ
@given(shape=SHAPES, descr=DESCRS, edits=EDITS, fortran=st.booleans())
def test_npz_headers_declaring_anything_give_data_errors(tmp_path, shape, descr, edits,
                                                          fortran):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": descr, "fortran_order": fortran, "shape": shape})
    x = _damage(header.getvalue(), edits, 128) + b"\1" * 256
    path = tmp_path / "fuzz.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", x)
        archive.writestr("y.npy", _npy(np.arange(8) % 2))
    _loads_or_data_error(path)


@FUZZ
@given(edits=EDITS, compress=st.booleans())
def test_damaged_npz_files_give_data_errors(tmp_path, edits, compress):
    buffer = io.BytesIO()
    save = np.savez_compressed if compress else np.savez
    save(buffer, x=np.random.default_rng(0).normal(size=(20, 3)), y=np.arange(20) % 2,
         classes=np.array(["a", "b"]))
    path = tmp_path / "fuzz.npz"
    path.write_bytes(_damage(buffer.getvalue(), edits, len(buffer.getvalue())))
    _loads_or_data_error(path)


def _image_bytes(kind: str, size: tuple[int, int], mode: str) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 90).save(out, kind)
    return out.getvalue()


@FUZZ
@given(kind=st.sampled_from(["PNG", "JPEG"]), mode=st.sampled_from(["L", "RGB"]),
       width=st.integers(1, 40), height=st.integers(1, 40), edits=EDITS,
       where=st.sampled_from(["image", "zip"]))
def test_damaged_image_zips_give_data_errors(tmp_path, kind, mode, width, height, edits,
                                             where):
    image = _image_bytes(kind, (width, height), mode)
    if where == "image":
        image = _damage(image, edits, 64)  # the header: size, mode, chunk lengths
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(6):
            archive.writestr(f"{'ab'[i % 2]}/{i}.{kind.lower()}", image)
    data = buffer.getvalue()
    path = tmp_path / "fuzz.zip"
    path.write_bytes(_damage(data, edits, len(data)) if where == "zip" else data)
    _loads_or_data_error(path)


CSV_TEXT = st.lists(st.sampled_from(list("ab1.5,;\t|\"\n\r -éx\x00") + ["nan", "inf"]),
                   max_size=200).map("".join)


@FUZZ
@given(body=CSV_TEXT, kind=st.sampled_from(["auto", "tabular", "text"]))
def test_csv_bytes_give_data_errors(tmp_path, body, kind):
    path = tmp_path / "fuzz.csv"
    path.write_text("a,b,y\n" + "1,2,0\n3,4,1\n" * 6 + body, encoding="utf-8")
    _loads_or_data_error(path, kind=kind)


@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_as_any_upload_give_data_errors(tmp_path, data):
    for suffix in (".csv", ".npz", ".zip"):
        path = tmp_path / f"fuzz{suffix}"
        path.write_bytes(data)
        _loads_or_data_error(path)
