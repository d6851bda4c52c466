"""Sample Sentinel-2-like imagery for the demo and the tests, generated (seeded) on first use.

    manifest = og.samples.write_sample_scenes("output/sample_imagery")    # ~15 MB, a few seconds

One scene per August, 2019–2025, 20 m pixels, over a 12 km window of a priority area of the
embedded synthetic data (default 薛家湾/魏家茆, Jungar Banner), in its UTM zone. Every pit, dump and
ownerless pit follows a known reclamation schedule (reclaiming, stable, degrading or still
disturbed); each pixel's class follows from a fixed random rank, so the vegetated share of every
site and year is known (``truth.csv``: share of the site's pixels, by pixel centre). Active pits
hold coal-dark pixels whose NDVI (0.30) fools a plain NDVI threshold; some pits hold water;
clouds (SCL 9) cover part of every scene. DNs follow the Sentinel-2 L2A convention, with the
+1000 offset from processing baseline 04.00 (2022-01-25) on. A static STAC catalog of the same
scenes is written beside the manifest.

Known changes outside the sites, for the disturbance checks (``truth_disturbance.geojson``): an
excavation growing out of one mine's boundary from the fourth year on (radius 150 → 360 m), a
field ploughed bare every other year (cropped between) and a cloud (SCL 9) over grass on the last
two dates — only the excavation is disturbance.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .. import io
from .. import sites as sites_mod
from ..core.errors import ValidationError
from ..core.messages import msg
from ..io import atomic_path, datasets
from .scenes import S2_OFFSET_FROM

__all__ = ["write_sample_scenes", "write_sample_dem", "SURFACES", "sample_grid"]

log = logging.getLogger("ordos_geo")

#: Reflectance of each surface: blue, green, red, nir, swir1 (and the SCL class it gets).
SURFACES = {
    "grass": ((0.07, 0.09, 0.10, 0.23, 0.24), 4),  # steppe, NDVI 0.39
    "vegetated": ((0.03, 0.07, 0.045, 0.33, 0.16), 4),  # reclaimed cover, NDVI 0.76
    "bare": ((0.13, 0.16, 0.19, 0.23, 0.32), 5),  # spoil and pit floor, NDVI 0.10
    "coal": ((0.03, 0.035, 0.04, 0.075, 0.06), 2),  # coal-dark, NDVI 0.30 (the NDVI trap)
    "water": ((0.06, 0.08, 0.05, 0.03, 0.02), 6),
    "cloud": ((0.45, 0.46, 0.47, 0.50, 0.40), 9),
}
_BANDS = ("blue", "green", "red", "nir", "swir1")


def _schedule(rng: np.random.Generator, kind: str, years: list[int]) -> np.ndarray:
    """Vegetated share per year for one site (its 'true' trajectory)."""
    y = np.array(years, dtype=float)
    if kind == "mine":
        return np.full(len(y), 0.45)  # the rest of the licence area: partly grassed
    if kind == "other":
        return np.zeros(len(y))
    roll = rng.random()
    if roll < 0.55:  # reclaiming from a start year at 10–25 % a year
        start, rate = rng.integers(years[0], years[-1] - 1), rng.uniform(0.10, 0.25)
        return np.clip((y - start) * rate, 0, 0.85)
    if roll < 0.70:  # reclaimed earlier, stable
        return np.full(len(y), rng.uniform(0.6, 0.8))
    if roll < 0.80:  # reclaimed, then degrading after 2022
        return np.clip(0.7 - np.clip(y - 2022, 0, None) * 0.15, 0, 1)
    return np.full(len(y), rng.uniform(0.0, 0.08))  # still disturbed


def write_sample_scenes(out: str | Path, *, area: str = "薛家湾/魏家茆",
                        years: Iterable[int] = range(2019, 2026), pixel_m: float = 20.0,
                        size_km: float = 12.0, seed: int = 2026,
                        sites: gpd.GeoDataFrame | None = None) -> Path:
    """Write the sample scenes, ``manifest.csv``, ``truth.csv``, ``truth_disturbance.geojson``
    and ``stac/catalog.json`` into ``out`` (skipped when a complete set is already there);
    return the manifest path."""
    from rasterio.features import rasterize

    out = Path(out)
    manifest = out / "manifest.csv"
    if all(p.exists() for p in (manifest, out / "truth.csv", out / "truth_disturbance.geojson",
                                out / "stac" / "catalog.json")):
        return manifest
    out.mkdir(parents=True, exist_ok=True)
    years = list(years)
    rng = np.random.default_rng(seed)
    local, crs, transform, n = sample_grid(sites, area, size_km, pixel_m)
    order = np.argsort(local["kind"].map({"mine": 0, "other": 1, "dump": 2, "pit": 3}).to_numpy(),
                       kind="stable")  # parcels drawn over their mine
    shapes = [(g, int(i) + 1) for i, g in zip(order, local.geometry.to_numpy()[order])]
    owner = rasterize(shapes, out_shape=(n, n), transform=transform, fill=0, dtype="int32")
    rank = rng.random((n, n))
    schedules = np.array([_schedule(rng, k, years) for k in local["kind"]]).reshape(len(local), -1)
    watery = rng.random(len(local)) < 0.2
    changes = _changes(local, transform, n, years)  # own seed: the rest stays as it was
    truth, rows = [], []
    for t, year in enumerate(years):
        date = dt.date(year, 8, 15)
        cls = _surface(owner, rank, schedules[:, t], watery, local["kind"].to_numpy())
        truth += _truth_rows(local["site_id"], owner, cls, schedules[:, t], year, date)
        cls = _clouds(rng, _apply_changes(cls, changes, year), heavy=year == years[len(years) // 3])
        cls[changes["cloud"] & (year >= years[-2])] = "cloud"  # the same cloud, two last dates
        rows.append(_write_date(out, date, cls, rng, transform, crs))
    table = pd.DataFrame(rows)
    with atomic_path(out / "truth.csv") as tmp:
        pd.DataFrame(truth).to_csv(tmp, index=False)
    _write_change_truth(out / "truth_disturbance.geojson", changes, transform, crs, years)
    _write_stac(out, table, crs, transform, n)
    with atomic_path(manifest) as tmp:  # last: its presence means the set is complete
        table.to_csv(tmp, index=False)
    log.info("wrote %d sample scenes to %s", len(table), out)
    return manifest


def _surface(owner: np.ndarray, rank: np.ndarray, share: np.ndarray, watery: np.ndarray,
             kinds: np.ndarray) -> np.ndarray:
    """The surface class of every pixel in one year: grass outside the sites; inside, the
    scheduled share vegetated (lowest ranks first), the rest bare, with coal heaps on active
    pits and dumps and standing water in some pits."""
    n = owner.shape[0]
    share_px = np.r_[0.0, share][owner]  # 0 = outside every site
    cls = np.full((n, n), "grass", dtype=object)
    in_site = owner > 0
    cls[in_site] = np.where(rank[in_site] < share_px[in_site], "vegetated", "bare")
    active = in_site & (cls == "bare") & (rank > 0.9) & np.isin(
        owner, 1 + np.flatnonzero(np.isin(kinds, ["pit", "dump"])))
    cls[active] = "coal"
    wet = in_site & np.r_[False, watery][owner] & (rank > 0.82) & (rank <= 0.9) & \
        np.isin(owner, 1 + np.flatnonzero(kinds == "pit"))
    cls[wet] = "water"
    return cls


#: radius (m) of the sample excavation by year after it starts (it grows outside its mine)
EXCAVATION_RADII = (0.0, 0.0, 0.0, 150.0, 220.0, 290.0, 360.0)


def _changes(local: gpd.GeoDataFrame, transform, n: int, years: list[int]) -> dict:
    """Known changes outside the sites for the disturbance tests: an excavation growing out of
    one mine's boundary year by year, a field ploughed every other year (bare in the 2nd, 4th …
    year, cropped otherwise) and a cloud over grass on the last two dates. Each is a pixel mask;
    the excavation one a mask per year."""
    import shapely
    from rasterio.features import rasterize

    def mask(geom) -> np.ndarray:
        if geom is None or geom.is_empty:
            return np.zeros((n, n), dtype=bool)
        return rasterize([(geom, 1)], out_shape=(n, n), transform=transform, fill=0,
                         dtype="uint8").astype(bool)

    x0, y0, size = transform.c, transform.f, n * transform.a
    window = shapely.box(x0 + 800, y0 - size + 800, x0 + size - 800, y0 - 800)
    ground = shapely.union_all(local.geometry.buffer(60).to_numpy())
    mines = local[local["kind"] == "mine"].sort_values("site_id")
    mine_id, centre = _free_edge(mines, ground, window)
    radii = dict(zip(years, EXCAVATION_RADII[-len(years):]))
    dug = {y: mask(centre.buffer(r).difference(ground)) if r else mask(None)
           for y, r in radii.items()}
    all_mines = shapely.union_all(mines.geometry.to_numpy())
    field = _free_spot(all_mines, ground, window, 200, (500, 300), avoid=centre.buffer(800))
    cloud = _free_spot(all_mines, ground, window, 200, (250, 0),
                       avoid=shapely.union_all([centre.buffer(800), field.buffer(400)]))
    return {"mine_id": mine_id, "dug": dug, "field": mask(field), "cloud": mask(cloud),
            "field_years": years[1::2]}


def _free_edge(mines: gpd.GeoDataFrame, ground, window):
    """The first mine (by id) with a point of its boundary where a 360 m disk stays clear of
    every other site: ``(mine_id, point)``."""
    for row in mines.itertuples():
        others = ground.difference(row.geometry.buffer(60))
        edge = row.geometry.exterior if row.geometry.geom_type == "Polygon" else \
            row.geometry.convex_hull.exterior
        for frac in np.linspace(0, 1, 16, endpoint=False):
            p = edge.interpolate(frac, normalized=True)
            disk = p.buffer(380)
            if window.contains(disk) and not disk.intersects(others):
                return row.site_id, p
    raise ValidationError(msg("sample_no_room", what="excavation"))


def _free_spot(mines, ground, window, clear_m: float, size: tuple, *, avoid):
    """A box ``size`` (w, h; h = 0: a disk of radius w) clear of every site by ``clear_m``,
    within 1.8 km of a mine (inside the default search distance) and away from ``avoid``; the
    first such place on a 100 m lattice over the window, from its north-west corner."""
    import shapely

    x0, y0, x1, y1 = window.bounds
    for y in np.arange(y1, y0, -100.0):
        for x in np.arange(x0, x1, 100.0):
            shape = shapely.Point(x, y).buffer(size[0]) if not size[1] else \
                shapely.box(x - size[0] / 2, y - size[1] / 2, x + size[0] / 2, y + size[1] / 2)
            if window.contains(shape) and not shape.intersects(avoid) and \
                    shape.distance(ground) > clear_m and shape.distance(mines) < 1800:
                return shape
    raise ValidationError(msg("sample_no_room", what="field / cloud"))


def _apply_changes(cls: np.ndarray, changes: dict, year: int) -> np.ndarray:
    out = cls.copy()
    out[changes["dug"][year]] = "bare"
    out[changes["field"]] = "bare" if year in changes["field_years"] else "vegetated"
    return out


def _write_change_truth(path: Path, changes: dict, transform, crs: str, years: list[int]) -> None:
    """The known changes as polygons (GeoJSON, lon/lat): the excavation's final extent (kind
    ``excavation``, with its mine and first year), the ploughed field and the cloud."""
    import shapely
    from rasterio.features import shapes

    rows = []
    first = next(y for y in years if changes["dug"][y].any())
    for kind, m in (("excavation", changes["dug"][years[-1]]), ("field", changes["field"]),
                    ("cloud", changes["cloud"])):
        polys = [shapely.geometry.shape(g) for g, v in
                 shapes(m.astype("uint8"), mask=m, transform=transform) if v]
        rows.append({"kind": kind, "mine_id": changes["mine_id"] if kind == "excavation" else "",
                     "first_year": first if kind == "excavation" else None,
                     "geometry": shapely.union_all(polys)})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_crs(4326)
    io.write_geojson(frame, path)  # RFC 7946, atomic, no temporary name inside


def _truth_rows(site_ids, owner: np.ndarray, cls: np.ndarray, share: np.ndarray, year: int,
                date: dt.date) -> list[dict]:
    """The true vegetated share of every site drawn on the scene, before clouds."""
    out = []
    for i, site_id in enumerate(site_ids):
        px = owner == i + 1
        if px.any():
            out.append({"site_id": site_id, "year": year, "date": date.isoformat(),
                        "true_vegetated_share": float((cls[px] == "vegetated").mean()),
                        "true_schedule_share": float(share[i]), "pixels": int(px.sum())})
    return out


def _clouds(rng: np.random.Generator, cls: np.ndarray, heavy: bool) -> np.ndarray:
    n = cls.shape[0]
    yy, xx = np.mgrid[0:n, 0:n]
    out = cls.copy()
    for _ in range(12 if heavy else 3):
        cy, cx, r = rng.integers(0, n), rng.integers(0, n), rng.integers(n // 20, n // 8)
        out[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = "cloud"
    return out


def _write_date(out: Path, date: dt.date, cls: np.ndarray, rng, transform, crs: str) -> dict:
    import rasterio

    offset = 1000 if date >= S2_OFFSET_FROM else 0
    profile = dict(driver="GTiff", width=cls.shape[1], height=cls.shape[0], count=1, crs=crs,
                   transform=transform, tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate", predictor=2)
    row = {"date": date.isoformat(), "sensor": "sentinel2-l2a",
           "baseline": "04.00" if offset else "02.14", "scene_id": f"S2_SAMPLE_{date:%Y%m%d}"}
    for k, band in enumerate((*_BANDS, "qa")):
        if band == "qa":
            data = np.zeros(cls.shape, np.uint8)
            for name, (_, scl) in SURFACES.items():
                data[cls == name] = scl
            dtype = "uint8"
        else:
            refl = np.zeros(cls.shape, np.float32)
            for name, (values, _) in SURFACES.items():
                refl[cls == name] = values[k]
            refl += rng.normal(0, 0.004, cls.shape).astype(np.float32)
            data = np.clip(np.round(refl * 10000) + offset, 1, 65535).astype(np.uint16)
            dtype = "uint16"
        name = f"S2_{date:%Y%m%d}_{'scl' if band == 'qa' else band}.tif"
        with atomic_path(out / name) as tmp:
            with rasterio.open(tmp, "w", dtype=dtype, **profile) as dst:
                dst.write(data, 1)
        row[band] = name
    return row


def _write_stac(out: Path, table: pd.DataFrame, crs: str, transform, n: int) -> None:
    """A static STAC catalog of the same scenes (asset keys as Earth Search uses them)."""
    import pystac
    from pyproj import Transformer

    x0, y0 = transform.c, transform.f
    x1, y1 = x0 + transform.a * n, y0 + transform.e * n
    lon, lat = Transformer.from_crs(crs, 4326, always_xy=True).transform([x0, x1], [y1, y0])
    bbox = [min(lon), min(lat), max(lon), max(lat)]
    geom = {"type": "Polygon", "coordinates": [[[bbox[0], bbox[1]], [bbox[2], bbox[1]],
                                                [bbox[2], bbox[3]], [bbox[0], bbox[3]],
                                                [bbox[0], bbox[1]]]]}
    cat = pystac.Catalog(id="ordos-geo-sample", description="Synthetic Sentinel-2-like scenes")
    keys = {"blue": "blue", "green": "green", "red": "red", "nir": "nir", "swir1": "swir16",
            "qa": "scl"}
    for row in table.itertuples(index=False):
        item = pystac.Item(id=row.scene_id, geometry=geom, bbox=bbox,
                           datetime=pd.Timestamp(row.date).to_pydatetime(),
                           properties={"platform": "sentinel-2a",
                                       "s2:processing_baseline": row.baseline})
        for band, key in keys.items():
            item.add_asset(key, pystac.Asset(href=f"../../{getattr(row, band)}",
                                             media_type=pystac.MediaType.COG))
        cat.add_item(item)
    cat.normalize_hrefs(str(out / "stac"))
    cat.save(catalog_type=pystac.CatalogType.SELF_CONTAINED)


def sample_scenes(out: str | Path, **options) -> Path:
    """Deprecated (0.3) name of :func:`write_sample_scenes` (it writes files; the name says so)."""
    import warnings

    warnings.warn("ordos_geo.samples.sample_scenes is now write_sample_scenes; the old name will "
                  "be removed in 1.0.", DeprecationWarning, stacklevel=2)
    return write_sample_scenes(out, **options)


def sample_grid(sites, area: str, size_km: float, cell_m: float):
    """The sample area's sites in the UTM zone of its mines' centre, and a square grid of
    ``size_km`` around that centre: ``(local sites, crs, transform, cells a side)``."""
    from rasterio.transform import from_origin

    if sites is None:
        sites, _ = sites_mod.read_sites(datasets.synthetic_sites_path())
    pa = datasets.priority_areas().set_index("name_zh").loc[area, "geometry"]
    inside = sites[sites.intersects(pa)]
    centre = inside[inside["kind"] == "mine"].union_all().centroid
    crs = f"EPSG:{32600 + int((centre.x + 180) // 6) + 1}"
    c = gpd.GeoSeries([centre], crs=4326).to_crs(crs).iloc[0]
    half = size_km * 500.0
    transform = from_origin(np.floor((c.x - half) / cell_m) * cell_m,
                            np.ceil((c.y + half) / cell_m) * cell_m, cell_m, cell_m)
    return inside.to_crs(crs), crs, transform, int(round(size_km * 1000 / cell_m))


def write_sample_dem(path: str | Path, *, area: str = "薛家湾/魏家茆", cell_m: float = 10.0,
                     size_km: float = 12.0, seed: int = 2026,
                     sites: gpd.GeoDataFrame | None = None) -> Path:
    """Write a seeded sample DEM (GeoTIFF, UTM, ``cell_m`` metres) over ``area``: rolling
    ground, every pit of the sites dug 10–40 m deep (deepest in its middle) and every dump
    heaped 5–25 m high, so that terrain and earthworks have something to measure."""
    import rasterio
    from rasterio.features import rasterize
    from scipy.ndimage import distance_transform_edt

    path = Path(path)
    rng = np.random.default_rng(seed)
    local, crs, transform, n = sample_grid(sites, area, size_km, cell_m)
    yy, xx = np.mgrid[0:n, 0:n] * cell_m
    z = 1250.0 + sum(rng.uniform(5, 15) * np.sin(xx / rng.uniform(800, 3000) + rng.uniform(0, 6))
                     * np.cos(yy / rng.uniform(800, 3000) + rng.uniform(0, 6)) for _ in range(4))
    for kind, sign, lo, hi in (("pit", -1.0, 10.0, 40.0), ("dump", 1.0, 5.0, 25.0)):
        for geom in local.geometry[local["kind"] == kind]:
            mask = rasterize([(geom, 1)], out_shape=(n, n), transform=transform, fill=0,
                             dtype="uint8").astype(bool)
            if not mask.any():
                continue
            inward = distance_transform_edt(mask) * cell_m  # metres from the edge
            shape = np.clip(inward / max(inward.max(), cell_m), 0, 1) ** 0.5
            z = z + sign * rng.uniform(lo, hi) * shape
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        with rasterio.open(tmp, "w", driver="GTiff", width=n, height=n, count=1,
                           dtype="float32", crs=crs, transform=transform, tiled=True,
                           compress="deflate", nodata=-9999) as dst:
            dst.write(z.astype("float32"), 1)
    log.info("wrote the sample DEM %s (%d × %d, %g m)", path, n, n, cell_m)
    return path
