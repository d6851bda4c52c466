"""The supervision table (``resources/supervision.yaml``), read by one loader."""

from __future__ import annotations

from ..core.yaml_tables import load_table

__all__ = ["rules"]


def rules() -> dict:
    """The supervision table (``resources/supervision.yaml``), checked against its schema."""
    return load_table("supervision")
