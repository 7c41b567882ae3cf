"""Image zips and folders as cameras, phones and file managers leave them
(runtime/data/images.py, folder.py): a zip made on macOS, WebP and upper-case suffixes, photos
stored sideways with an EXIF orientation, CMYK and palette images, a damaged photo among good
ones, an empty class folder, files that are not images."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from PIL import Image

from layerloom.runtime.data import DataError, load_dataset
from layerloom.runtime.data.folder import decode

RED, BLUE = (220, 20, 20), (20, 20, 220)


def picture(fmt: str = "PNG", size=(20, 16), mode: str = "RGB", **save) -> bytes:
    """Left half red, right half blue (``size`` is width, height)."""
    w, h = size
    pixels = np.zeros((h, w, 3), np.uint8)
    pixels[:, : w // 2] = RED
    pixels[:, w // 2:] = BLUE
    image = Image.fromarray(pixels)
    if mode != "RGB":
        image = image.convert(mode)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


def sideways(orientation: int = 6) -> bytes:
    """A phone's portrait photo: stored 20 wide and 16 high, with the tag saying to turn it
    90° clockwise to show it (16 wide, 20 high, the red half on top)."""
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = orientation
    return picture("JPEG", exif=exif.tobytes(), quality=95)


def zipped(path, files: dict) -> str:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return str(path)


def tree(root, files: dict) -> str:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return str(root)


def raw_pixels(ds) -> np.ndarray:
    """The training images back in [0, 255] (undoing the per-channel standardisation)."""
    x = ds.x_train[:].numpy() if hasattr(ds.x_train, "files") else ds.x_train.numpy()
    mean = np.asarray(ds.normalization["mean"]).reshape(1, -1, 1, 1)
    std = np.asarray(ds.normalization["std"]).reshape(1, -1, 1, 1)
    return (x * std + mean) * 255


def test_a_zip_made_on_macos_reads_its_classes_and_nothing_else(tmp_path):
    files = {}
    for label in ("cat", "dog"):
        for i in range(6):
            files[f"pets/{label}/{i}.jpg"] = picture("JPEG")
            files[f"__MACOSX/pets/{label}/._{i}.jpg"] = b"\x00\x05\x16\x07" + bytes(60)
            files[f"pets/{label}/._{i}.jpg"] = b"\x00\x05\x16\x07" + bytes(60)
        files[f"pets/{label}/.DS_Store"] = b"\x00\x00\x00\x01Bud1"
    ds = load_dataset(zipped(tmp_path / "pets.zip", files), val_fraction=0, test_fraction=0)
    assert ds.classes == ["cat", "dog"] and len(ds.x_train) == 12
    assert "notes" not in ds.meta  # archivers' leftovers go without a word


@pytest.mark.parametrize("where", ["zip", "folder"])
def test_webp_bmp_gif_and_upper_case_suffixes_are_all_read(tmp_path, where):
    """.webp photos were left out without a word (4 of 12 images read)."""
    files = {}
    for label in ("cat", "dog"):
        files[f"{label}/a.JPG"] = picture("JPEG")
        files[f"{label}/b.jpeg"] = picture("JPEG")
        files[f"{label}/c.webp"] = picture("WEBP", lossless=True)
        files[f"{label}/d.WEBP"] = picture("WEBP", lossless=True)
        files[f"{label}/e.bmp"] = picture("BMP")
        files[f"{label}/f.gif"] = picture("GIF")
    source = zipped(tmp_path / "pets.zip", files) if where == "zip" else \
        tree(tmp_path / "pets", files)
    ds = load_dataset(source, val_fraction=0, test_fraction=0)
    assert len(ds.x_train) == 12 and ds.input_shape == (3, 16, 20)
    pixels = raw_pixels(ds)
    assert np.allclose(pixels[:, 0, :, :8].mean(), RED[0], atol=12)  # every image's red half
    assert np.allclose(pixels[:, 2, :, 12:].mean(), BLUE[2], atol=12)


@pytest.mark.parametrize("where", ["zip", "folder"])
def test_a_photo_stored_sideways_is_turned_as_its_exif_says(tmp_path, where):
    """Read as stored, a phone's portrait photo was sideways in training but upright in the
    app's Try it and the bundle's predict.py (both apply the EXIF orientation)."""
    files = {f"{label}/{i}.jpg": sideways() for label in ("cat", "dog") for i in range(4)}
    source = zipped(tmp_path / "phone.zip", files) if where == "zip" else \
        tree(tmp_path / "phone", files)
    ds = load_dataset(source, val_fraction=0, test_fraction=0)
    assert ds.input_shape == (3, 20, 16)  # 20 high, 16 wide: as shown
    assert ds.meta["original_sizes"] == [[20, 16]]
    pixels = raw_pixels(ds)
    top, bottom = pixels[:, 0, :8].mean(), pixels[:, 0, 12:].mean()
    assert top > 180 and bottom < 60, (top, bottom)  # the red half on top
    if where == "zip":
        assert ds.meta["notes"] == ["8 photos turned upright as their EXIF orientation says "
                                    "(as a phone or camera shows them)"]
    else:  # decoded one by one as training reads them; a smaller size keeps the turn
        small = decode(tmp_path / "phone" / "cat" / "0.jpg", (10, 8), "rgb", "stretch")
        assert small.shape == (10, 8, 3) and small[:4, :, 0].mean() > 180


def test_cmyk_palette_and_gray_alpha_images_read_as_their_colours(tmp_path):
    cmyk = io.BytesIO()
    Image.new("CMYK", (20, 16), (0, 255, 255, 0)).save(cmyk, format="JPEG", quality=95)
    palette = Image.new("P", (20, 16), 1)
    palette.putpalette([0, 0, 0, 0, 200, 0] + [0] * 762)
    transparent = io.BytesIO()
    palette.save(transparent, format="PNG", transparency=0)
    ds = load_dataset(zipped(tmp_path / "mixed.zip", {
        **{f"cmyk/{i}.jpg": cmyk.getvalue() for i in range(4)},
        **{f"palette/{i}.png": transparent.getvalue() for i in range(4)}}),
        val_fraction=0, test_fraction=0)
    pixels = raw_pixels(ds)
    by_class = {name: pixels[ds.y_train.numpy() == k].mean(axis=(0, 2, 3)).round()
                for k, name in enumerate(ds.classes)}
    assert np.allclose(by_class["cmyk"], [255, 0, 0], atol=3)
    assert np.allclose(by_class["palette"], [0, 200, 0], atol=1)
    gray = io.BytesIO()
    Image.new("LA", (20, 16), (128, 60)).save(gray, format="PNG")
    ds = load_dataset(zipped(tmp_path / "la.zip", {f"{c}/{i}.png": gray.getvalue()
                                                   for c in "ab" for i in range(4)}),
                      val_fraction=0, test_fraction=0)
    assert ds.input_shape == (1, 16, 20)
    assert np.allclose(raw_pixels(ds), 128, atol=0.5)  # the gray, not the alpha


def test_a_damaged_photo_among_fifty_is_named_with_what_to_do(tmp_path):
    files = {f"{label}/{i:02d}.jpg": picture("JPEG") for label in ("cat", "dog")
             for i in range(25)}
    files["dog/07.jpg"] = files["dog/07.jpg"][:200]  # cut off mid-way, as a failed copy
    with pytest.raises(DataError) as caught:
        load_dataset(zipped(tmp_path / "pets.zip", files))
    message = str(caught.value)
    assert message.startswith("pets.zip, entry 'dog/07.jpg': cannot be ")
    assert message.endswith("; remove it or replace it with a good copy, and load the data "
                            "again, or leave it out with leave_out_broken=True (named in the "
                            "notes)")
    assert "Traceback" not in message and " object at 0x" not in message


def test_an_empty_class_folder_says_what_to_do(tmp_path):
    files = {f"{label}/{i}.png": picture() for label in ("cat", "dog") for i in range(3)}
    path = tmp_path / "pets.zip"
    zipped(path, files)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(zipfile.ZipInfo("bird/"), b"")
    with pytest.raises(DataError) as caught:
        load_dataset(str(path))
    assert str(caught.value) == ("pets.zip: class folder 'bird' holds no images; add its images "
                                 "(PNG, JPEG, WebP, BMP, GIF or TIFF), or remove the folder")


def test_files_that_are_not_images_are_left_out_and_named(tmp_path):
    files = {f"{label}/{i}.png": picture() for label in ("cat", "dog") for i in range(4)}
    files.update({"cat/IMG_0001.HEIC": b"\x00\x00\x00\x18ftypheic", "dog/notes.txt": b"hi",
                  "cat/.hidden.png": b"", "Thumbs.db": b"\x00"})
    ds = load_dataset(zipped(tmp_path / "pets.zip", files), val_fraction=0, test_fraction=0)
    assert len(ds.x_train) == 8
    assert ds.meta["notes"] == ["2 files that are not PNG, JPEG, WebP, BMP, GIF or TIFF images left "
                                "out: cat/IMG_0001.HEIC, dog/notes.txt"]


@pytest.mark.parametrize("where", ["zip", "folder"])
def test_class_folders_of_text_files_say_how_texts_are_read(tmp_path, where):
    """A folder of reviews per class (pos/*.txt, neg/*.txt): "holds no images" alone left a
    user with texts nowhere to go."""
    files = {f"{label}/{i}.txt": b"a fine film" for label in ("neg", "pos") for i in range(3)}
    source = zipped(tmp_path / "reviews.zip", files) if where == "zip" else \
        tree(tmp_path / "reviews", files)
    with pytest.raises(DataError) as caught:
        load_dataset(source)
    assert str(caught.value).endswith(
        "or remove the folder (it holds 3 .txt files: texts are read from one CSV file, a "
        "column of texts and a column of their labels, one row per text)")
    assert "class folder 'neg' holds no " in str(caught.value)


def test_palette_images_with_transparency_read_their_colours_without_warnings(tmp_path):
    import warnings

    image = Image.new("P", (20, 16), 1)
    image.putpalette([0, 0, 0, 0, 200, 0, 200, 0, 0] + [0] * 759)
    image.paste(2, (0, 0, 10, 16))
    png = io.BytesIO()
    image.save(png, format="PNG", transparency=bytes([0, 128, 255]))
    files = {f"{c}/{i}.png": png.getvalue() for c in "ab" for i in range(4)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Pillow warned once per image
        ds = load_dataset(zipped(tmp_path / "icons.zip", files), val_fraction=0,
                          test_fraction=0)
        folder = load_dataset(tree(tmp_path / "icons", files), val_fraction=0, test_fraction=0)
    for read in (ds, folder):
        pixels = raw_pixels(read)
        assert np.allclose(pixels[:, :, :, :10].mean(axis=(0, 2, 3)), [200, 0, 0], atol=1)
        assert np.allclose(pixels[:, :, :, 10:].mean(axis=(0, 2, 3)), [0, 200, 0], atol=1)


class _Unflagged(zipfile.ZipInfo):
    """An entry whose UTF-8 name is stored without the UTF-8 flag, as Info-ZIP's zip does."""

    def _encodeFilenameFlags(self):
        return self.filename.encode("utf-8"), self.flag_bits & ~0x800


def test_utf8_class_names_without_the_zip_flag_are_read_as_written(tmp_path):
    """``café/`` zipped by ``zip`` on macOS or Linux was the class ``caf├⌐``."""
    path = tmp_path / "drinks.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for label in ("café", "thé"):
            for i in range(4):
                archive.writestr(_Unflagged(f"{label}/{i}.png"), picture())
    with zipfile.ZipFile(path) as archive:  # as Python's zipfile reads the names
        assert archive.namelist()[0] == "café/0.png".encode().decode("cp437")
    ds = load_dataset(str(path), val_fraction=0, test_fraction=0)
    assert ds.classes == ["café", "thé"]



@pytest.mark.parametrize("where", ["folder", "zip"])
def test_a_png_is_turned_by_its_exif_chunk_and_not_decoded_to_look_for_one(tmp_path, where,
                                                                          monkeypatch):
    """A PNG's orientation is its eXIf chunk before the pixels (as a browser shows it). One
    without is not decoded to look for one after them: Pillow's ``getexif`` decodes the whole
    image there, so reading a folder's sizes decoded every PNG once more."""
    from PIL import ImageFile

    from layerloom.runtime.data.images import orientation

    decoded = []
    load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda im: decoded.append(1) or load(im))
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6
    files = {f"{label}/{i}.png": picture("PNG", exif=exif.tobytes()) if i < 2 else
             picture("PNG", size=(16, 20)) for label in ("cat", "dog") for i in range(4)}
    for name, data in (("cat/0.png", files["cat/0.png"]), ("cat/3.png", files["cat/3.png"])):
        with Image.open(io.BytesIO(data)) as image:
            assert orientation(image) == (6 if name == "cat/0.png" else 1)
    assert decoded == []  # read from the headers: no pixel decoded
    source = zipped(tmp_path / "pngs.zip", files) if where == "zip" else \
        tree(tmp_path / "pngs", files)
    ds = load_dataset(source, val_fraction=0, test_fraction=0)
    # stored 20 wide and 16 high with the tag, or 16 wide and 20 high without: all shown 16
    # wide and 20 high once the tagged ones are turned
    assert ds.input_shape == (3, 20, 16) and ds.meta["original_sizes"] == [[20, 16]]
