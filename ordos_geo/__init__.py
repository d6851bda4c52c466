"""ordos_geo — a geospatial planner for mine remediation in Ordos (鄂尔多斯).

Modules are used through their names: ``og.sites.read_sites(...)``, ``og.zones.build_zones(...)``.
"""

from . import (adjacency, datasets, demo, export, imagery, io, maps, plans, projection,
               reclamation, rules, samples, sites, synthetic, utils, zones)
from ._version import __version__
from .settings import settings

__all__ = ["adjacency", "datasets", "demo", "export", "imagery", "io", "maps", "plans", "projection",
           "reclamation", "rules", "samples", "settings", "sites", "synthetic", "utils", "zones",
           "__version__"]
