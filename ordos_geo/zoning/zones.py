"""Contiguous-remediation zones (集中连片治理区).

>>> graph = og.adjacency.neighbour_graph(sites, gap_m=500)
>>> result = og.zones.build_zones(sites, graph, max_zone_ha=5000, islands="keep")
>>> result.zones          # one row per zone: zone_id, site_ids, n_sites, area_ha, …
>>> result.sites          # the input sites (same index) with zone_id

How zones come about, in words an official can check:

1. **Links.** Two sites are linked when they touch or lie within ``gap_m`` metres (metric CRS).
   A pit, dump or other parcel is always linked to its mine (``mine_id``): it lies in its mine's
   zone. Links across banners are dropped unless ``cross_banner=True``; a site flagged
   ``zone_apart`` (e.g. protected land) loses its links to other mines — its mine and parcels stay
   together, apart from everything else; ``cannot_link`` pairs never share a zone.
2. **Groups.** Linked sites form connected groups (a mine and its parcels always move together).
3. **Size band.** ``max_zone_ha`` bounds a zone's ``area_ha`` — its remediation area, the
   members' union closed over the gap — and ``max_sites`` its number of sites. A group above the
   band is rebuilt by joining its sites strongest link first — smallest gap, then nearest
   centres — trying every link in that order (Kruskal), refusing any join that would exceed the
   band or put a ``cannot_link`` pair together. Joins are first checked on the members'
   hectares (a lower bound of the closed area), then every zone whose closed area still exceeds
   the band is rebuilt the same way with the closed area of each join computed exactly. Every
   zone stays connected; weak links are cut. A single unit (a mine with its parcels) larger than
   the band is a zone alone.
4. **Isolated sites** (no link at all): ``islands="keep"`` makes each its own zone;
   ``"attach"`` joins it to the nearest zone of its banner within ``attach_m`` metres (nearest
   isolated sites first; equal distances go to the zone of the first site id) when the band
   allows (else it is kept alone); ``"drop"`` is refused — no site may be lost.
5. **Ids.** ``<banner>-<priority area>-<nn>`` (``准格尔旗-薛家湾-03``; ``其他`` outside the priority
   areas), numbered west to east. The same sites in any row order give the same zones and ids.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from ..core import projection
from ..core.errors import UsageError, ValidationError
from ..core.schema import normalise_id
from ..io import datasets
from ._bands import attach, closed_band, members_of, size_band, zone_geometry
from .adjacency import NeighbourGraph, neighbour_graph

__all__ = ["ZoneResult", "build_zones", "read_zones", "zone_of_sites", "zone_members",
           "zone_figures", "sensitivity", "Planner",
           "plot_sensitivity", "ZONE_COLUMNS"]

log = logging.getLogger("ordos_geo")

Islands = Literal["keep", "attach", "drop"]
#: Columns of the zones table before the rules add the standard and end use.
ZONE_COLUMNS = ["zone_id", "site_ids", "n_sites", "n_ownerless", "area_ha", "area_mu", "sites_ha",
                "disturbed_ha", "pit_ha", "flat_floor_ha", "ownerless_share", "open_pit_share",
                "banner", "banners", "priority_area", "dist_town_km", "centroid_lon",
                "centroid_lat", "geometry"]
OTHER_AREA = {"zh": "其他", "en": "other"}


@dataclass
class ZoneResult:
    """``zones`` (one row per zone), ``sites`` (input sites + ``zone_id``, same index) and the
    ``graph`` after the cannot-link rules (what the zones were built from)."""

    zones: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    graph: NeighbourGraph
    parameters: dict


# --- membership ---------------------------------------------------------------------------------
def zone_members(sites: gpd.GeoDataFrame, graph: NeighbourGraph | None = None, *,
                 gap_m: float = 500.0, max_zone_ha: float | None = None,
                 max_sites: int | None = None, islands: Islands = "keep",
                 attach_m: float = 1000.0, cross_banner: bool = False,
                 cannot_link: Iterable[tuple[str, str]] = ()) -> tuple[np.ndarray, NeighbourGraph]:
    """A zone number per site (aligned with ``sites``; numbers are arbitrary but deterministic)
    and the constrained graph. See the module text for the rules."""
    labels, graph, _ = _zone_members(sites, graph, gap_m=gap_m, max_zone_ha=max_zone_ha,
                                     max_sites=max_sites, islands=islands, attach_m=attach_m,
                                     cross_banner=cross_banner, cannot_link=cannot_link)
    return labels, graph


def _zone_members(sites, graph, *, gap_m, max_zone_ha, max_sites, islands, attach_m,
                  cross_banner, cannot_link, closed: dict | None = None
                  ) -> tuple[np.ndarray, NeighbourGraph, dict]:
    """:func:`zone_members`, plus the closed geometries it computed (by member positions; in
    ``closed`` when given, which may already hold some)."""
    if islands not in ("keep", "attach", "drop"):
        raise ValueError(f"islands={islands!r}; allowed: 'keep', 'attach'.")
    if islands == "drop":
        raise ValueError("islands='drop' is not allowed: every site must stay in the output. "
                         "Use 'keep' (single-site zones) or 'attach' (join the nearest zone).")
    for name, value in (("max_zone_ha", max_zone_ha), ("max_sites", max_sites)):
        if value is not None and not value > 0:
            raise ValueError(f"{name} must be > 0, got {value!r}.")
    graph = graph if graph is not None else neighbour_graph(sites, gap_m=gap_m)
    ids = sites["site_id"].astype(str).to_numpy()
    if tuple(ids) != graph.site_ids:
        raise ValueError("The graph was built from other sites (or another row order); "
                         "build it from these sites.")
    graph = _constrain(sites, graph, cross_banner)
    n = len(ids)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(n)
    closed = {} if closed is None else closed
    metric, crs, area = _site_measures(sites, closed)  # the band is in equal-area hectares
    a, b = graph.positions()
    must = (graph.edges["source"] == "mine_id").to_numpy()
    units = _units(n, a[must], b[must])
    # number the units in the order of their first site id, so that nothing below depends on
    # the row order of the input
    first = _unit_rank(units, rank)
    canon = np.empty_like(first)
    canon[np.argsort(first, kind="stable")] = np.arange(len(first))
    units = canon[units]
    unit_area, unit_sites = _unit_sizes(units, metric, area, crs)
    cx, cy = _centres(metric, units, area)
    ua, ub = units[a], units[b]
    between = ua != ub
    gaps = np.nan_to_num(graph.edges["gap_m"].to_numpy(dtype=float), nan=0.0)
    forbid = _forbidden_pairs(cannot_link, ids, units)
    labels = _components(len(unit_area), ua[between], ub[between])
    labels = size_band(labels, ua[between], ub[between], gaps[between], unit_area, unit_sites,
                        cx, cy, max_zone_ha, max_sites, forbid)
    if islands == "attach":
        banner = sites["banner"].astype(str).to_numpy() if "banner" in sites.columns else \
            np.full(n, "")
        apart = _apart_sites(sites, a[must], b[must])
        labels = attach(labels, units, metric, banner, apart, ua[between], ub[between],
                         unit_area, unit_sites, attach_m, max_zone_ha, max_sites, cross_banner,
                         forbid)
    edges = (ua[between], ub[between], gaps[between], cx, cy)
    closing = graph.gap_m if np.isfinite(graph.gap_m) else gap_m  # as zone_figures closes
    labels = closed_band(labels, units, metric, crs, edges, unit_area, unit_sites,
                          max_zone_ha, max_sites, closing, forbid, closed)
    return labels[units], graph, closed


def _site_measures(sites: gpd.GeoDataFrame, cache: dict) -> tuple[np.ndarray, object, np.ndarray]:
    """The sites in the metric CRS (an array, and that CRS) and their equal-area hectares,
    computed once per cache (one zoning, or a :class:`Planner`'s sites) under
    ``"site_measures"``."""
    if "site_measures" not in cache:
        metric = projection.to_metric(sites.geometry)
        cache["site_measures"] = (np.asarray(metric.values), metric.crs,
                                  projection.area_ha(sites).to_numpy())
    return cache["site_measures"]


def _constrain(sites: gpd.GeoDataFrame, graph: NeighbourGraph,
               cross_banner: bool) -> NeighbourGraph:
    """Drop links across banners (unless allowed) and every link of a ``zone_apart`` site's unit
    (the mine and its parcels) to other units; the mine–parcel links themselves stay."""
    a, b = graph.positions()
    keep = np.ones(len(a), dtype=bool)
    must = (graph.edges["source"] == "mine_id").to_numpy()
    if not cross_banner and "banner" in sites.columns:
        banner = sites["banner"].astype(str).to_numpy()
        keep &= (banner[a] == banner[b]) | must
    apart = _apart_sites(sites, a[must], b[must])
    keep &= ~(apart[a] | apart[b]) | must
    if keep.all():
        return graph
    return graph.subgraph_edges(keep)


def _apart_sites(sites: gpd.GeoDataFrame, ma: np.ndarray, mb: np.ndarray) -> np.ndarray:
    """Sites whose unit (a mine and its parcels) holds a ``zone_apart`` site."""
    if "zone_apart" not in sites.columns:
        return np.zeros(len(sites), dtype=bool)
    flag = sites["zone_apart"].fillna(False).astype(bool).to_numpy()
    units = _units(len(sites), ma, mb)
    return np.isin(units, units[flag])


def _units(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Sites that must stay together (a mine and its parcels) share a unit number."""
    m = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(m, directed=False)[1]


def _unit_sizes(units: np.ndarray, metric: np.ndarray, area: np.ndarray, crs
                ) -> tuple[np.ndarray, np.ndarray]:
    """Area (ha, of the union of members, equal-area CRS) and site count of every unit."""
    nu = units.max() + 1 if len(units) else 0
    counts = np.bincount(units, minlength=nu)
    size = np.bincount(units, weights=area, minlength=nu)
    multi = np.flatnonzero(counts > 1)
    if len(multi):  # overlapping parcels count once: the area of each unit's union
        order = np.argsort(units, kind="stable")
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        merged = [shapely.union_all(metric[order[starts[u]:starts[u] + counts[u]]]) for u in multi]
        size[multi] = projection.area_ha(gpd.GeoSeries(merged, crs=crs)).to_numpy()
    return size, counts


def _centres(metric: np.ndarray, units: np.ndarray, area: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    c = shapely.get_coordinates(shapely.centroid(metric))
    w = np.maximum(area, 1e-9)
    nu = units.max() + 1 if len(units) else 0
    tw = np.bincount(units, weights=w, minlength=nu)
    return (np.bincount(units, weights=c[:, 0] * w, minlength=nu) / tw,
            np.bincount(units, weights=c[:, 1] * w, minlength=nu) / tw)


def _unit_rank(units: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Each unit's rank: the smallest text rank of its site ids (a stable tie-breaker)."""
    out = np.full(units.max() + 1 if len(units) else 0, np.iinfo(np.int64).max)
    np.minimum.at(out, units, rank)
    return out


def _forbidden_pairs(pairs: Iterable[tuple[str, str]], ids: np.ndarray,
                     units: np.ndarray) -> dict[int, set[int]]:
    """Unit pairs that must not share a zone; unknown sites and mine–parcel pairs are refused,
    every one named at once."""
    pos = {s: i for i, s in enumerate(ids)}
    out: dict[int, set[int]] = {}
    problems = []
    for k, (x, y) in enumerate(pairs, start=1):
        x, y = normalise_id(x), normalise_id(y)
        unknown = [s for s in (x, y) if s not in pos]
        if unknown:
            problems.append(f"pair {k} ({x!r}, {y!r}): no site {', '.join(map(repr, unknown))}")
            continue
        ux, uy = units[pos[x]], units[pos[y]]
        if ux == uy:
            problems.append(f"pair {k} ({x!r}, {y!r}): a parcel and its mine must share a zone; "
                            "remove the pair or the parcel's mine_id")
            continue
        out.setdefault(ux, set()).add(uy)
        out.setdefault(uy, set()).add(ux)
    if problems:
        raise ValidationError(f"cannot_link: {len(problems)} problem(s):\n- "
                              + "\n- ".join(problems[:30]))
    return out


def _components(nu: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    m = sparse.coo_matrix((np.ones(len(a)), (a, b)), shape=(nu, nu))
    return connected_components(m, directed=False)[1]


def zone_figures(sites: gpd.GeoDataFrame, labels: np.ndarray, *, gap_m: float,
                 priority_areas: gpd.GeoDataFrame | None = None,
                 towns: gpd.GeoDataFrame | None = None, lang: str | None = None,
                 closed: dict | None = None) -> gpd.GeoDataFrame:
    """One row per zone: ids, counts, areas (ha, 亩), banner, priority area, distance to the
    nearest town, centroid, and the remediation area (union closed over the gap) as geometry.

    Areas: ``area_ha`` of the remediation area, ``sites_ha`` of the union of member sites,
    ``disturbed_ha`` of pits, dumps, other parcels and ownerless sites, ``pit_ha`` of pits — all in
    the equal-area CRS. ``dist_town_km`` is measured in the metric CRS from the zone centre.
    ``closed`` holds remediation areas already computed for these ``sites`` (keyed by the
    sorted member positions), as :func:`build_zones` passes them on from the band check; the
    members' unions are kept in it too (keyed by the figure's name and the positions), so a
    :class:`Planner` re-zoning the same sites computes each zone's geometry once.
    """
    from ..core.settings import settings

    lang = settings.get("lang", lang)
    groups = members_of(labels)
    cache = closed if closed is not None else {}
    metric, crs, area = _site_measures(sites, cache)
    geoms = zone_geometry(metric, groups, gap_m, cached=cache)
    # kept for the next zoning of these sites at this gap
    cache.update({tuple(np.sort(g)): geom for g, geom in zip(groups, geoms) if len(g) > 1})
    ids = sites["site_id"].astype(str).to_numpy()
    facts = _site_facts(sites, metric)
    groups = [g[np.argsort(ids[g], kind="stable")] for g in groups]
    rows = _zone_rows(groups, ids, area, facts)
    zones = gpd.GeoDataFrame(rows, geometry=list(geoms), crs=crs)
    for name, ha in _union_areas(groups, metric, area, facts, cache).items():
        zones[name] = ha
    zones["area_ha"] = projection.area_ha(zones)
    zones["area_mu"] = zones["area_ha"] * projection.HA_TO_MU
    zones = zones.round({"area_ha": 4, "area_mu": 3, "sites_ha": 4, "disturbed_ha": 4,
                         "pit_ha": 4, "flat_floor_ha": 4, "ownerless_share": 4,
                         "open_pit_share": 4})
    zones = _place(zones, sites, groups, area, priority_areas, towns, lang)
    zones = zones.to_crs("EPSG:4326")
    return zones[ZONE_COLUMNS]


def _site_facts(sites: gpd.GeoDataFrame, metric: np.ndarray) -> dict[str, np.ndarray]:
    """Per site, what the zone figures add up: kinds, status, method, banner, flat floor,
    centre (metric CRS)."""
    col = {c: (sites[c].to_numpy() if c in sites.columns else np.full(len(sites), None))
           for c in ("kind", "status", "method", "banner", "flat_floor_ha")}
    return {"disturbed": np.isin(col["kind"], ["pit", "dump", "other"])
            | (col["status"] == "ownerless"),
            "is_pit": col["kind"] == "pit", "ownerless": col["status"] == "ownerless",
            "open_pit": col["method"] == "open_pit", "banner": col["banner"],
            "flat": pd.to_numeric(pd.Series(col["flat_floor_ha"]), errors="coerce").to_numpy(),
            "centres": shapely.get_coordinates(shapely.centroid(metric))}


def _zone_rows(groups: list[np.ndarray], ids: np.ndarray, area: np.ndarray,
               facts: dict) -> pd.DataFrame:
    """The figures of every zone (members of each sorted by id) that need no geometry union,
    summed over all zones at once."""
    members = np.concatenate(groups)
    zone = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    a = area[members]
    w = np.maximum(a, 1e-9)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(zone, weights=values, minlength=len(groups))

    banner = facts["banner"][members].astype(str)
    by_banner = (pd.DataFrame({"zone": zone, "banner": banner, "ha": a})
                 .groupby(["zone", "banner"], sort=True)["ha"].sum().reset_index())
    # by area; ties: first by name (the groups are sorted by name, the sort is stable)
    top = by_banner.sort_values(["zone", "ha"], ascending=[True, False], kind="stable") \
        .drop_duplicates("zone").set_index("zone")["banner"]
    names = top.copy()  # most zones lie in one banner; the others list theirs by name
    several = by_banner["zone"].duplicated(keep=False).to_numpy()
    for z, part in by_banner[several].groupby("zone", sort=False)["banner"]:
        names[z] = ";".join(part)
    centres = facts["centres"][members]
    flat = facts["flat"][members]
    return pd.DataFrame({
        "site_ids": [";".join(ids[g]) for g in groups],
        "n_sites": [len(g) for g in groups],
        "n_ownerless": np.bincount(zone, weights=facts["ownerless"][members].astype(float),
                                   minlength=len(groups)).astype(int),
        "flat_floor_ha": total(np.nan_to_num(flat, nan=0.0)),
        "ownerless_share": total(np.where(facts["ownerless"][members], a, 0.0)) / total(w),
        "open_pit_share": total(np.where(facts["open_pit"][members], a, 0.0)) / total(w),
        "banner": top.reindex(range(len(groups))).to_numpy(),
        "banners": names.reindex(range(len(groups))).to_numpy(),
        "_cx": total(w * centres[:, 0]) / total(w), "_cy": total(w * centres[:, 1]) / total(w),
        "_first": [ids[g][0] for g in groups]})


def _union_areas(groups: list[np.ndarray], metric: np.ndarray, area: np.ndarray, facts: dict,
                 cache: dict) -> dict[str, np.ndarray]:
    """Per zone, the area (ha, equal-area CRS) of the union of its sites, of its disturbed
    ground and of its pits. Where no member overlaps another site the union's area is the sum
    of the members' areas (whatever ``cache`` holds, so the answer never depends on what was
    computed before); the others are unioned (kept in ``cache``) and reprojected once per
    column. The sites' overlapping pairs are kept in ``cache`` too."""
    hectares = projection.area_ha_function(projection.metric_crs())
    if "site_overlaps" not in cache:
        cache["site_overlaps"] = _overlapping(metric)
    i, j = cache["site_overlaps"]
    out = {}
    for name, pick in (("sites_ha", None), ("disturbed_ha", facts["disturbed"]),
                       ("pit_ha", facts["is_pit"])):
        # sites whose interior meets another site of the same selection (a pit inside its
        # mine does not stop the pits from being summed)
        both = np.ones(len(i), dtype=bool) if pick is None else pick[i] & pick[j]
        apart = np.ones(len(metric), dtype=bool)
        apart[i[both]] = apart[j[both]] = False
        ha = np.zeros(len(groups))
        todo, members = [], []
        for k, g in enumerate(groups):
            part = np.sort(g if pick is None else g[pick[g]])
            key = (name, *part.tolist())
            if len(part) < 2 or apart[part].all():
                ha[k] = area[part].sum()
                continue
            if key not in cache:
                cache[key] = _union(metric[part])
            todo.append(k)
            members.append(cache[key])
        if todo:  # one reprojection per column, not per zone
            ha[todo] = np.nan_to_num(hectares(np.asarray(members, dtype=object)))
        out[name] = ha
    return out


def _overlapping(metric: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of sites whose interiors meet (metric CRS)."""
    i, j = shapely.STRtree(metric).query(metric, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    inner = ~shapely.touches(metric[i], metric[j])
    return i[inner], j[inner]


def _union(members: np.ndarray):
    """The union of ``members`` (None when there are none)."""
    if not len(members):
        return None
    return members[0] if len(members) == 1 else shapely.union_all(members)


def _place(zones: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, groups: list[np.ndarray],
           area: np.ndarray, priority_areas, towns, lang: str) -> gpd.GeoDataFrame:
    """Priority area (largest share of member area), nearest town, centroid, readable ids."""
    pa = priority_areas if priority_areas is not None else datasets.priority_areas()
    pa = pa.dropna(subset=["geometry"])
    short = "short_en" if lang == "en" else "short_zh"
    label = pa[short] if short in pa.columns else pa["name_zh"]
    pts = gpd.GeoDataFrame({"zone": np.concatenate([np.full(len(g), k) for k, g in
                                                    enumerate(groups)]),
                            "w": np.concatenate([area[g] for g in groups])},
                           geometry=sites.geometry.representative_point().to_numpy()[
                               np.concatenate(groups)], crs=sites.crs)
    hit = pts.sjoin(gpd.GeoDataFrame({"pa": label.to_numpy(), "pa_name": pa["name_zh"].to_numpy()},
                                     geometry=pa.geometry.to_numpy(), crs=pa.crs).to_crs(sites.crs),
                    how="inner", predicate="within")
    best = (hit.groupby(["zone", "pa", "pa_name"])["w"].sum().reset_index()
            .sort_values(["zone", "w", "pa"], ascending=[True, False, True], kind="stable")
            .drop_duplicates("zone").set_index("zone"))
    zones["priority_area"] = best["pa_name"].reindex(range(len(zones))).to_numpy()
    zones["_short"] = best["pa"].reindex(range(len(zones))).fillna(OTHER_AREA[lang]).to_numpy()
    t = towns if towns is not None else _towns()
    tm = projection.to_metric(t.geometry).to_numpy()
    centre = shapely.points(zones["_cx"].to_numpy(), zones["_cy"].to_numpy())
    tree = shapely.STRtree(tm)
    _, dist = tree.query_nearest(centre, return_distance=True, all_matches=False)
    zones["dist_town_km"] = np.round(dist / 1000.0, 2)
    lonlat = gpd.GeoSeries(centre, crs=zones.crs).to_crs("EPSG:4326")
    zones["centroid_lon"], zones["centroid_lat"] = lonlat.x.round(6), lonlat.y.round(6)
    zones["zone_id"] = _zone_ids(zones)
    order = np.lexsort((zones["_first"], zones["_cy"].round(0), zones["_cx"].round(0)))
    return zones.drop(columns=["_cx", "_cy", "_short", "_first"]).iloc[order].reset_index(drop=True)


def _zone_ids(zones: gpd.GeoDataFrame) -> list[str]:
    """``<banner>-<area>-<nn>``, numbered west to east (then south to north) within each pair."""
    key = (zones["banner"].astype(str) + "-" + zones["_short"].astype(str)).to_numpy(dtype=object)
    order = np.lexsort((zones["_first"].to_numpy(), zones["_cy"].round(0).to_numpy(),
                        zones["_cx"].round(0).to_numpy(), key))
    ranked = pd.Series(key[order])
    number = ranked.groupby(ranked, sort=False).cumcount().to_numpy() + 1
    width = np.maximum(2, ranked.map(ranked.value_counts()).astype(str).str.len().to_numpy())
    out = np.empty(len(zones), dtype=object)
    out[order] = [f"{k}-{n:0{w}d}" for k, n, w in zip(key[order], number, width)]
    return out.tolist()


def _towns() -> gpd.GeoDataFrame:
    p = datasets.places()
    return p[p["kind"].str.startswith("populated place")]


# --- the whole step -----------------------------------------------------------------------------
def _check_options(*, gap_m, max_zone_ha, max_sites, attach_m) -> None:
    """Refuse option values that cannot mean anything (a UsageError, exit 2 in the CLI)."""
    import math

    def finite(value) -> bool:
        return isinstance(value, (int, float, np.number)) and math.isfinite(float(value))

    if not finite(gap_m) or gap_m < 0:
        raise UsageError(f"gap_m={gap_m!r}: give a finite distance ≥ 0 in metres.")
    if not finite(attach_m) or attach_m < 0:
        raise UsageError(f"attach_m={attach_m!r}: give a finite distance ≥ 0 in metres.")
    if max_zone_ha is not None and (not finite(max_zone_ha) or max_zone_ha <= 0):
        raise UsageError(f"max_zone_ha={max_zone_ha!r}: give a finite area > 0 in hectares.")
    if max_sites is not None and (not finite(max_sites) or max_sites < 1 or max_sites % 1):
        raise UsageError(f"max_sites={max_sites!r}: give a whole number ≥ 1.")


def build_zones(sites: gpd.GeoDataFrame, graph: NeighbourGraph | None = None, *,
                gap_m: float | None = None, max_zone_ha: float | None = None,
                max_sites: int | None = None, islands: Islands = "keep", attach_m: float = 1000.0,
                cross_banner: bool = False, cannot_link: Iterable[tuple[str, str]] = (),
                priority_areas: gpd.GeoDataFrame | None = None,
                lang: str | None = None, _cache: dict | None = None) -> ZoneResult:
    """Zones of ``sites`` (validated, with ``site_id``, ``banner``, ``kind``, ``status``).

    ``graph`` defaults to :func:`ordos_geo.zoning.adjacency.neighbour_graph` at ``gap_m`` (500 m); an
    edited graph may be passed. See the module text for the rules. The result's ``sites`` keep the
    input index and gain ``zone_id``.
    """
    if graph is not None and gap_m is not None and graph.gap_m == graph.gap_m \
            and gap_m != graph.gap_m:
        raise ValueError(f"gap_m={gap_m!r} differs from the graph's {graph.gap_m!r}.")
    gap = gap_m if gap_m is not None else (graph.gap_m if graph is not None else 500.0)
    _check_options(gap_m=gap, max_zone_ha=max_zone_ha, max_sites=max_sites, attach_m=attach_m)
    labels, used, closed = _zone_members(sites, graph, gap_m=gap, max_zone_ha=max_zone_ha,
                                         max_sites=max_sites, islands=islands,
                                         attach_m=attach_m, cross_banner=cross_banner,
                                         cannot_link=cannot_link, closed=_cache)
    zones = zone_figures(sites, labels, gap_m=gap, priority_areas=priority_areas, lang=lang,
                         closed=closed)
    site_zone = pd.Series(np.repeat(zones["zone_id"].to_numpy(), zones["n_sites"].to_numpy()),
                          index=np.concatenate(zones["site_ids"].str.split(";").to_list()))
    out = sites.copy()
    out["zone_id"] = site_zone.reindex(out["site_id"].astype(str)).to_numpy()
    params = {"gap_m": gap, "max_zone_ha": max_zone_ha, "max_sites": max_sites,
              "islands": islands, "attach_m": attach_m, "cross_banner": cross_banner,
              "cannot_link": [tuple(p) for p in cannot_link]}
    log.info("zoned %d sites into %d zones (gap %g m)", len(sites), len(zones), gap)
    return ZoneResult(zones, out, used, params)


# --- sensitivity to the gap ---------------------------------------------------------------------
def read_zones(path: str | Path) -> gpd.GeoDataFrame:
    """A ``zones.geojson`` (or GeoPackage layer ``zones``) written by ``ordos-geo zones``, with
    ``zone_id`` and ``site_ids`` as text (``area_ha`` from the shapes when the file has none). A
    missing file, another kind of file, missing columns and a zone id given twice are refused
    with the file named (:class:`~ordos_geo.core.errors.ValidationError`)."""
    from .. import io
    from ..core.errors import ValidationError
    from ..core.messages import msg

    path = Path(path)
    layer = "zones" if path.suffix.lower() == ".gpkg" else None
    frame = io.read_vector(path, layer=layer).frame
    missing = [c for c in ("zone_id", "site_ids") if c not in frame.columns]
    if missing:
        raise ValidationError(msg("zones_file_columns", path=path, missing=", ".join(missing)))
    bad = frame["zone_id"].isna() | frame["site_ids"].isna() | frame.geometry.isna()
    if bad.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(bad.to_numpy())[:10])
        raise ValidationError(msg("zones_file_rows", path=path, rows=rows))
    frame = frame.assign(zone_id=frame["zone_id"].astype(str),
                         site_ids=frame["site_ids"].astype(str))
    twice = frame["zone_id"][frame["zone_id"].duplicated(keep=False)].unique()
    if len(twice):
        raise ValidationError(msg("zones_file_twice", path=path, n=len(twice),
                                  ids=", ".join(twice[:10])))
    if "area_ha" not in frame.columns:  # a zones file edited elsewhere: the area of its shape
        frame["area_ha"] = projection.area_ha(frame).to_numpy()
    return frame


def zone_of_sites(zones: gpd.GeoDataFrame, *, sites: gpd.GeoDataFrame | None = None
                  ) -> pd.Series:
    """``site_id → zone_id`` from a zones table's ``site_ids`` (joined with ``;``). Given the
    ``sites``, a zones table whose members are not all among them (a zones file of another
    run or another area) is refused, naming the missing ids and their zones."""
    members = zones[["zone_id", "site_ids"]].assign(site_id=zones["site_ids"].str.split(";"))
    out = members.explode("site_id").set_index("site_id")["zone_id"]
    if sites is not None:
        from ..core.errors import ValidationError
        from ..core.messages import msg

        missing = out[~out.index.isin(sites["site_id"].astype(str))]
        if len(missing):
            shown = ", ".join(f"{s} ({z})" for s, z in list(missing.items())[:10])
            raise ValidationError(msg("zones_members_missing", n=len(missing), total=len(out),
                                      ids=shown + (" …" if len(missing) > 10 else "")))
    return out


def sensitivity(sites: gpd.GeoDataFrame, *, gaps: Iterable[float] = range(100, 1001, 100),
                max_zone_ha: float | None = None, max_sites: int | None = None,
                cross_banner: bool = False) -> pd.DataFrame:
    """How the zoning changes with ``gap_m``: one row per gap, so planners choose it knowingly.

    Columns: ``gap_m``, ``n_zones``, ``n_multi_site`` (zones of 2+ sites), ``n_single_site``,
    ``share_sites_in_multi`` (share of sites in multi-site zones), ``largest_zone_ha`` and
    ``median_zone_ha`` (area of member sites, overlaps counted once per mine). The graph is built
    once, at the largest gap, and filtered for the smaller ones.
    """
    gaps = sorted(float(g) for g in gaps)
    return _sensitivity(Planner(sites, max_gap_m=gaps[-1]), gaps, max_zone_ha=max_zone_ha,
                        max_sites=max_sites, cross_banner=cross_banner)


def _sensitivity(plan: "Planner", gaps: list[float], *, max_zone_ha, max_sites,
                 cross_banner) -> pd.DataFrame:
    sites = plan.sites
    metric = np.asarray(projection.to_metric(sites.geometry).values)
    fa, fb = plan._graph.positions()
    units = _units(len(sites), fa[plan._must], fb[plan._must])
    unit_area, _ = _unit_sizes(units, metric, projection.area_ha(sites).to_numpy(),
                               projection.metric_crs())
    first_site = np.unique(units, return_index=True)[1]
    rows = []
    for g in gaps:  # the band's closings kept per gap, for the planner's later zonings too
        labels, _, _ = _zone_members(sites, plan.graph(gap_m=g), gap_m=g,
                                     max_zone_ha=max_zone_ha, max_sites=max_sites,
                                     islands="keep", attach_m=1000.0, cross_banner=cross_banner,
                                     cannot_link=(), closed=plan._gap_cache(g))
        counts = np.bincount(labels)
        size = np.bincount(labels[first_site], weights=unit_area)
        multi = counts > 1
        rows.append({"gap_m": g, "n_zones": len(counts), "n_multi_site": int(multi.sum()),
                     "n_single_site": int((~multi).sum()),
                     "share_sites_in_multi": float(counts[multi].sum() / len(labels)),
                     "largest_zone_ha": float(size.max()),
                     "median_zone_ha": float(np.median(size))})
    return pd.DataFrame(rows)


def plot_sensitivity(table: pd.DataFrame, *, ax=None, lang: str | None = None):
    """Number of zones and the largest zone against ``gap_m`` (matplotlib); returns the axes."""
    from ..core.settings import settings
    from ..core.utils import cjk_font, import_optional

    plt = import_optional("matplotlib.pyplot", purpose="plots", pip="matplotlib")
    font = cjk_font()
    zh = settings.get("lang", lang) == "zh" and font is not None  # no boxes for missing glyphs
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    if zh:
        plt.rcParams["font.sans-serif"] = [font, *plt.rcParams["font.sans-serif"]]
    ax.plot(table["gap_m"], table["n_zones"], "o-", color="tab:blue",
            label="zones" if not zh else "分区数 zones")
    ax.plot(table["gap_m"], table["n_multi_site"], "s--", color="tab:green",
            label="multi-site zones" if not zh else "多图斑分区 multi-site")
    ax.set_xlabel("gap_m (m)")
    ax.set_ylabel("zones" if not zh else "分区数 zones")
    right = ax.twinx()
    right.plot(table["gap_m"], table["largest_zone_ha"], "^:", color="tab:red",
               label="largest zone (ha)" if not zh else "最大分区（公顷）largest (ha)")
    right.set_ylabel("ha")
    lines = ax.get_legend_handles_labels()
    more = right.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper center", fontsize=8, ncol=3,
              bbox_to_anchor=(0.5, -0.16), frameon=False)
    ax.set_title("Zones as a function of the linking distance" if not zh
                 else "连片距离敏感性 / sensitivity to gap_m")
    return ax


# --- interactive re-zoning ----------------------------------------------------------------------
class Planner:
    """The zones of one set of sites for many choices, the neighbour graph built once.

    >>> plan = og.zones.Planner(sites)              # the graph at max_gap_m (1,000 m)
    >>> plan.zones(gap_m=300, max_zone_ha=5000)     # == build_zones(sites, gap_m=300, …)
    >>> plan.sensitivity(gaps=range(200, 1001, 100))

    A zoning at ``gap_m`` ≤ ``max_gap_m`` uses the links of the large graph whose exact distance
    is within ``gap_m`` — the links :func:`neighbour_graph` would find at that gap, with the same
    figures — plus every parcel's link to its mine, so every answer equals
    :func:`build_zones` on the same sites and options (a property test checks it).
    """

    def __init__(self, sites: gpd.GeoDataFrame, *, max_gap_m: float = 1000.0) -> None:
        if not (np.isfinite(max_gap_m) and max_gap_m >= 0):
            raise ValueError(f"max_gap_m must be a finite number ≥ 0, got {max_gap_m!r}.")
        self.sites = sites
        self.max_gap_m = float(max_gap_m)
        self._graph = neighbour_graph(sites, gap_m=self.max_gap_m)
        metric = np.asarray(projection.to_metric(sites.geometry).values)
        a, b = self._graph.positions()
        # the distance neighbour_graph decides by (its table keeps it rounded to the mm)
        self._exact = shapely.distance(metric[a], metric[b])
        self._must = (self._graph.edges["source"] == "mine_id").to_numpy()
        # per gap: zone geometries by member positions; under None the sites' own measures
        self._cache: dict[float | None, dict] = {}

    def __repr__(self) -> str:
        return f"Planner({len(self.sites)} sites, graph to {self.max_gap_m:g} m)"

    def graph(self, *, gap_m: float = 500.0) -> NeighbourGraph:
        """The neighbour graph at ``gap_m`` (≤ ``max_gap_m``), as :func:`neighbour_graph`
        builds it, taken from the large one."""
        if not (np.isfinite(gap_m) and 0 <= gap_m <= self.max_gap_m):
            raise ValueError(f"gap_m={gap_m!r}: give 0–{self.max_gap_m:g} m (the planner's "
                             "max_gap_m), or a Planner with a larger max_gap_m.")
        within = self._exact <= gap_m
        keep = within | self._must
        graph = self._graph.subgraph_edges(keep, gap_m=gap_m)
        beyond = self._must[keep] & ~within[keep]  # a parcel's link to its mine farther away:
        if beyond.any():                           # no distance, as neighbour_graph adds it
            edges = graph.edges.copy()
            edges.loc[beyond, ["gap_m", "shared_m", "overlap"]] = [np.nan, 0.0, False]
            graph = NeighbourGraph(graph.site_ids, edges, graph.gap_m, graph.positions())
        return graph

    def zones(self, *, gap_m: float = 500.0, **options) -> ZoneResult:
        """:func:`build_zones` of the sites at ``gap_m`` with ``options`` (``max_zone_ha``,
        ``max_sites``, ``islands``, ``attach_m``, ``cross_banner``, ``cannot_link``,
        ``priority_areas``, ``lang``)."""
        cache = self._gap_cache(gap_m)
        return build_zones(self.sites, self.graph(gap_m=gap_m), gap_m=gap_m, _cache=cache,
                           **options)

    def _gap_cache(self, gap_m: float) -> dict:
        """What the zonings at ``gap_m`` keep (closings, unions), with the sites' measures
        shared by every gap."""
        cache = self._cache.setdefault(float(gap_m), {})
        if "site_measures" not in cache:
            shared = self._cache.setdefault(None, {})
            if "site_overlaps" not in shared:
                shared["site_overlaps"] = _overlapping(_site_measures(self.sites, shared)[0])
            cache["site_measures"] = shared["site_measures"]
            cache["site_overlaps"] = shared["site_overlaps"]
        return cache

    def sensitivity(self, *, gaps: Iterable[float] = range(100, 1001, 100),
                    max_zone_ha: float | None = None, max_sites: int | None = None,
                    cross_banner: bool = False) -> pd.DataFrame:
        """:func:`sensitivity` of the sites over ``gaps`` (each ≤ ``max_gap_m``), from the
        graph built once."""
        return _sensitivity(self, sorted(float(g) for g in gaps), max_zone_ha=max_zone_ha,
                            max_sites=max_sites, cross_banner=cross_banner)

