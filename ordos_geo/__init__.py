"""ordos_geo — a geospatial planner for mine remediation in Ordos (鄂尔多斯).

Modules are used through their names: ``og.sites.read_sites(...)``, ``og.projection.area_ha(...)``.
"""

from . import datasets, demo, io, projection, sites, synthetic, utils
from .settings import settings

__version__ = "0.1.0"

__all__ = ["datasets", "demo", "io", "projection", "settings", "sites", "synthetic", "utils", "__version__"]
