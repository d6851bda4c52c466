"""Seeded generator of the synthetic planning data set (fictional mines, pits, dumps).

    python scripts/make_synthetic_data.py    # regenerate data/synthetic_sites.geojson (seed 2026)

Mines are rotated rectangles (mining-right boundaries are corner-point polygons) placed without
overlap inside the embedded priority areas. In Jungar Banner most are open pits with a median
licensed area of ~7 km² and one or two of 50–70 km² (like Haerwusu and Heidaigou); elsewhere
most are underground mines. Open pits carry pits and dumps inside their boundary; ownerless
historical pits (无主) lie scattered near the clusters. Every record is fictional: ids start with
``SYN-``, names with ``合成`` ("synthetic"), and ``synthetic`` is True. No record carries a real
enterprise's name.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import affinity

from ..core import projection
from ..io import datasets

__all__ = ["synthetic_sites", "synthetic_plans", "clustered_sites", "SEED"]

SEED = 2026
# per priority area: number of mines, share of open pits
_PLAN = {
    "薛家湾/魏家茆": (34, 0.85), "川掌/羊市塔": (16, 0.7), "棋盘井": (16, 0.35),
    "高头窑/青达门/朝脑梁": (18, 0.4), "东胜区北部": (14, 0.2), "伊金霍洛旗矿区": (22, 0.45),
}
_WEST = {"鄂托克前旗", "鄂托克旗", "杭锦旗", "乌审旗"}
_STATUS = (["producing", "new", "suspended", "closed"], [0.7, 0.1, 0.12, 0.08])
_GREEN = (["national", "regional", "applying", "none"], [0.12, 0.3, 0.18, 0.4])


def _rect(rng: np.random.Generator, cx: float, cy: float, area_m2: float, aspect: float,
          angle: float) -> shapely.Polygon:
    w = np.sqrt(area_m2 * aspect)
    h = area_m2 / w
    box = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return affinity.rotate(box, angle, origin=(cx, cy))


def _sample_in(rng: np.random.Generator, poly) -> tuple[float, float]:
    x0, y0, x1, y1 = poly.bounds
    prepared = shapely.prepared.prep(poly)
    while True:
        x, y = rng.uniform(x0, x1), rng.uniform(y0, y1)
        if prepared.contains(shapely.Point(x, y)):
            return x, y


def _mine_area_km2(rng: np.random.Generator, open_pit: bool) -> float:
    median = 7.0 if open_pit else 9.0
    return float(np.clip(rng.lognormal(np.log(median), 0.6), 0.8, 30.0))


def synthetic_sites(*, seed: int = SEED, plan: dict[str, tuple[int, float]] | None = None,
                    areas: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The synthetic sites as a GeoDataFrame in EPSG:4326 (canonical fields, ``synthetic=True``).

    ``plan`` maps a priority-area name to (number of mines, open-pit share); ``areas`` are the
    priority-area polygons (default: the embedded ones). Same seed, same output.
    """
    rng = np.random.default_rng(seed)
    plan = plan or _PLAN
    areas = (areas if areas is not None else datasets.priority_areas()).dropna(subset=["geometry"])
    areas = projection.to_metric(areas.set_index("name_zh"))
    banner_shapes = projection.to_metric(datasets.banners()).set_index("name_zh").geometry
    rows: list[dict] = []
    placed: list[shapely.Polygon] = []
    ids = _Ids()
    for area_name, (n_mines, open_share) in plan.items():
        area = areas.loc[area_name]
        region, banner = area.geometry, area["banner"]
        inside = shapely.prepared.prep(banner_shapes[banner].buffer(-200))
        for k in range(n_mines):
            rows += _mine(rng, k, region, banner, inside, placed, ids, open_share)
        for _ in range(max(2, n_mines // 4)):
            rows += _ownerless_pit(rng, region, banner, inside, placed, ids)
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=areas.crs).to_crs("EPSG:4326")
    frame["geometry"] = shapely.set_precision(frame.geometry.values, 1e-6)
    frame["synthetic"] = True
    frame["zone_apart"] = frame["zone_apart"].fillna(False).astype(bool)
    return frame


class _Ids:
    """Site ids per kind: SYN-M0001, SYN-P0001, …"""

    def __init__(self) -> None:
        self.counter = {"mine": 0, "pit": 0, "dump": 0, "other": 0}

    def __call__(self, kind: str) -> str:
        self.counter[kind] += 1
        return f"SYN-{kind[0].upper()}{self.counter[kind]:04d}"


def _place(rng: np.random.Generator, region, inside, placed: list, shape, attempts: int):
    """A shape ``shape(attempt, cx, cy)`` at a random point of ``region``, inside the banner and
    clear of every placed shape (then placed too); None after ``attempts`` tries."""
    for attempt in range(attempts):
        cx, cy = _sample_in(rng, region)
        cand = shape(attempt, cx, cy)
        if inside.contains(cand) and not any(cand.intersects(p) for p in placed):
            placed.append(cand)
            return cand
    return None


def _mine(rng: np.random.Generator, k: int, region, banner: str, inside, placed: list,
          ids: _Ids, open_share: float) -> list[dict]:
    """One mine (the k-th of its area) and its parcels; [] when it finds no room."""
    open_pit = rng.random() < open_share
    size = _mine_area_km2(rng, open_pit)
    if banner == "准格尔旗" and open_pit and k < 2:
        size = float(rng.uniform(50, 70))  # the giants of the Jungar field
    geom = _place(rng, region, inside, placed, lambda attempt, cx, cy: _rect(
        rng, cx, cy, size * 1e6 * 0.97 ** (attempt // 20), rng.uniform(1.0, 2.5),
        rng.uniform(0, 180)), attempts=200)
    if geom is None:
        return []
    mine_id = ids("mine")
    status = str(rng.choice(_STATUS[0], p=_STATUS[1]))
    cap = round(float(size * rng.uniform(0.3, 0.6)), 2) if open_pit else \
        round(float(rng.uniform(0.6, 8.0)), 2)
    approved = None
    if rng.random() < 0.2:  # some mines already have an approved reclamation standard
        approved = "grass_west" if banner in _WEST else str(
            rng.choice(["farmland_pasture", "forest_east"]))
    n = len(placed)
    row = {"standard": approved, "site_id": mine_id,
           "name": f"合成{banner}{'露天' if open_pit else '井工'}煤矿{n:03d}",
           "banner": banner, "kind": "mine", "mine_id": None,
           "method": "open_pit" if open_pit else "underground", "status": status,
           "owner": f"合成矿业有限公司{n:03d}", "mineral": "煤", "capacity_mtpa": cap,
           "green_status": str(rng.choice(_GREEN[0], p=_GREEN[1])), "geometry": geom}
    return [row, *_parcels(rng, geom, mine_id, banner, open_pit, ids)]


def _ownerless_pit(rng: np.random.Generator, region, banner: str, inside, placed: list,
                   ids: _Ids) -> list[dict]:
    """One ownerless pit (历史遗留无主采坑) with rounded corners; [] when it finds no room."""
    cand = _place(rng, region, inside, placed, lambda attempt, cx, cy: _rect(
        rng, cx, cy, float(rng.uniform(0.05, 0.9)) * 1e6, rng.uniform(1.0, 2.0),
        rng.uniform(0, 180)).buffer(-40, quad_segs=2).buffer(40, quad_segs=2), attempts=100)
    if cand is None:
        return []
    return [{"zone_apart": bool(rng.random() < 0.08),  # e.g. inside a protected area
             "site_id": ids("pit"), "name": f"合成无主采坑{ids.counter['pit']:03d}",
             "banner": banner, "kind": "pit", "mine_id": None, "method": "open_pit",
             "status": "ownerless", "owner": None, "mineral": "煤",
             "capacity_mtpa": None, "green_status": None, "geometry": cand}]


def _parcels(rng: np.random.Generator, mine: shapely.Polygon, mine_id: str, banner: str,
             open_pit: bool, next_id) -> list[dict]:
    """Pits and dumps inside an open-pit mine; an industrial site for an underground one."""
    out = []
    c = mine.centroid
    specs = [("pit", 0.3, "采坑"), ("dump", 0.12, "排土场")] if open_pit else [("other", 0.01, "工业场地")]
    if open_pit and rng.random() < 0.5:
        specs.append(("dump", 0.08, "排土场"))
    for kind, share, label in specs:
        for _ in range(50):
            dx, dy = rng.normal(0, np.sqrt(mine.area) / 5, 2)
            cand = _rect(rng, c.x + dx, c.y + dy, mine.area * share * rng.uniform(0.7, 1.2),
                         rng.uniform(1.0, 2.0), rng.uniform(0, 180)).buffer(-30, quad_segs=2).buffer(30, quad_segs=2)
            cand = cand.intersection(mine)
            if cand.area > 0.5 * share * mine.area and not any(cand.intersects(o["geometry"])
                                                                 for o in out):
                flat = round(float(cand.area / 1e4 * rng.uniform(0.15, 0.75)), 1) \
                    if kind == "pit" else None
                out.append({"flat_floor_ha": flat,
                            "site_id": next_id(kind), "name": f"合成{label}（{mine_id}）",
                            "banner": banner, "kind": kind, "mine_id": mine_id,
                            "method": "open_pit" if open_pit else "underground",
                            "status": None, "owner": None, "mineral": "煤", "capacity_mtpa": None,
                            "green_status": None, "geometry": cand})
                break
    return out


def clustered_sites(n: int, *, seed: int = SEED, min_km2: float = 0.1, max_km2: float = 30.0,
                    median_km2: float = 0.3, spread_m: float | None = None) -> gpd.GeoDataFrame:
    """``n`` fictional sites clustered like mining districts, for benchmarks and scale tests.

    Cluster centres are the real GEM GCMT mine points (the mining districts of Ordos); each site is
    a rotated rectangle of log-normal area (median ``median_km2``, clipped to
    ``min_km2``–``max_km2``) scattered with a normal spread around its centre. The spread grows
    with ``n`` (3 km at 1,000 sites, 9.5 km at 10,000, 30 km at 100,000) so that the density of a
    district, and the number of neighbours of a site, stay plausible. Sites may overlap, as pits
    and dumps overlap their mines. Vectorised: 100,000 sites take about a second.
    """
    if spread_m is None:
        spread_m = 3_000.0 * max(1.0, np.sqrt(n / 1_000))
    rng = np.random.default_rng(seed)
    centres = projection.to_metric(datasets.coal_mines()).geometry
    cx, cy = centres.x.to_numpy(), centres.y.to_numpy()
    m = int(n * 2.5) + 50  # some fall outside Ordos and are dropped
    pick = rng.integers(0, len(cx), m)
    x = cx[pick] + rng.normal(0, spread_m, m)
    y = cy[pick] + rng.normal(0, spread_m, m)
    area = np.clip(rng.lognormal(np.log(median_km2), 1.0, m), min_km2, max_km2) * 1e6
    aspect = rng.uniform(1.0, 2.5, m)
    w, h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    theta = rng.uniform(0, np.pi, m)
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
    dx = corners[None, :, 0] * w[:, None]
    dy = corners[None, :, 1] * h[:, None]
    c, s_ = np.cos(theta)[:, None], np.sin(theta)[:, None]
    ring = np.stack([x[:, None] + dx * c - dy * s_, y[:, None] + dx * s_ + dy * c], axis=-1)
    frame = gpd.GeoDataFrame(geometry=shapely.polygons(ring), crs=projection.metric_crs())
    frame = frame.to_crs("EPSG:4326")
    banners = datasets.banners()[["name_zh", "geometry"]]
    where = gpd.GeoDataFrame(geometry=frame.representative_point()).sjoin(
        banners, how="inner", predicate="within")
    where = where[~where.index.duplicated()].sort_index()
    if len(where) < n:
        raise ValueError(f"only {len(where)} of {n} sites fell inside Ordos; lower spread_m")
    where = where.iloc[:n]
    frame = frame.loc[where.index].reset_index(drop=True)
    frame.insert(0, "site_id", [f"SYN-B{i:06d}" for i in range(n)])
    frame.insert(1, "name", [f"合成基准图斑{i:06d}" for i in range(n)])
    frame.insert(2, "banner", where["name_zh"].to_numpy())
    frame.insert(3, "kind", rng.choice(["mine", "pit", "dump"], n, p=[0.4, 0.35, 0.25]))
    frame.insert(4, "status", rng.choice(["producing", "suspended", "ownerless"], n,
                                         p=[0.7, 0.15, 0.15]))
    frame.insert(5, "synthetic", True)
    return frame


def synthetic_plans(sites: gpd.GeoDataFrame, *, seed: int = SEED,
                    years: tuple[int, ...] = (2024, 2025, 2026),
                    standards: dict[str, dict] | None = None) -> pd.DataFrame:
    """Fictional annual plans (年度治理计划) for the synthetic mines, with known flaws.

    One row per mine and year: target area (ha, growing each year, 1–3 % of the mine's area per
    year), the standard of the mine's zone (``standards``: mine id → {"standard": name, and the
    zone's parameter values}, e.g. from the default zoning; else the regional default), money
    (万元, 2–4 per ha), deadline (30 November).
    About 1 in 12 plans lacks a deadline, 1 in 15 a target, and 1 in 10 names a weaker standard
    than its zone's — so the plan check has something real to find.
    """
    rng = np.random.default_rng(seed + 1)
    mines = sites[sites["kind"] == "mine"].sort_values("site_id")
    area = projection.area_ha(mines).to_numpy()
    standards = standards or {}
    rows = []
    for (site_id, banner), a in zip(mines[["site_id", "banner"]].itertuples(index=False), area):
        zone = standards.get(site_id, {"standard": "grass_west" if banner in _WEST
                                       else "forest_east"})
        standard = zone["standard"]
        weaker = "grass_west" if standard == "pv_platform" else "pv_platform"
        for k, year in enumerate(years):
            target = round(float(a * rng.uniform(0.01, 0.03) * (k + 1)), 1)
            row = {"mine_id": site_id, "year": year, "target_ha": target, **zone,
                   "money_wan": round(target * float(rng.uniform(2.0, 4.0)), 1),
                   "deadline": f"{year}-11-30"}
            roll = rng.random()
            if roll < 1 / 12:
                row["deadline"] = None
            elif roll < 1 / 12 + 1 / 15:
                row["target_ha"] = None
            elif roll < 1 / 12 + 1 / 15 + 1 / 10:
                row = {k: v for k, v in row.items() if k not in zone} | {"standard": weaker}
            rows.append(row)
    return pd.DataFrame(rows)
