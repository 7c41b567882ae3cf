"""How a folder or zip of images is laid out: a train/val tree is refused naming the folder to
point at (not read as classes "train" and "val"); files that are not images are left out of a
zip as they are of a folder; a damaged image is named with its class folder."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from layerloom.runtime.data import DataError, load_dataset


def png(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (6, 5), value).save(buffer, "PNG")
    return buffer.getvalue()


def write_tree(root, files: dict[str, bytes]):
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


def zip_tree(path, files: dict[str, bytes]):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def split_tree(prefix: str, splits=("train", "val")) -> dict[str, bytes]:
    return {f"{prefix}{split}/{cls}/{i}.png": png(60 * k + i)
            for split in splits for k, cls in enumerate(("a", "b")) for i in range(4)}


def pets(prefix: str = "") -> dict[str, bytes]:
    return {f"{prefix}{cls}/{i}.png": png(60 * k + i)
            for k, cls in enumerate(("cat", "dog")) for i in range(5)}


@pytest.mark.parametrize("splits", [("train", "val"), ("train", "test")])
def test_a_train_val_folder_is_refused_naming_the_folder_to_point_at(tmp_path, splits):
    root = write_tree(tmp_path / "splitdir", split_tree("", splits))
    with pytest.raises(DataError, match=r"^splitdir: splitdir/train holds class folders "
                                        r"\('a', 'b'\), not images: point LayerLoom at "
                                        r"splitdir/train"):
        load_dataset(root)
    ds = load_dataset(root / "train")  # where the message points: the real classes
    assert ds.classes == ["a", "b"]


def test_a_train_val_zip_is_refused_naming_the_folder(tmp_path):
    path = zip_tree(tmp_path / "splitdir.zip", split_tree("splitdir/"))
    with pytest.raises(DataError, match=r"^splitdir\.zip: splitdir/train holds class folders "
                                        r"\('a', 'b'\), not images: zip splitdir/train on its own"):
        load_dataset(path)
    flat = zip_tree(tmp_path / "flat.zip", split_tree(""))
    with pytest.raises(DataError, match=r"^flat\.zip: train holds class folders"):
        load_dataset(flat)


def test_a_class_folder_of_folders_beside_class_folders_of_images_is_one_class(tmp_path):
    # cats/ holds its images, dogs/ only dogs/small/ and dogs/large/: the classes are cats and
    # dogs, each dog folder read as dogs, said with how to make them classes of their own
    files = {**{f"cats/{i}.png": png(10 + i) for i in range(5)},
             **{f"dogs/small/{i}.png": png(100 + i) for i in range(3)},
             **{f"dogs/large/{i}.png": png(200 + i) for i in range(4)}}
    note = ("dogs holds no images of its own but folders of them ('large', 'small'): their 7 "
            "images are read as the one class 'dogs'; to make each folder a class of its own, "
            "move it out of dogs beside the other class folders")
    from_folder = load_dataset(write_tree(tmp_path / "pets", files), seed=0)
    from_zip = load_dataset(zip_tree(tmp_path / "pets.zip",
                                     {f"pets/{k}": v for k, v in files.items()}), seed=0)
    for ds in (from_folder, from_zip):
        assert ds.classes == ["cats", "dogs"]
        counts = ds.class_counts()
        assert [sum(counts[s][c] for s in counts) for c in ds.classes] == [5, 7]
        assert note in ds.meta["notes"]
        assert not any("lie in folders inside" in n for n in ds.meta["notes"])


@pytest.mark.parametrize("zipped", [False, True])
def test_a_split_folder_beside_class_folders_of_images_is_refused_naming_it(tmp_path, zipped):
    files = {**pets(), **{f"val/{cls}/{i}.png": png(90) for cls in ("cat", "dog")
                          for i in range(2)}}
    message = (r"pets/val holds class folders \('cat', 'dog'\) beside the class folders of "
               r"images: a val split is not a class; move its images into the class folders "
               r"of the same names")
    where = (zip_tree(tmp_path / "pets.zip", {f"pets/{k}": v for k, v in files.items()})
             if zipped else write_tree(tmp_path / "pets", files))
    with pytest.raises(DataError, match=message):
        load_dataset(where)


def test_class_folders_that_all_hold_folders_are_still_refused(tmp_path):
    files = {f"{cls}/{sub}/{i}.png": png(50 * k + i) for k, cls in enumerate(("cat", "dog"))
             for sub in ("2019", "2020") for i in range(3)}
    message = (r"pets/cat holds folders of images \('2019', '2020'\), not images: each class "
               r"folder")
    with pytest.raises(DataError, match=message):
        load_dataset(write_tree(tmp_path / "pets", files))
    with pytest.raises(DataError, match=message):
        load_dataset(zip_tree(tmp_path / "pets.zip", {f"pets/{k}": v for k, v in files.items()}))


def test_images_both_in_a_class_folder_and_below_it_still_load(tmp_path):
    files = {**pets(), "dog/more/9.png": png(90)}
    assert load_dataset(write_tree(tmp_path / "pets", files)).class_counts()["train"]
    ds = load_dataset(zip_tree(tmp_path / "pets.zip", files))
    assert ds.classes == ["cat", "dog"]


def test_a_zip_leaves_out_the_files_a_folder_leaves_out(tmp_path):
    junk = {"photos/cat/notes.txt": b"hello", "photos/.DS_Store": b"\0",
            "photos/dog/Thumbs.db": b"\0", "photos/README.md": b"# photos",
            "photos/dog/desktop.ini": b"[x]"}
    files = {**pets("photos/"), **junk}
    from_zip = load_dataset(zip_tree(tmp_path / "photos.zip", files), seed=0)
    from_folder = load_dataset(write_tree(tmp_path, files) / "photos", seed=0)
    assert from_zip.classes == from_folder.classes == ["cat", "dog"]
    total = sum(len(from_zip.split(s)[0]) for s in ("train", "val", "test"))
    assert total == 10 == len(from_folder.x_train.files) + len(from_folder.x_val.files) + len(
        from_folder.x_test.files)


def test_a_class_folder_holding_only_other_files_holds_no_images(tmp_path):
    files = {**pets(), "eel/notes.txt": b"hello"}
    with pytest.raises(DataError, match=r"pets\.zip: class folder 'eel' holds no images"):
        load_dataset(zip_tree(tmp_path / "pets.zip", files))
    with pytest.raises(DataError, match=r"class folder 'eel' holds no PNG, JPEG, WebP, BMP, "
                                        r"GIF or TIFF images; add its images, or remove the "
                                        r"folder"):
        load_dataset(write_tree(tmp_path / "pets", files))


def test_a_damaged_image_in_a_folder_names_its_class_folder(tmp_path):
    files = {**pets(), "dog/broken.png": png(10)[:40]}
    with pytest.raises(DataError, match=r"^pets, entry 'dog/broken\.png': cannot be read"):
        ds = load_dataset(write_tree(tmp_path / "pets", files), stats_sample=100)
        ds.x_train[:]
        ds.x_val[:]
        ds.x_test[:]


def test_a_file_that_is_no_image_in_a_zip_is_said_without_pillows_objects(tmp_path):
    files = {**pets(), "dog/notes.png": b"these are words, not pixels"}
    with pytest.raises(DataError) as caught:
        load_dataset(zip_tree(tmp_path / "pets.zip", files))
    assert str(caught.value) == ("pets.zip, entry 'dog/notes.png': cannot be read as an image "
                                 "(not an image format Pillow knows (PNG, JPEG, GIF, BMP, TIFF, "
                                 "WebP…)); remove it or replace it with a good copy, and load "
                                 "the data again, or leave it out with leave_out_broken=True "
                                 "(named in the notes)")


def test_a_file_that_is_no_image_in_a_folder_is_said_the_same_way(tmp_path):
    files = {**pets(), "dog/notes.png": b"these are words, not pixels"}
    with pytest.raises(DataError, match=r"cannot be read as an image \(not an image format "
                                        r"Pillow knows") as caught:
        ds = load_dataset(write_tree(tmp_path / "pets", files), stats_sample=100)
        ds.x_train[:]
        ds.x_val[:]
        ds.x_test[:]
    assert " object at 0x" not in str(caught.value)


def test_a_folder_of_one_text_file_per_class_says_how_texts_are_read(tmp_path):
    # reviews/pos.txt and reviews/neg.txt, a text a line: no class folders of images, and the
    # error said only 'found none', nothing of the texts or how LayerLoom reads them
    root = write_tree(tmp_path / "reviews", {"pos.txt": b"great film\nloved it\n",
                                             "neg.txt": b"dull\ntoo long\n"})
    with pytest.raises(DataError) as caught:
        load_dataset(root)
    assert str(caught.value) == (
        "reviews: classification needs at least 2 class folders, found none; it holds 2 text "
        "files (neg.txt, pos.txt): texts are read from one CSV file, a column of texts and a "
        "column of their labels, one row per text; from one file of texts per class, a text a "
        "line, pandas writes it: pd.concat(pd.DataFrame({'text': p.read_text().splitlines(), "
        "'label': p.stem}) for p in sorted(Path('reviews').glob('*.txt')))"
        ".to_csv('reviews.csv', index=False)")


def test_a_folder_holding_one_data_file_says_to_load_that_file(tmp_path):
    root = write_tree(tmp_path / "survey", {"answers.csv": b"a,b\n1,x\n2,y\n"})
    with pytest.raises(DataError, match=r"^survey: classification needs at least 2 class "
                                        r"folders, found none; it holds answers\.csv: to read "
                                        r"that file, load it rather than its folder$"):
        load_dataset(root)


def test_a_zip_of_one_text_file_per_class_says_how_texts_are_read(tmp_path):
    path = zip_tree(tmp_path / "reviews.zip", {"reviews/pos.txt": b"great film\n",
                                               "reviews/neg.txt": b"dull\n"})
    with pytest.raises(DataError, match=r"^reviews\.zip: classification needs at least 2 class "
                                        r"folders, found none; it holds 2 text files \(neg\.txt, "
                                        r"pos\.txt\): texts are read from one CSV file, .* pandas "
                                        r"writes it from the unzipped folder: pd\.concat\("):
        load_dataset(path)
