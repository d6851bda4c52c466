"""The import paths of 0.3, before the subpackages: ``ordos_geo.zones`` is now
``ordos_geo.zoning.zones``. Each old path is a small stand-in module that forwards every name to
the new module with a ``DeprecationWarning`` (until 1.0). ``og.zones`` itself does not warn: the
``og.<name>`` spellings of the README are the API.

The stand-ins are put in ``sys.modules`` (no import machinery of our own), so importing an old
path never replaces an attribute of the package (``og.settings`` stays the settings object).
"""

from __future__ import annotations

import sys
import types
import warnings
from importlib import import_module

#: old module (under ``ordos_geo``) → new module. ``io``, ``sites``, ``imagery``, ``register`` and
#: ``demo`` kept their paths (they are packages now, with the same names).
MOVED = {
    "settings": "core.settings", "projection": "core.projection", "utils": "core.utils",
    "dictionary": "core.dictionary", "_errors": "core.errors",
    "datasets": "io.datasets", "corners": "io.corners",
    "adjacency": "zoning.adjacency", "zones": "zoning.zones", "rules": "zoning.rules",
    "plans": "zoning.plans",
    "reclamation": "imagery.reclamation", "disturbance": "imagery.disturbance",
    "samples": "imagery.samples",
    "supervision": "register.supervision",
    "terrain": "joint.terrain", "earthworks": "joint.earthworks",
    "suitability": "joint.suitability",
    "maps": "publish.maps", "sheets": "publish.sheets", "export": "publish.export",
    "synthetic": "demo.synthetic",
}


class _Moved(types.ModuleType):
    """A module that was moved: every attribute is looked up in the new module, with a warning."""

    def __init__(self, old: str, new: str) -> None:
        super().__init__(old, f"Moved to {new} (deprecated path; removed in 1.0).")
        self.__dict__["_new"] = new

    def __getattr__(self, name: str):
        if name == "__all__":  # `from <old path> import *`: the new module's names, warned
            new = import_module(self._new)
            warnings.warn(f"{self.__name__} moved to {self._new}; import from there (the old "
                          "path will be removed in 1.0).", DeprecationWarning, stacklevel=2)
            return list(getattr(new, "__all__", [n for n in vars(new) if not n.startswith("_")]))
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # import machinery probing: no warning, no import
        warnings.warn(f"{self.__name__} moved to {self._new}; import {name!r} from there "
                      "(the old path will be removed in 1.0).", DeprecationWarning, stacklevel=2)
        return getattr(import_module(self._new), name)

    def __dir__(self) -> list[str]:
        return dir(import_module(self._new))


def install(package: str) -> None:
    """Put a stand-in for every moved path of ``package`` in ``sys.modules`` (once)."""
    for old, new in MOVED.items():
        sys.modules.setdefault(f"{package}.{old}", _Moved(f"{package}.{old}", f"{package}.{new}"))
