"""Imagery: scenes and their sensors (:mod:`~ordos_geo.imagery.scenes`, the names of
``og.imagery``), pixel grids, coverage and strips (:mod:`~ordos_geo.imagery.grids`), reclamation
progress (``og.reclamation``), disturbance findings (``og.disturbance``) and seeded sample scenes
(``og.samples``)."""

from .scenes import (
                     BANDS,
                     S2_OFFSET_FROM,
                     SCENE_COLUMNS,
                     SENSORS,
                     Scene,
                     Thresholds,
                     check_scenes,
                     measures,
                     read_manifest,
                     reflectance,
                     scenes_from_stac,
                     search_stac,
                     valid_mask,
)

__all__ = ["Scene", "read_manifest", "check_scenes", "SCENE_COLUMNS", "scenes_from_stac",
           "search_stac", "SENSORS", "BANDS", "Thresholds", "reflectance", "valid_mask",
           "measures", "S2_OFFSET_FROM"]


# 0.3's imagery.py was one module: its other public names, from where they live now (deprecated)
from ..core.utils import renamed as _renamed  # noqa: E402

__getattr__ = _renamed(__name__, {}, homes=('ordos_geo.imagery.scenes',))
