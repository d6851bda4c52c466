"""The supervision table (``resources/supervision.yaml``), read by one loader."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import yaml

__all__ = ["rules"]


@lru_cache(maxsize=1)
def rules() -> dict:
    """The supervision table (``resources/supervision.yaml``)."""
    text = resources.files("ordos_geo").joinpath("resources/supervision.yaml").read_text("utf-8")
    return yaml.safe_load(text)
