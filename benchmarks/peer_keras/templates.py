"""Where the templates are: LayerLoom's shipped assets."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# which benchmark array set feeds which template
DATASET = {"seed-cnn": "images", "resnet-mini": "images", "mlp-tabular": "table"}


def template_path(name: str) -> Path:
    return Path(str(resources.files("layerloom.assets") / "templates" / f"{name}.json"))
