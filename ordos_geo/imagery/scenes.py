"""Satellite scenes: manifests and STAC catalogs in, reflectance, masks and indices out.

A **scene** is one acquisition (a date and a sensor) with one raster per band — ``blue``,
``green``, ``red``, ``nir``, ``swir1`` and optionally ``qa`` — all on one pixel grid in a
projected CRS (metres). Scenes are never warped: polygons are brought to the raster's CRS.

Sensors and how digital numbers (DN) become reflectance:

==================  ==========================================  =================================
sensor              reflectance                                  invalid pixels (``qa`` band)
==================  ==========================================  =================================
``sentinel2-l2a``   (DN − 1000) / 10000 for processing baseline  SCL classes 0, 1, 3 (shadow), 8, 9
                    04.00 and later (from the STAC property       (cloud), 10 (cirrus), 11 (snow)
                    ``s2:processing_baseline``, a manifest
                    ``baseline`` column, else the date: from
                    2022-01-25); DN / 10000 before
``landsat-c2l2``    DN × 0.0000275 − 0.2                         QA_PIXEL bits 0 (fill), 1 (dilated
                                                                 cloud), 2 (cirrus), 3 (cloud), 4
                                                                 (shadow), 5 (snow)
``generic``         DN / 10000                                   the file's nodata
==================  ==========================================  =================================

Per pixel (:func:`measures`): NDVI; fractional vegetation cover (FVC, dimidiate pixel model:
(NDVI − NDVIsoil)/(NDVIveg − NDVIsoil) clipped to 0–1, end-members fixed or the scene's 5th/95th
NDVI percentiles); bare-soil index BSI; a water mask (NDWI > 0); and a dark-surface mask (coal,
burnt ground: mean visible reflectance < 0.06 and NIR < 0.12) — NDVI mistakes coal-covered ground
for sparse grass, so dark pixels never count as vegetated.

**Clouds the mask misses.** SCL and QA_PIXEL miss thin and small clouds. Beyond them, a pixel
is cloud (and not clear) when it is bright in blue (reflectance > ``cloud_blue``, 0.20: bare soil,
spoil and sand stay below it) and hazy by the Haze Optimized Transform (blue − 0.5·red − 0.08 >
``cloud_hot``, 0: soil and sand are redder than blue, clouds are white; Zhang et al. 2002), and
where the scene has a cloud-probability band (``cloudprob``: Sentinel-2 ``MSK_CLDPRB`` or
s2cloudless, 0–100) when that probability is at least ``cloud_probability`` (40).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.errors import InputFileError, ValidationError
from ..core.messages import msg

__all__ = ["Scene", "read_manifest", "check_scenes", "SCENE_COLUMNS", "scenes_from_stac", "search_stac", "SENSORS", "BANDS",
           "Thresholds", "reflectance", "valid_mask", "measures", "missed_cloud",
           "S2_OFFSET_FROM"]

log = logging.getLogger("ordos_geo")

BANDS = ("blue", "green", "red", "nir", "swir1")
#: Bands every scene needs; without blue/green/swir1 there is no water, dark-surface or BSI mask
#: (NDVI-only imagery): those pixels then count by NDVI alone.
REQUIRED_BANDS = ("red", "nir")
SENSORS = ("sentinel2-l2a", "landsat-c2l2", "generic")
#: Sentinel-2 processing baseline 04.00 (BOA offset −1000) applies from this acquisition date.
S2_OFFSET_FROM = dt.date(2022, 1, 25)
_SCL_INVALID = (0, 1, 3, 8, 9, 10, 11)
_QA_PIXEL_INVALID_BITS = 0b111111  # bits 0-5


@dataclass(frozen=True)
class Thresholds:
    """Documented thresholds of the per-pixel measures (all dimensionless)."""

    ndvi_soil: float = 0.05  #: NDVI of bare soil (FVC = 0), when end-members are fixed
    ndvi_veg: float = 0.75  #: NDVI of full cover (FVC = 1), when end-members are fixed
    vegetated_fvc: float = 0.3  #: a pixel is vegetated at FVC ≥ this (and not dark, not water)
    water_ndwi: float = 0.0  #: water at NDWI > this
    dark_visible: float = 0.06  #: dark surface: mean of blue, green, red below this …
    dark_nir: float = 0.12  #: … and NIR below this
    endmembers: str = "fixed"  #: "fixed" or "scene" (5th/95th NDVI percentiles of the scene)
    cloud_blue: float = 0.20  #: missed cloud: blue reflectance above this …
    cloud_hot: float = 0.0  #: … and blue − 0.5·red − 0.08 above this (Haze Optimized Transform)
    cloud_probability: float = 40.0  #: cloud where a ``cloudprob`` band (0–100) is ≥ this


@dataclass(frozen=True)
class Scene:
    """One acquisition: ``bands`` maps a band name to ``(path, band index starting at 1)``."""

    date: dt.date
    sensor: str
    bands: dict = field(hash=False)
    baseline: str | None = None
    scene_id: str = ""
    #: where ``baseline`` came from: "stac" (s2:processing_baseline), "manifest", or None
    baseline_source: str | None = None

    @property
    def year(self) -> int:
        return self.date.year

    def s2_offset(self) -> bool:
        """True when Sentinel-2 DNs carry the +1000 offset (processing baseline ≥ 04.00)."""
        if self.sensor != "sentinel2-l2a":
            return False
        if self.baseline not in (None, ""):
            try:
                return float(str(self.baseline)) >= 4.0
            except ValueError:
                raise ValidationError(f"Scene {self.scene_id or self.date}: processing baseline "
                                      f"{self.baseline!r} is not a number like '04.00'.") from None
        return self.date >= S2_OFFSET_FROM


def _parse_date(value, where: str) -> dt.date:
    try:
        stamp = pd.Timestamp(str(value).strip())
    except (ValueError, TypeError, OverflowError):
        stamp = pd.NaT
    if pd.isna(stamp) or not 1970 <= stamp.year <= 2200:
        raise ValidationError(f"{where}: date {value!r} is not a date (YYYY-MM-DD).")
    return stamp.date()


def _manifest_rows(path: Path) -> list[dict]:
    """The rows of a CSV (UTF-8 or GBK, detected) or YAML manifest; refused with the file named
    when it is empty or not a table of scenes."""
    if path.suffix.lower() in (".yaml", ".yml"):
        from ..core.yaml_tables import parse_yaml

        data = parse_yaml(_decoded(path), source=str(path))
        rows = data.get("scenes", data) if isinstance(data, dict) else data
        if isinstance(rows, dict):
            rows = [rows]
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ValidationError(f"{path}: a YAML manifest is a list of scenes (or a mapping "
                                  "with a 'scenes' list), each with date, sensor and bands.")
    else:
        from ..io.tables import read_raw

        rows = read_raw(path, as_text=True).to_dict("records")
    if not rows:
        raise ValidationError(f"{path}: the manifest lists no scenes.")
    return [{str(k).strip(): v.strip() if isinstance(v, str) else v for k, v in row.items()}
            for row in rows]


def _decoded(path: Path) -> str:
    from ..io import decode_text

    return decode_text(path.read_bytes(), path)[0]


def read_manifest(path: str | os.PathLike) -> list[Scene]:
    """Scenes from a CSV or YAML manifest (paths relative to the manifest).

    Columns/keys: ``date``, ``sensor``, optional ``baseline`` and ``scene_id``, and either one file
    per band (``blue``, ``green``, ``red``, ``nir``, ``swir1``, optional ``qa`` and ``cloudprob``)
    or one multi-band ``file`` with a ``bands`` map such as
    ``blue=1;green=2;red=3;nir=4;swir1=5;qa=6``.
    """
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"Manifest {str(path)!r} not found.")
    problems, scenes = [], []
    for k, row in enumerate(_manifest_rows(path), start=1):
        where = f"{path}, scene {k}"
        try:
            scenes.append(_scene_from_row(row, path.parent, where))
        except (ValidationError, InputFileError) as exc:
            problems.append(str(exc))
    if problems:
        raise ValidationError(f"{len(problems)} problem(s) in {path}:\n- " + "\n- ".join(problems))
    log.info("read %d scenes from %s", len(scenes), path)
    return sorted(scenes, key=lambda s: (s.date, s.scene_id))


def _scene_from_row(row: dict, folder: Path, where: str) -> Scene:
    sensor = str(row.get("sensor", "")).strip()
    if sensor not in SENSORS:
        raise ValidationError(f"{where}: sensor {sensor!r} is not one of {', '.join(SENSORS)}.")
    date = _parse_date(row.get("date"), where)
    bands: dict[str, tuple[Path, int]] = {}
    if row.get("file"):
        spec = str(row.get("bands", ""))
        for part in filter(None, spec.split(";")):
            name, _, idx = part.partition("=")
            if not idx.strip().isdigit() or int(idx) < 1:
                raise ValidationError(f"{where}: bands entry {part!r} is not name=index "
                                      "(e.g. red=3, band indices from 1).")
            bands[name.strip()] = (folder / str(row["file"]), int(idx))
    for name in (*BANDS, "qa", "cloudprob"):
        if row.get(name):
            bands[name] = (folder / str(row[name]), 1)
    missing = [b for b in REQUIRED_BANDS if b not in bands]
    if missing:
        raise ValidationError(f"{where}: band(s) {', '.join(missing)} missing.")
    for name, (p, _) in bands.items():
        if not p.is_file():
            raise InputFileError(f"{where}: file for band {name!r} not found: {str(p)!r}.")
    baseline = str(row.get("baseline") or "").strip() or None
    return Scene(date, sensor, bands, baseline, str(row.get("scene_id") or f"{sensor}:{date}"),
                 "manifest" if baseline else None)


# STAC asset keys and eo:bands common names per band
_STAC_KEYS = {"blue": ("blue", "B02", "B2", "blue"), "green": ("green", "B03", "B3", "green"),
              "red": ("red", "B04", "B4", "red"), "nir": ("nir", "nir08", "B08", "B8", "B5"),
              "swir1": ("swir16", "swir1", "B11", "B6"), "qa": ("scl", "SCL", "qa_pixel",
                                                             "QA_PIXEL"),
              "cloudprob": ("cloudprob", "CLD", "cloud_probability", "MSK_CLDPRB")}


def _sensor_of(item) -> str:
    platform = str(item.properties.get("platform", "")).lower()
    collection = str(item.collection_id or "").lower()
    if "sentinel-2" in platform or "sentinel-2" in collection:
        return "sentinel2-l2a"
    if "landsat" in platform or "landsat" in collection:
        return "landsat-c2l2"
    return "generic"


def _scene_from_item(item) -> Scene:
    bands: dict[str, tuple[str, int]] = {}
    for name, keys in _STAC_KEYS.items():
        for key in keys:
            if key in item.assets:
                bands[name] = (item.assets[key].get_absolute_href(), 1)
                break
        else:  # eo:bands common_name
            for key, asset in item.assets.items():
                common = [b.get("common_name") for b in asset.extra_fields.get("eo:bands", [])]
                if name in common or (name == "nir" and "nir08" in common):
                    bands[name] = (asset.get_absolute_href(), 1)
                    break
    missing = [b for b in REQUIRED_BANDS if b not in bands]
    if missing:
        raise ValidationError(f"STAC item {item.id!r}: no asset for band(s) {', '.join(missing)}.")
    when = item.datetime or item.properties.get("start_datetime")
    baseline = item.properties.get("s2:processing_baseline")
    return Scene(_parse_date(when, f"STAC item {item.id!r}"), _sensor_of(item), bands,
                 baseline, item.id, "stac" if baseline else None)


def scenes_from_stac(catalog: str | os.PathLike) -> list[Scene]:
    """Scenes from a static STAC catalog (local path or URL) read with pystac: its items and
    those of its children, each catalog and item once however the links loop; a single STAC
    Item is a catalog of one scene."""
    from ..core.utils import import_optional

    pystac = import_optional("pystac", purpose="STAC catalogs", pip="pystac")
    try:
        root = pystac.read_file(str(catalog))
        if not isinstance(root, (pystac.Catalog, pystac.Item)):
            raise InputFileError(msg("stac_not_catalog", path=str(catalog),
                                     kind=type(root).__name__))
        items = [root] if isinstance(root, pystac.Item) else _stac_items(root, pystac)
    except InputFileError:
        raise
    except pystac.STACTypeError as exc:  # JSON, but no Catalog, Collection or Item
        raise InputFileError(msg("stac_not_catalog", path=str(catalog),
                                 kind=str(exc).split(":")[0][:80])) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, pystac.STACError) as exc:
        where = getattr(exc, "filename", None) or catalog  # AttributeError: JSON of no object
        raise InputFileError(msg("stac_unreadable", path=str(catalog), where=str(where),
                                 reason=f"{type(exc).__name__}: {exc}"[:200])) from None
    if not items:
        raise ValidationError(msg("stac_no_items", path=str(catalog)))
    scenes = [_scene_from_item(item) for item in items]
    log.info("read %d scenes from STAC catalog %s", len(scenes), catalog)
    return sorted(scenes, key=lambda s: (s.date, s.scene_id))


def _stac_items(root, pystac) -> list:
    """The items under ``root``, each catalog visited once (a child link back to itself or to
    a parent is no loop) and each item taken once; an "item" link to something that is no
    Item (the catalog itself) is skipped."""
    seen_catalogs: set[str] = set()
    seen_items: set[str] = set()
    items, todo = [], [root]
    while todo:
        node = todo.pop()
        key = node.get_self_href() or f"id:{id(node)}"
        if key in seen_catalogs:
            continue
        seen_catalogs.add(key)
        for item in node.get_items(recursive=False):
            if not isinstance(item, pystac.Item):
                continue
            item_key = item.get_self_href() or f"{key}#{item.id}"
            if item_key not in seen_items:
                seen_items.add(item_key)
                items.append(item)
        todo.extend(reversed(list(node.get_children())))
    return items


def search_stac(api_url: str, *, bbox: tuple[float, float, float, float], datetime: str,
                collections: list[str], max_cloud: float | None = None,
                max_items: int | None = None) -> list[Scene]:
    """Scenes from a STAC API search (pystac-client), e.g. a catalog reachable from China.

    ``bbox`` in lon/lat (EPSG:4326); ``datetime`` as ``"2019-01-01/2025-12-31"``.
    """
    from ..core.utils import import_optional

    client_mod = import_optional("pystac_client", purpose="STAC API search", pip="pystac-client",
                                 conda="pystac-client")
    client = client_mod.Client.open(api_url)
    query = {"eo:cloud_cover": {"lt": max_cloud}} if max_cloud is not None else None
    search = client.search(bbox=list(bbox), datetime=datetime, collections=collections,
                           query=query, max_items=max_items)
    scenes = [_scene_from_item(item) for item in search.items()]
    log.info("found %d scenes at %s", len(scenes), api_url)
    return sorted(scenes, key=lambda s: (s.date, s.scene_id))


def _grid_of(src) -> tuple:
    return (src.crs, tuple(round(v, 6) for v in src.transform[:6]), src.width, src.height)


def _band_share(crs, bounds, red_crs, red_bounds) -> float:
    """Share of the red band's extent that a band's raster covers (in red's CRS)."""
    import shapely
    from rasterio.warp import transform_bounds

    if crs is None or red_crs is None:
        return 0.0
    b = transform_bounds(crs, red_crs, *bounds) if crs != red_crs else bounds
    cover = shapely.box(*b).intersection(shapely.box(*red_bounds)).area
    return float(cover / shapely.box(*red_bounds).area)


def check_scenes(scenes: list[Scene]) -> pd.DataFrame:
    """Open every band of every scene (headers only) and describe each scene: one row with
    ``scene_id, date, sensor, baseline, offset, offset_source, resampled, band_cover``.

    A band on another pixel grid than the scene's red band (Sentinel-2's 20 m SCL and B11, or
    another CRS) is read resampled onto red's grid (``resampled`` names it: nearest neighbour
    for ``qa``, bilinear for reflectance); pixels it does not cover are masked, and a band that
    covers less than 99 % of red's extent is warned about (``band_cover``: the smallest share).
    A file that is not a raster, a missing band index or a band that does not overlap red at
    all is refused with scene, band and file named — every problem at once. A Sentinel-2 scene
    without a processing baseline gets its offset from the date, with a warning
    (``offset_source``: ``date (assumed)``).
    """
    import rasterio

    problems, rows, assumed = [], [], 0
    for scene in scenes:
        opened = {}
        for name, (path, index) in scene.bands.items():
            try:
                with rasterio.open(path) as src:
                    if index > src.count:
                        problems.append(f"{scene.scene_id} {name}: {str(path)!r} has "
                                        f"{src.count} band(s), not {index}.")
                    opened[name] = (_grid_of(src), src.crs, tuple(src.bounds))
            except (rasterio.errors.RasterioError, rasterio._err.CPLE_BaseError) as exc:
                problems.append(f"{scene.scene_id} {name}: {str(path)!r} is not a readable "
                                f"raster ({str(exc).splitlines()[0]}).")
        row = _scene_row(scene, opened, problems)
        assumed += row["offset_source"] == "date (assumed)"
        rows.append(row)
    if problems:
        raise ValidationError(f"{len(problems)} problem(s) with the scenes:\n- "
                              + "\n- ".join(problems[:20]))
    if assumed:
        log.warning("%d Sentinel-2 scene(s) carry no processing baseline: the −1000 offset was "
                    "assumed from the acquisition date (from %s). The reprocessed archive "
                    "(baseline 05.xx) has it for earlier dates too; give a 'baseline' column in "
                    "the manifest or use STAC items with s2:processing_baseline.", assumed,
                    S2_OFFSET_FROM)
    return pd.DataFrame(rows, columns=SCENE_COLUMNS)


SCENE_COLUMNS = ["scene_id", "date", "sensor", "baseline", "offset", "offset_source",
                 "resampled", "band_cover"]


def _scene_row(scene: Scene, opened: dict, problems: list[str]) -> dict:
    red = opened.get("red")
    resampled, shares = [], []
    for name, (grid, crs, bounds) in opened.items():
        if red is None or name == "red" or grid == red[0]:
            continue
        share = _band_share(crs, bounds, red[1], red[2])
        if share <= 0:
            problems.append(f"{scene.scene_id} {name}: {str(scene.bands[name][0])!r} does not "
                            "overlap the red band at all.")
            continue
        resampled.append(name)
        shares.append(share)
        if share < 0.99:
            log.warning("scene %s: band %s covers %.0f%% of the red band's extent; the rest is "
                        "masked", scene.scene_id, name, 100 * share)
    if scene.sensor != "sentinel2-l2a":
        offset, source = 0, "sensor"
    else:
        offset = 1000 if scene.s2_offset() else 0
        source = scene.baseline_source or ("baseline" if scene.baseline else "date (assumed)")
    return {"scene_id": scene.scene_id, "date": scene.date, "sensor": scene.sensor,
            "baseline": scene.baseline, "offset": offset, "offset_source": source,
            "resampled": ";".join(resampled), "band_cover": min(shares) if shares else 1.0}


# --- pixels -------------------------------------------------------------------------------------
def reflectance(dn: np.ndarray, scene: Scene) -> np.ndarray:
    """Surface reflectance (float32) from digital numbers, by sensor (see module text)."""
    x = dn.astype(np.float32)
    if scene.sensor == "sentinel2-l2a":
        return (x - (1000.0 if scene.s2_offset() else 0.0)) / 10000.0
    if scene.sensor == "landsat-c2l2":
        return x * 0.0000275 - 0.2
    return x / 10000.0


def valid_mask(qa: np.ndarray | None, scene: Scene, nodata: np.ndarray | None = None, *,
               cloudprob: np.ndarray | None = None,
               cloud_probability: float = Thresholds.cloud_probability) -> np.ndarray:
    """True where the pixel is usable (not cloud, shadow, snow, fill or nodata; not at or above
    ``cloud_probability`` in a ``cloudprob`` band)."""
    shape = next(a.shape for a in (qa, nodata, cloudprob) if a is not None)
    ok = np.ones(shape, dtype=bool)
    if cloudprob is not None:
        ok &= ~(cloudprob >= cloud_probability)
    if qa is not None:
        if scene.sensor == "sentinel2-l2a":
            ok &= ~np.isin(qa, _SCL_INVALID)
        elif scene.sensor == "landsat-c2l2":
            ok &= (qa.astype(np.int64) & _QA_PIXEL_INVALID_BITS) == 0
    if nodata is not None:
        ok &= ~nodata
    return ok


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (a - b) / (a + b)
    return np.where(np.isfinite(out), out, np.nan).astype(np.float32)


def measures(refl: dict[str, np.ndarray], valid: np.ndarray, thresholds: Thresholds,
             endmembers: tuple[float, float] | None = None, *,
             with_bsi: bool = True) -> dict[str, np.ndarray]:
    """Per-pixel NDVI, FVC, BSI and the vegetated, bare, water and dark masks (invalid pixels
    False, their values 0); ``cloud``: the clouds the qa band missed (module text), not valid.
    Works on arrays of any shape (a strip, or gathered cells)."""
    ndvi = _ratio(refl["nir"], refl["red"])
    soil, veg = endmembers or (thresholds.ndvi_soil, thresholds.ndvi_veg)
    fvc = np.clip((ndvi - soil) / max(veg - soil, 1e-6), 0.0, 1.0)
    none = np.zeros(ndvi.shape, dtype=bool)
    cloud = missed_cloud(refl, valid, thresholds) if "blue" in refl else none
    ok = valid & np.isfinite(ndvi) & ~cloud
    if "green" in refl:
        water = ok & (_ratio(refl["green"], refl["nir"]) > thresholds.water_ndwi)
    else:
        water = none
    if "blue" in refl and "green" in refl:
        visible = (refl["blue"] + refl["green"] + refl["red"]) / 3.0
        dark = ok & ~water & (visible < thresholds.dark_visible) & \
            (refl["nir"] < thresholds.dark_nir)
    else:
        dark = none
    if with_bsi and "swir1" in refl and "blue" in refl:
        bsi = _ratio(refl["swir1"] + refl["red"], refl["nir"] + refl["blue"])
    else:
        bsi = np.full(ndvi.shape, np.nan, np.float32)
    vegetated = ok & ~water & ~dark & (fvc >= thresholds.vegetated_fvc)
    bare = ok & ~water & ~vegetated
    return {"valid": ok, "ndvi": np.where(ok, ndvi, 0.0), "fvc": np.where(ok, fvc, 0.0),
            "bsi": np.where(ok, bsi, 0.0), "vegetated": vegetated, "bare": bare, "water": water,
            "dark": dark, "cloud": cloud}


def missed_cloud(refl: dict[str, np.ndarray], valid: np.ndarray,
                 thresholds: Thresholds) -> np.ndarray:
    """Valid pixels that are cloud all the same: bright in blue and hazy (module text)."""
    blue, red = refl["blue"], refl["red"]
    with np.errstate(invalid="ignore"):
        return valid & (blue > thresholds.cloud_blue) & \
            (blue - 0.5 * red - 0.08 > thresholds.cloud_hot)
