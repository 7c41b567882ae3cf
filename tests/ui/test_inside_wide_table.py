"""Look inside on a wide table (2,000 columns): a feature chart shows the 30 largest
attributions and says so in its title, not a bar for each of 2,000 features in a chart 44,000
pixels tall (one for the sample, one for the test set)."""

from __future__ import annotations

import numpy as np

from layerloom.ui.inside import features_figure


def test_a_wide_tables_chart_shows_its_largest_attributions_and_says_so():
    scores = np.linspace(-1, 1, 2000) ** 3
    names = [f"f{i}" for i in range(2000)]
    fig = features_figure(names, scores, "This sample", target="yes")
    [bars] = fig.data
    assert len(bars.y) == 30
    assert set(bars.y) == {f"f{i}" for i in [*range(15), *range(1985, 2000)]}
    assert fig.layout.title.text == "This sample: the 30 largest of 2,000 features"
    assert fig.layout.height <= 60 + 22 * 30


def test_a_narrow_tables_chart_shows_every_feature():
    fig = features_figure(["a", "b", "c"], np.array([0.1, -0.5, 0.2]), "Over the test set")
    assert list(fig.data[0].y) == ["a", "c", "b"]  # the largest on top
    assert fig.layout.title.text == "Over the test set"
