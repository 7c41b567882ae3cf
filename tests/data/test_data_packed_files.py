"""A compressed or archived file (data.csv.gz, images.tar.gz, a .7z) is told to be unpacked,
with the tool and the file inside to load; it was 'files of type '.gz' cannot be loaded',
the list of types beside it and no word of the CSV inside."""

from __future__ import annotations

import gzip

import pytest

from layerloom.runtime import load_dataset
from layerloom.runtime.data import DataError


@pytest.mark.parametrize("name, said", [
    ("sales.csv.gz", "is a gzip-compressed file, which LayerLoom does not unpack: unpack it "
                     "(7-Zip on Windows, gunzip elsewhere) and load the .csv file inside"),
    ("photos.tar.gz", "is a gzip-compressed tar archive, which LayerLoom does not unpack: "
                      "unpack it (7-Zip on Windows, tar -xf elsewhere) and load the file or "
                      "folder inside"),
    ("photos.7z", "is a 7-Zip archive, which LayerLoom does not unpack: unpack it (7-Zip on "
                  "Windows, 7z x elsewhere) and load the file or folder inside"),
])
def test_packed_files_are_told_to_be_unpacked(tmp_path, name, said):
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"a,b,y\n1,2,0\n3,4,1\n"))
    with pytest.raises(DataError) as caught:
        load_dataset(path)
    assert str(caught.value) == (f"{name}: {said}; a folder of class folders of images can be "
                                 f"loaded as a .zip too")
