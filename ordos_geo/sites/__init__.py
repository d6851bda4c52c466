"""Sites: mine and parcel polygons read, mapped to the canonical fields and validated
(:mod:`ordos_geo.sites.read`); ``og.sites.read_sites``, ``og.sites.validate``."""

from .read import (
                   CANONICAL_FIELDS,
                   REPORT_COLUMNS,
                   ValidationResult,
                   read_sites,
                   schema_markdown,
                   sites_from_frame,
                   validate,
)

__all__ = ["read_sites", "sites_from_frame", "validate", "ValidationResult", "CANONICAL_FIELDS",
           "REPORT_COLUMNS", "schema_markdown"]


# 0.3's sites.py was one module: its other public names, from where they live now (deprecated)
from ..core.utils import renamed as _renamed  # noqa: E402

__getattr__ = _renamed(__name__, {}, homes=('ordos_geo.sites.read',))
