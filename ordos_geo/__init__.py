"""ordos_geo — a geospatial planner for mine remediation in Ordos (鄂尔多斯).

Modules are used through their names: ``og.sites.read_sites(...)``, ``og.zones.build_zones(...)``.
Each is imported on first use (``import ordos_geo`` itself loads no geospatial library), so a
script that only reads sites does not pay for maps, imagery or the demo. The code lives in
subpackages by concern (``core``, ``io``, ``sites``, ``zoning``, ``imagery``, ``register``,
``joint``, ``publish``, ``demo``, ``cli``); ``og.zones`` is ``ordos_geo.zoning.zones``. The flat
import paths of 0.3 (``ordos_geo.zones``, …) still work with a ``DeprecationWarning`` until 1.0.
"""

from importlib import import_module as _import_module

from . import _moved
from ._version import __version__
from .core.settings import settings

#: ``og.<name>`` → the module it is, loaded when first used (PEP 562).
MODULES = {
    "projection": "core.projection", "dictionary": "core.dictionary", "utils": "core.utils",
    "errors": "core.errors", "cluster": "core.cluster",
    "io": "io", "datasets": "io.datasets", "corners": "io.corners",
    "sites": "sites",
    "adjacency": "zoning.adjacency", "zones": "zoning.zones", "rules": "zoning.rules",
    "plans": "zoning.plans",
    "imagery": "imagery", "reclamation": "imagery.reclamation",
    "disturbance": "imagery.disturbance", "samples": "imagery.samples",
    "accuracy": "imagery.accuracy", "classify": "imagery.classify",
    "landscapes": "imagery.landscapes",
    "scenarios": "imagery.scenarios",
    "register": "register", "supervision": "register.supervision",
    "terrain": "joint.terrain", "earthworks": "joint.earthworks",
    "suitability": "joint.suitability",
    "costs": "programme.costs", "schedule": "programme.schedule",
    "maps": "publish.maps", "sheets": "publish.sheets", "export": "publish.export",
    "symbology": "publish.symbology",
    "demo": "demo", "synthetic": "demo.synthetic",
    "core": "core", "zoning": "zoning", "joint": "joint", "programme": "programme",
    "publish": "publish", "cli": "cli",
}

__all__ = [*MODULES, "settings", "__version__"]

_moved.install(__name__)


def __getattr__(name: str):
    if name in MODULES:
        module = _import_module(f".{MODULES[name]}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'ordos_geo' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(MODULES))
