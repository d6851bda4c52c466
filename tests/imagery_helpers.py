"""Tiny GeoTIFFs whose true values are known, for the imagery and reclamation tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

# Reflectances of two surfaces (blue, green, red, nir, swir1)
VEG = (0.03, 0.06, 0.04, 0.36, 0.15)  # NDVI 0.8 -> FVC 1
BARE = (0.12, 0.15, 0.18, 0.22, 0.30)  # NDVI 0.1 -> FVC 0.07, BSI > 0
BANDS = ("blue", "green", "red", "nir", "swir1")
ORIGIN = (600_000.0, 4_410_000.0)  # UTM 49N, near Xuejiawan (Jungar Banner)
PIXEL = 10.0


def write_scene(folder: Path, name: str, classes: np.ndarray, *, offset: int = 0,
                scl: np.ndarray | None = None, crs: str = "EPSG:32649") -> dict[str, Path]:
    """Bands of a Sentinel-2-like scene: ``classes`` 1 = vegetated, 0 = bare; DN = refl·1e4 +
    ``offset``; tiled, compressed GeoTIFFs; optional SCL band."""
    folder.mkdir(parents=True, exist_ok=True)
    h, w = classes.shape
    transform = from_origin(ORIGIN[0], ORIGIN[1], PIXEL, PIXEL)
    paths = {}
    profile = dict(driver="GTiff", width=w, height=h, count=1, crs=crs, transform=transform,
                   tiled=True, blockxsize=16, blockysize=16, compress="deflate")
    for k, band in enumerate(BANDS):
        refl = np.where(classes == 1, VEG[k], BARE[k])
        dn = np.round(refl * 10000 + offset).astype(np.uint16)
        p = folder / f"{name}_{band}.tif"
        with rasterio.open(p, "w", dtype="uint16", **profile) as dst:
            dst.write(dn, 1)
        paths[band] = p
    if scl is not None:
        p = folder / f"{name}_scl.tif"
        with rasterio.open(p, "w", dtype="uint8", **profile) as dst:
            dst.write(scl.astype(np.uint8), 1)
        paths["qa"] = p
    return paths


def pixel_box(c0: float, r0: float, c1: float, r1: float):
    """A box in pixel units (columns, rows from the top-left) as a polygon in UTM 49N."""
    import shapely

    x0, y0 = ORIGIN
    return shapely.box(x0 + c0 * PIXEL, y0 - r1 * PIXEL, x0 + c1 * PIXEL, y0 - r0 * PIXEL)
