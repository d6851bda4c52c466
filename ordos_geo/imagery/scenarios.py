"""Labelled random scenes for judging disturbance detection: the conditions Ordos has — wet and
dry years, a regional drought, fallow fields, crop rotation then digging, clouds the SCL band
misses, crops with three scenes a year — around one mine, with the truth known.

    >>> case = og.scenarios.write_scenario(folder, family="drought", seed=3)
    >>> found = og.disturbance.detect(case.sites, case.scenes)
    >>> og.scenarios.score(found.suspected, case)   # flagged / true / both hectares

Surfaces are linear mixtures of five end-members (reflectance in blue, green, red, NIR, SWIR1;
each scaled by a random 0.9–1.1 per scenario, and each band by 0.97–1.03): green vegetation, steppe soil, ploughed
topsoil (darker, moister), excavation spoil (pale subsoil and sandstone) and coal. Steppe cover
varies by pixel (0.35–0.75), year (wetness 0.8–1.15; wet 1.35; dry 0.45–0.6) and season (May
0.55, July 1.0, August 0.95, September 0.8); every band has Gaussian noise (σ 0.006); a few SCL
clouds (class 9) fall on every scene. Clouds the SCL misses are white blends of opacity 0.5–1
marked as vegetation in SCL (half the scenarios carry a ``cloudprob`` band that sees them).
Scenes are Sentinel-2 L2A-like (+1000 offset, 20 m pixels, UTM 49N, 200 × 200 pixels).

==================  =================================================================  =========
family              what happens                                                        expected
==================  =================================================================  =========
``control``         grass; an excavation (0.5–50 ha, 0–1.8 km from the licence,          found
                    spoil or spoil with coal) from 2021–2024, growing or not
``dry_year``        the control plus one dry year (wetness 0.5) before the digging       found
``rotation_dug``    a field in crop rotation 2019–21, dug from 2022                      found
``drought_dug``     the control in a wet 2021 and a drought 2024–25                       found
``fallow``          a field cropped to 2023, left fallow (weeds on topsoil) 2024–25       nothing
``missed_cloud``    grass with a cloud the SCL band misses on the last two dates          nothing
``drought``         grass, a wet 2021, a drought 2024–25                                  nothing
``crops``           fields cropped every year, some rotated, three scenes a year          nothing
==================  =================================================================  =========
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

__all__ = ["FAMILIES", "FINDING_FAMILIES", "Scenario", "write_scenario", "score"]

FAMILIES = ("control", "dry_year", "rotation_dug", "drought_dug", "fallow", "missed_cloud",
            "drought", "crops")
FINDING_FAMILIES = ("control", "dry_year", "rotation_dug", "drought_dug")
YEARS = tuple(range(2019, 2026))
N, PIXEL, ORIGIN, CRS = 200, 20.0, (517_000.0, 4_420_000.0), "EPSG:32649"  # Xuejiawan
MINE = (20, 50, 70, 150)  #: licence box in pixels: col0, row0, col1, row1
#: end-members: blue, green, red, nir, swir1
ENDMEMBERS = {"veg": (0.03, 0.07, 0.04, 0.42, 0.19), "soil": (0.09, 0.12, 0.15, 0.20, 0.27),
              "topsoil": (0.07, 0.09, 0.11, 0.15, 0.21), "spoil": (0.14, 0.18, 0.22, 0.27, 0.36),
              "coal": (0.03, 0.035, 0.04, 0.05, 0.06), "cloud": (0.42, 0.44, 0.45, 0.48, 0.38)}
SEASON = {5: 0.55, 7: 1.0, 8: 0.95, 9: 0.8}  #: steppe cover factor by month
CROP = {5: 0.1, 7: 0.8, 8: 0.75, 9: 0.3}  #: crop cover by month


@dataclass
class Scenario:
    """A written scenario: its sites (EPSG:4326), scenes, truth (pixels expected flagged) and
    what was drawn."""

    family: str
    seed: int
    sites: gpd.GeoDataFrame
    scenes: list
    truth: np.ndarray
    transform: object
    drawn: dict


def _dates(rng, three: bool) -> list[dt.date]:
    months = (5, 7, 9) if three else (8,)
    return [dt.date(y, m, int(rng.integers(10, 21))) for y in YEARS for m in months]


def _wetness(rng, family: str) -> dict[int, float]:
    wet = {y: float(rng.uniform(0.8, 1.15)) for y in YEARS}
    if family in ("drought", "drought_dug"):
        wet[2021] = 1.35
        wet.update({y: float(rng.uniform(0.45, 0.6)) for y in (2024, 2025)})
    if family == "dry_year":
        wet[int(rng.integers(2019, 2022))] = 0.5
    return wet


def _excavation(rng, yy, xx) -> tuple[np.ndarray, np.ndarray, dict]:
    """(final mask, first-year mask, drawn): a disk of 0.5–50 ha (log-uniform) whose edge is
    0–1.8 km east of the licence."""
    ha = float(np.exp(rng.uniform(np.log(0.5), np.log(50))))
    r = np.sqrt(ha * 1e4 / np.pi) / PIXEL
    gap = float(rng.uniform(0, min(1800.0, (N - MINE[2] - 2 * r - 2) * PIXEL)))
    cx = MINE[2] + gap / PIXEL + r + 0.5
    cy = float(rng.uniform(MINE[1] + r * 0.5, MINE[3] - r * 0.5))
    d2 = (yy + 0.5 - cy) ** 2 + (xx + 0.5 - cx) ** 2
    growing = bool(rng.random() < 0.5)
    return d2 <= r * r, d2 <= (r * r * (0.5 if growing else 1.0)), \
        {"ha": ha, "gap_m": gap, "growing": growing}


def _field(rng) -> tuple[slice, slice]:
    h, w = int(rng.integers(15, 32)), int(rng.integers(15, 32))  # 9–40 ha
    r0, c0 = int(rng.integers(10, N - h - 10)), int(rng.integers(MINE[2] + 5, N - w - 5))
    return slice(r0, r0 + h), slice(c0, c0 + w)


def write_scenario(out: str | Path, *, family: str, seed: int) -> Scenario:
    """Write one scenario's scenes (GeoTIFFs) into ``out`` and return it (module text)."""
    from rasterio.transform import from_origin

    if family not in FAMILIES:
        raise ValueError(f"family {family!r} is not one of {', '.join(FAMILIES)}")
    rng = np.random.default_rng([seed, FAMILIES.index(family)])
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    transform = from_origin(*ORIGIN, PIXEL, PIXEL)
    yy, xx = np.mgrid[0:N, 0:N]
    plan = _plan(rng, family, yy, xx)
    members = {k: np.array(v) * rng.uniform(0.9, 1.1) * rng.uniform(0.97, 1.03, 5)
               for k, v in ENDMEMBERS.items()}
    scenes = [_write_date(out, t, date, plan, members, rng, transform)
              for t, date in enumerate(plan["dates"])]
    mine = shapely.box(ORIGIN[0] + MINE[0] * PIXEL, ORIGIN[1] - MINE[3] * PIXEL,
                       ORIGIN[0] + MINE[2] * PIXEL, ORIGIN[1] - MINE[1] * PIXEL)
    sites = gpd.GeoDataFrame({"site_id": ["M1"], "kind": ["mine"], "banner": ["准格尔旗"]},
                             geometry=[mine], crs=CRS).to_crs(4326)
    return Scenario(family, seed, sites, scenes, plan["truth"], transform, plan["drawn"])


def _plan(rng, family: str, yy, xx) -> dict:
    three = family == "crops" or (family in ("fallow", "rotation_dug") and rng.random() < 0.5)
    plan = {"dates": _dates(rng, three), "wet": _wetness(rng, family),
            "cover": rng.uniform(0.35, 0.75, (N, N)), "truth": np.zeros((N, N), bool),
            "dug": {}, "fields": [], "cloud": None, "drawn": {"three_a_year": three}}
    if family in ("control", "dry_year", "drought_dug"):
        final, early, drawn = _excavation(rng, yy, xx)
        start = int(rng.integers(2021, 2025))
        plan["dug"] = {y: (early if y == start else final) for y in YEARS if y >= start}
        plan["coal"] = bool(rng.random() < 0.3)
        plan["truth"], plan["drawn"] = final, {**plan["drawn"], **drawn, "start": start}
    if family in ("rotation_dug", "fallow", "crops"):
        for _ in range(1 if family != "crops" else int(rng.integers(2, 5))):
            rows, cols = _field(rng)
            fallow = {2024, 2025} if family == "fallow" else \
                {int(y) for y in rng.choice(YEARS, size=2, replace=False)} \
                if family == "crops" or rng.random() < 0.5 else {2020}
            plan["fields"].append((rows, cols, fallow))
        if family == "rotation_dug":
            rows, cols, _ = plan["fields"][0]
            box = np.zeros((N, N), bool)
            box[rows, cols] = True
            plan["dug"] = {y: box for y in YEARS if y >= 2022}
            plan["truth"], plan["coal"] = box, False
    if family == "missed_cloud":
        cy, cx, r = rng.uniform(30, 170), rng.uniform(80, 170), rng.uniform(8, 25)
        plan["cloud"] = ((yy - cy) ** 2 + (xx - cx) ** 2 <= r * r, float(rng.uniform(0.5, 1.0)))
    plan["cloudprob"] = bool(rng.random() < 0.5)
    return plan


def _mix(weights: dict, members: dict) -> np.ndarray:
    """Reflectance (5, rows, cols) of the mixture ``{end-member: fraction array}``."""
    return sum(np.asarray(members[k])[:, None, None] * np.asarray(f)[None] for k, f in
               weights.items())


def _surface(plan: dict, date: dt.date, members: dict) -> np.ndarray:
    cover = np.clip(plan["cover"] * plan["wet"][date.year] * SEASON[date.month], 0, 0.92)
    refl = _mix({"veg": cover, "soil": 1 - cover}, members)
    for rows, cols, fallow in plan["fields"]:
        c = 0.1 if date.year in fallow else CROP[date.month] * min(plan["wet"][date.year], 1.1)
        refl[:, rows, cols] = _mix({"veg": c, "topsoil": 1 - c}, members).reshape(5, 1, 1)
    dug = plan["dug"].get(date.year)
    if dug is not None:
        pit = _mix({"spoil": 0.8, "coal": 0.2} if plan.get("coal") else {"spoil": 1.0}, members)
        refl[:, dug] = pit.reshape(5, 1)
    return refl


def _write_date(out: Path, t: int, date: dt.date, plan: dict, members: dict, rng,
                transform):
    import rasterio

    from .scenes import Scene

    refl = _surface(plan, date, members) + rng.normal(0, 0.006, (5, N, N))
    scl = np.full((N, N), 4, np.uint8)
    prob = np.zeros((N, N), np.uint8)
    yy, xx = np.mgrid[0:N, 0:N]
    for _ in range(int(rng.integers(0, 4))):  # clouds the SCL band sees
        cy, cx, r = rng.uniform(0, N), rng.uniform(0, N), rng.uniform(4, 15)
        scl[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = 9
    if plan["cloud"] is not None and t >= len(plan["dates"]) - 2:
        mask, alpha = plan["cloud"]
        cloud = np.asarray(members["cloud"])[:, None]
        refl[:, mask] = alpha * cloud + (1 - alpha) * refl[:, mask]
        prob[mask] = int(100 * alpha)
    profile = dict(driver="GTiff", width=N, height=N, count=1, crs=CRS, transform=transform)
    bands = {}
    layers = {**{b: np.clip(np.round(refl[k] * 10000) + 1000, 1, 65535).astype(np.uint16)
                 for k, b in enumerate(("blue", "green", "red", "nir", "swir1"))}, "qa": scl}
    if plan["cloudprob"]:
        layers["cloudprob"] = prob
    for band, data in layers.items():
        path = out / f"d{t:02d}_{band}.tif"
        with rasterio.open(path, "w", dtype=data.dtype.name, **profile) as dst:
            dst.write(data, 1)
        bands[band] = (path, 1)
    return Scene(date, "sentinel2-l2a", bands, "04.00", scene_id=f"{date}")


def score(suspected: gpd.GeoDataFrame, case: Scenario) -> dict:
    """Flagged, true and correctly flagged hectares of a scenario (true area: the pixels
    expected flagged, in the scene's metric grid)."""
    from rasterio.features import shapes

    truth = [shapely.geometry.shape(g) for g, v in shapes(
        case.truth.astype("uint8"), mask=case.truth, transform=case.transform) if v]
    true_geom = shapely.union_all(truth) if truth else shapely.Polygon()
    flagged = shapely.union_all(suspected.to_crs(CRS).geometry.to_numpy()) if len(suspected) \
        else shapely.Polygon()
    return {"family": case.family, "seed": case.seed, "suspects": len(suspected),
            "flagged_ha": flagged.area / 1e4, "true_ha": true_geom.area / 1e4,
            "both_ha": flagged.intersection(true_geom).area / 1e4}
