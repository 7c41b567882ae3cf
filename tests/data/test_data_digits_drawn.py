"""Try it with drawn digits (issue 12): a digit drawn on a white canvas, as the drawing canvas
gives it (dark, thick strokes on 280×280), is prepared as MNIST's digits were made — inverted to
light on dark, cropped, scaled into a 20×20 box, centred by its centre of mass in 28×28 — and a
model trained on mnist-5k reads most of them right."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from layerloom.runtime.data.preprocessing import (centre_of_mass, digit_frame, prepare_digit,
                                                  preprocessing)

# Strokes of each digit on a 280×280 canvas: polylines (and an ellipse for 0).
STROKES = {
    "0": [("ellipse", (85, 45, 195, 235))],
    "1": [("line", [(120, 80), (155, 45), (155, 235)])],
    "2": [("line", [(85, 95), (110, 58), (160, 50), (195, 85), (185, 130), (85, 230),
                    (205, 230)])],
    "3": [("line", [(85, 60), (190, 60), (130, 130), (180, 150), (195, 190), (165, 230),
                    (90, 225)])],
    "4": [("line", [(165, 235), (165, 45), (80, 170), (210, 170)])],
    "5": [("line", [(195, 50), (100, 50), (95, 130), (150, 115), (190, 150), (190, 200),
                    (150, 232), (90, 220)])],
    "7": [("line", [(75, 55), (205, 55), (120, 235)])],
    "9": [("line", [(185, 105), (160, 55), (110, 55), (90, 100), (120, 140), (185, 110),
                    (180, 235)])],
}


def draw(digit: str, *, shift=(0, 0), scale=1.0, width=20, size=280) -> np.ndarray:
    """The digit in black strokes on a white RGBA canvas, as the drawing canvas returns it."""
    image = Image.new("RGBA", (size, size), (255, 255, 255, 255))
    pen = ImageDraw.Draw(image)

    def at(p):
        return (140 + (p[0] - 140) * scale + shift[0], 140 + (p[1] - 140) * scale + shift[1])

    for kind, shape in STROKES[digit]:
        if kind == "ellipse":
            a, b = at(shape[:2]), at(shape[2:])
            pen.ellipse([a, b], outline=(0, 0, 0, 255), width=width)
        else:
            points = [at(p) for p in shape]
            pen.line(points, fill=(0, 0, 0, 255), width=width, joint="curve")
            for p in points:  # round ends, as a pen leaves them
                r = width / 2
                pen.ellipse([p[0] - r, p[1] - r, p[0] + r, p[1] + r], fill=(0, 0, 0, 255))
    return np.asarray(image)


@pytest.fixture(scope="module")
def model():
    """A small CNN (seed-cnn at a quarter width) trained 2 epochs on mnist-5k here."""
    from layerloom.graph.templates import load_template
    from layerloom.runtime import TrainConfig, load_dataset, train

    ds = load_dataset("mnist-5k")
    graph = load_template("seed-cnn")
    result = train(graph, ds, TrainConfig(epochs=2, batch_size=64, lr=3e-3, seed=0,
                                          num_threads=2, log_every=1000),
                   variables={"width": 0.25, "classes": 10})
    assert result.metrics["test_accuracy"] > 0.9
    return result.model.eval(), ds


def test_drawn_digit_is_prepared_as_mnist_digits_were():
    from layerloom.ui.predict import gray_of

    out = prepare_digit(gray_of(draw("7")))
    assert out.shape == (28, 28) and out.dtype == np.float32
    assert 0.99 <= out.max() <= 1.0 and out.min() == 0.0
    # light strokes on black: the border is background
    assert np.concatenate([out[0], out[-1], out[:, 0], out[:, -1]]).max() == 0.0
    rows, cols = np.nonzero(out > 0.1)
    # fitted in the 20×20 box: the taller side spans 20 pixels (give or take the anti-aliasing)
    assert 19 <= rows.max() - rows.min() + 1 <= 21
    assert cols.max() - cols.min() + 1 <= 20
    cy, cx = centre_of_mass(out)
    assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_centre_of_mass_within_a_pixel_of_the_centre(digit):
    from layerloom.ui.predict import gray_of

    # drawn small, off-centre, in the corner of the canvas: still centred by mass
    for shift, scale in (((0, 0), 1.0), ((-70, 60), 0.5), ((60, -50), 0.6)):
        cy, cx = centre_of_mass(prepare_digit(gray_of(draw(digit, shift=shift, scale=scale))))
        assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1, (digit, shift, scale, cy, cx)


def test_light_on_dark_and_dark_on_light_give_the_same_digit():
    from layerloom.ui.predict import gray_of

    rgba = draw("3")
    inverted = rgba.copy()
    inverted[..., :3] = 255 - inverted[..., :3]
    np.testing.assert_allclose(prepare_digit(gray_of(rgba)), prepare_digit(gray_of(inverted)),
                               atol=1e-6)


def test_empty_canvas_and_bad_input():
    assert prepare_digit(np.ones((280, 280))).sum() == 0  # white paper, no strokes
    with pytest.raises(ValueError, match="must be 2-D"):
        prepare_digit(np.ones((3, 4, 5)))


def test_only_digit_datasets_are_prepared_as_digits():
    from layerloom.runtime.data import load_dataset

    mnist = load_dataset("mnist-5k")
    assert digit_frame(mnist) == {"size": 28, "box": 20}
    assert preprocessing(mnist)["digit"] == {"size": 28, "box": 20}
    assert digit_frame(load_dataset("digits")) is None  # 8×8, made otherwise
    assert "digit" not in preprocessing(load_dataset("iris"))


@pytest.mark.heavy  # trains seed-cnn for two epochs first: make test-all
def test_drawn_digits_are_read_right(model):
    import torch

    from layerloom.ui import predict

    net, ds = model
    right, seen = [], {}
    for digit in sorted(STROKES):
        raw = predict.picture_input(draw(digit), ds)  # what the model sees, before normalising
        assert raw.shape == (1, 28, 28)
        cy, cx = centre_of_mass(raw[0])
        assert abs(cy - 13.5) <= 1 and abs(cx - 13.5) <= 1
        with torch.no_grad():
            out = net(predict.from_raw(raw[None], ds))
        guess = ds.classes[int(out.argmax())]
        seen[digit] = guess
        right.append(guess == digit)
    assert sum(right) >= 0.75 * len(right), seen
