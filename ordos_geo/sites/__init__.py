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
