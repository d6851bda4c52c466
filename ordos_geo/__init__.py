"""ordos_geo — a geospatial planner for mine remediation in Ordos (鄂尔多斯).

Modules are used through their names: ``og.sites.read_sites(...)``, ``og.zones.build_zones(...)``.
Each module is imported on first use (``import ordos_geo`` itself loads no geospatial library),
so a script that only reads sites does not pay for maps, imagery or the demo.
"""

from importlib import import_module as _import_module

from ._version import __version__
from .settings import settings

#: The public modules, loaded when first used (PEP 562).
_MODULES = ("adjacency", "corners", "datasets", "demo", "dictionary", "disturbance", "earthworks", "export", "imagery", "io", "maps", "plans",
            "projection", "reclamation", "register", "rules", "samples", "sheets", "sites", "suitability", "supervision", "synthetic", "terrain", "utils",
            "zones")

__all__ = [*_MODULES, "settings", "__version__"]


def __getattr__(name: str):
    if name in _MODULES:
        module = _import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ordos_geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))
