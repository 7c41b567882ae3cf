"""Files in an image folder on disk that are not images read here (a ``notes.txt``, a scanned
``.pdf``) are left out and named in the dataset's notes, as a zip's are; hidden files and file
browsers' leftovers (``.DS_Store``, ``Thumbs.db``) are left out without a word, as in a zip.
They were all left out without a word."""

from __future__ import annotations

from PIL import Image

from layerloom.runtime.data import load_dataset
from layerloom.runtime.data.folder import class_counts


def pets(root, per_class: int = 6):
    for cls in ("cat", "dog"):
        (root / cls).mkdir(parents=True)
        for i in range(per_class):
            Image.new("RGB", (8, 8), (40 * i, 0, 0)).save(root / cls / f"{i}.png")
    return root


def test_files_that_are_not_images_are_named_in_the_notes(tmp_path):
    root = pets(tmp_path / "pets")
    (root / "cat" / "notes.txt").write_text("fluffy")
    (root / "dog" / "vet report.pdf").write_bytes(b"%PDF-1.4")
    (root / "dog" / ".DS_Store").write_bytes(b"\0")
    (root / "dog" / "Thumbs.db").write_bytes(b"\0")
    ds = load_dataset(root)
    assert ds.meta["notes"] == ["2 files that are not PNG, JPEG, WebP, BMP, GIF or TIFF images left "
                                "out: cat/notes.txt, dog/vet report.pdf"]
    assert class_counts(root) == {"cat": 6, "dog": 6}


def test_many_are_counted_and_the_first_five_named(tmp_path):
    root = pets(tmp_path / "pets")
    for i in range(7):
        (root / "cat" / f"scan{i}.pdf").write_bytes(b"%PDF-1.4")
    (root / "labels.csv").write_text("file,label\n")  # beside the class folders
    [note] = load_dataset(root).meta["notes"]
    assert note == ("8 files that are not PNG, JPEG, WebP, BMP, GIF or TIFF images left out: "
                    "cat/scan0.pdf, cat/scan1.pdf, cat/scan2.pdf, cat/scan3.pdf, cat/scan4.pdf …")


def test_a_folder_of_images_only_has_no_note(tmp_path):
    root = pets(tmp_path / "pets")
    (root / "dog" / ".DS_Store").write_bytes(b"\0")
    assert "notes" not in load_dataset(root).meta
