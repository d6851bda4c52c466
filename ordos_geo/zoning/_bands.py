"""The size band of the zones (an internal module of :mod:`ordos_geo.zoning`): joining units
shortest gap first under a hectare and site limit (Kruskal on a union–find), attaching isolated
sites, and the exact band on the zones' closed (grown) shapes — what :func:`zones.build_zones`
applies after the neighbour graph. The zone shapes themselves (:func:`zone_geometry`) are here
too: the closed band measures them."""

from __future__ import annotations

import numpy as np
import shapely

from ..core import projection

__all__ = ["size_band", "attach", "closed_band", "members_of", "zone_geometry"]


def join_order(a, b, gaps, cx, cy, nu: int) -> tuple[np.ndarray, np.ndarray]:
    """Every link between two units once (the strongest of several), strongest first: smallest
    gap, then nearest centres, then the smaller unit number (units are numbered canonically, so
    the order does not depend on the row order of the input)."""
    weight = np.round(gaps, 3) * 1000.0 + 1.0 + np.hypot(cx[a] - cx[b], cy[a] - cy[b]) * 1e-6
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo.astype(np.int64) * nu + hi
    by_key = np.argsort(key, kind="stable")
    order = by_key[np.argsort(weight[by_key], kind="stable")]  # by (weight, lo, hi)
    first = np.unique(key[order], return_index=True)[1]  # each unit pair's strongest link
    pick = order[np.sort(first)]
    return lo[pick], hi[pick]


class UnionFind:
    """Zones being grown: parent links, hectares and site counts per root, cannot-link sets."""

    def __init__(self, size: np.ndarray, count: np.ndarray, forbid: dict[int, set[int]]):
        self.parent = list(range(len(size)))
        self.size = size.astype(float).tolist()
        self.count = count.astype(float).tolist()
        self.enemies = {u: set(v) for u, v in forbid.items()}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def allowed(self, ra: int, rb: int) -> bool:
        ea, eb = self.enemies.get(ra), self.enemies.get(rb)
        if ea and any(self.find(e) == rb for e in ea):
            return False
        return not (eb and any(self.find(e) == ra for e in eb))

    def join(self, ra: int, rb: int) -> None:
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]
        self.count[ra] += self.count[rb]
        eb = self.enemies.get(rb)
        if eb:
            self.enemies[ra] = self.enemies.get(ra, set()) | eb

    def roots(self) -> np.ndarray:
        """The root of every element (pointer jumping, vectorised)."""
        p = np.asarray(self.parent, dtype=np.int64)
        while True:
            q = p[p]
            if np.array_equal(q, p):
                return p
            p = q


def kruskal(uf: UnionFind, rows: np.ndarray, cols: np.ndarray, limit_ha: float,
             limit_n: float, accept=None) -> None:
    """Kruskal over the links in order, each join refused when it would break a limit, a
    cannot-link rule or ``accept(ra, rb)``.

    Links are taken in batches; before each batch the links whose ends are already joined are
    dropped at once (they would be skipped one by one: components only grow), so the Python
    loop sees only the links that may still join two zones. The joins are those of plain
    Kruskal, link for link.
    """
    batch = max(4096, len(uf.parent) // 2)
    for start in range(0, len(rows), batch):
        r, c = rows[start:start + batch], cols[start:start + batch]
        root = uf.roots()
        live = root[r] != root[c]
        for u, v in zip(r[live].tolist(), c[live].tolist()):
            ra, rb = uf.find(u), uf.find(v)
            if ra == rb or uf.size[ra] + uf.size[rb] > limit_ha or \
                    uf.count[ra] + uf.count[rb] > limit_n or not uf.allowed(ra, rb):
                continue
            if accept is not None and not accept(ra, rb):
                continue
            uf.join(ra, rb)


def size_band(labels, a, b, gaps, unit_area, unit_sites, cx, cy, max_ha, max_sites,
               forbid) -> np.ndarray:
    """Rebuild the groups that break the band or a cannot-link rule (:mod:`.zones`, step 3):
    Kruskal over every link of those groups, strongest first, each join refused when it would
    break the band (members' hectares here; the closed area is checked after) or a rule."""
    nl = labels.max() + 1 if len(labels) else 0
    over = np.zeros(nl, dtype=bool)
    if max_ha is not None:
        over |= np.bincount(labels, weights=unit_area, minlength=nl) > max_ha
    if max_sites is not None:
        over |= np.bincount(labels, weights=unit_sites, minlength=nl) > max_sites
    for u, others in forbid.items():
        over[labels[u]] |= any(labels[o] == labels[u] for o in others)
    if not over.any():
        return labels
    todo = over[labels]
    sel = todo[a] & todo[b]
    nu = len(unit_area)
    rows, cols = join_order(a[sel], b[sel], gaps[sel], cx, cy, nu)
    uf = UnionFind(unit_area, unit_sites, forbid)
    limit_ha = float("inf") if max_ha is None else float(max_ha)
    limit_n = float("inf") if max_sites is None else float(max_sites)
    kruskal(uf, rows, cols, limit_ha, limit_n)
    roots = uf.roots()
    # units outside the rebuilt groups keep their group; renumber everything densely
    key = np.where(todo, roots + nl, labels)
    return np.unique(key, return_inverse=True)[1]


def attach(labels, units, metric, banner, apart, a, b, unit_area, unit_sites, attach_m,
            max_ha, max_sites, cross_banner, forbid) -> np.ndarray:
    """Join each isolated unit (no link at all) to the nearest zone of its banner within
    ``attach_m`` metres, nearest units first; ties go to the smaller unit number, so the row
    order of the input changes nothing."""
    nu = len(unit_area)
    degree = np.bincount(np.r_[a, b], minlength=nu)
    site_isolated = np.isin(units, np.flatnonzero(degree == 0))
    if not site_isolated.any():
        return labels
    targets = np.flatnonzero(~site_isolated & ~apart)
    cand = np.flatnonzero(site_isolated & ~apart)
    best: dict[int, tuple[float, int, int]] = {}  # unit -> (distance, target unit, zone)
    for group in ([targets] if cross_banner else
                  [targets[banner[targets] == bn] for bn in np.unique(banner[targets])]):
        mine = cand if cross_banner else cand[banner[cand] == banner[group[0]]]
        if not len(group) or not len(mine):
            continue
        src, hit = shapely.STRtree(metric[group]).query(metric[mine], predicate="dwithin",
                                                        distance=attach_m)
        dist = shapely.distance(metric[mine[src]], metric[group[hit]])
        for s_, h, d in zip(mine[src], group[hit], dist):
            option = (float(d), int(units[h]), int(labels[units[h]]))
            if option < best.get(int(units[s_]), (np.inf, 0, 0)):
                best[int(units[s_])] = option
    labels = labels.copy()
    zone_area = np.bincount(labels, weights=unit_area)
    zone_sites = np.bincount(labels, weights=unit_sites)
    for u, (_, _, z) in sorted(best.items(), key=lambda kv: (kv[1][0], kv[0])):
        if max_ha is not None and zone_area[z] + unit_area[u] > max_ha:
            continue
        if max_sites is not None and zone_sites[z] + unit_sites[u] > max_sites:
            continue
        if any(labels[e] == z for e in forbid.get(u, ())):
            continue
        zone_area[z] += unit_area[u]
        zone_sites[z] += unit_sites[u]
        labels[u] = z
    return np.unique(labels, return_inverse=True)[1]


def closed_band(labels, units, metric, crs, edges, unit_area, unit_sites, max_ha, max_sites,
                 gap_m, forbid, closed_cache: dict) -> np.ndarray:
    """The band bounds ``area_ha``, the zone's closed remediation area. Zones whose closed area
    exceeds it are rebuilt like step 3 with the closed area of every join computed exactly."""
    if max_ha is None:
        return labels
    site_groups = _multi_unit_groups(labels, units)
    hectares = projection.area_ha_function(crs)
    # zones closed before (a planner's gap tried before) are measured, not bounded
    keys = [tuple(np.sort(g)) for g in site_groups]
    known = [k for k, key in enumerate(keys) if key in closed_cache]
    over = [site_groups[k] for k, ha in zip(known, hectares(np.asarray(
        [closed_cache[keys[k]] for k in known], dtype=object))) if ha > max_ha]
    site_groups = [g for g, key in zip(site_groups, keys) if key not in closed_cache]
    # Three upper bounds of the closed area, cheapest first; a zone under one (with 0.2 % for
    # the metric CRS's area scale where it is measured there) needs no closing. The closed area
    # lies within the members grown by half the gap (closing shrinks what growing added), so it
    # is at most the sum of the grown members' areas, and at most the area of their union; and
    # it lies within the members' convex hull.
    site_groups = [g for g, grown in zip(site_groups, grown_ha(metric, site_groups, gap_m))
                   if grown * 1.002 > max_ha]
    site_groups = [g for g, hull in zip(site_groups, hull_ha(metric, site_groups))
                   if hull * 1.002 > max_ha]
    dilated = dilation(metric, site_groups, gap_m, cached=closed_cache)
    site_groups = [g for g, ha in zip(site_groups, hectares(dilated)) if not fits(ha, max_ha)]
    geoms = zone_geometry(metric, site_groups, gap_m, cached=closed_cache)
    closed_cache.update({tuple(np.sort(g)): geom for g, geom in zip(site_groups, geoms)})
    over += [g for g, ha in zip(site_groups, hectares(geoms)) if ha > max_ha]
    if not over:
        return labels
    labels = labels.copy()
    next_label = int(labels.max()) + 1
    for g in over:
        zone_units = np.unique(units[g])
        roots = exact_band(zone_units, units, metric, crs, edges, unit_area, unit_sites,
                            max_ha, max_sites, gap_m, forbid)
        labels[zone_units] = next_label + roots
        next_label += len(zone_units)
    return np.unique(labels, return_inverse=True)[1]


def fits(upper_ha: float, max_ha: float) -> bool:
    """An upper bound of a closed area proves the band holds (with 1e-9 for rounding: the
    closing is computed by GEOS, its area may exceed the bound's by the last digits)."""
    return upper_ha * (1.0 + 1e-9) <= max_ha


def _multi_unit_groups(labels: np.ndarray, units: np.ndarray) -> list[np.ndarray]:
    """Site positions of every zone of more than one unit (a zone of one unit needs no
    closing check: its hectares were checked as the unit's)."""
    per_zone = np.bincount(labels, minlength=int(labels.max()) + 1 if len(labels) else 0)
    site_label = labels[units]
    chosen = np.flatnonzero(per_zone[site_label] > 1)
    if not len(chosen):
        return []
    order = chosen[np.argsort(site_label[chosen], kind="stable")]
    bounds = np.flatnonzero(np.diff(site_label[order])) + 1
    return np.split(order, bounds)


def grown_ha(metric: np.ndarray, groups: list[np.ndarray], gap_m: float) -> np.ndarray:
    """Sum over each group of its sites' areas (ha, metric CRS) grown by half the gap, as the
    closing grows them (mitred corners, limit 2)."""
    if not groups:
        return np.empty(0)
    members = np.concatenate(groups)
    grown = _grow(metric[members], gap_m / 2.0)
    zone = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    return np.bincount(zone, weights=shapely.area(grown), minlength=len(groups)) / 10_000.0


def hull_ha(metric: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Area (ha, metric CRS) of the convex hull of each group's sites."""
    if not groups:
        return np.empty(0)
    members = np.concatenate(groups)
    zone = np.repeat(np.arange(len(groups)), [len(g) for g in groups])
    coords, owner = shapely.get_coordinates(metric[members], return_index=True)
    points = shapely.multipoints(coords, indices=zone[owner])
    return shapely.area(shapely.convex_hull(points)) / 10_000.0


def _grow(geoms, half: float):
    """Sites grown by ``half`` (mitred corners, limit 2), as the closing grows them."""
    return shapely.buffer(geoms, half, join_style="mitre", mitre_limit=2.0) if half > 0 \
        else geoms


def _shrink(geom, half: float):
    """The closing's second step: the grown union shrunk by ``half``, made valid."""
    return shapely.make_valid(shapely.buffer(geom, -half, join_style="mitre", mitre_limit=2.0)) \
        if half > 0 else geom


def exact_band(zone_units, units, metric, crs, edges, unit_area, unit_sites, max_ha,
                max_sites, gap_m, forbid) -> np.ndarray:
    """Kruskal within one zone, each join checked on the closed area of the joined zone
    (the closing of the union of two closed zones is the closing of all their sites). The
    union of the grown members is kept per zone; its area bounds the closed area, and only a
    join whose bound exceeds the band is closed and measured. Returns a root number (0…) per
    unit of ``zone_units``."""
    a, b, gaps, cx, cy = edges
    inside = np.isin(a, zone_units) & np.isin(b, zone_units)
    rows, cols = join_order(a[inside], b[inside], gaps[inside], cx, cy, len(unit_area))
    half = gap_m / 2.0
    hectares = projection.area_ha_function(crs)
    inside_sites = np.flatnonzero(np.isin(units, zone_units))
    members = {int(u): inside_sites[units[inside_sites] == u] for u in zone_units}
    grown_sites = np.empty(len(metric), dtype=object)
    grown_sites[inside_sites] = _grow(metric[inside_sites], half)
    outer = _GrownZones([_one_union(grown_sites[m]) for m in members.values()], list(members),
                        hectares)
    sites = _GrownZones([_one_union(metric[m]) for m in members.values()], list(members),
                        hectares)
    uf = UnionFind(unit_area, unit_sites, forbid)

    def closed_fits(ra: int, rb: int) -> bool:
        if fits(outer.bound(ra) + outer.bound(rb), max_ha):
            outer.join(ra, rb)
        else:
            grown = outer.union(ra, rb)
            if not fits(hectares(grown)[0], max_ha):
                # the shrunk union alone is within the closed area: over the band, no need of
                # the sites' union that completes it
                shrunk = _shrink(grown, half)
                if hectares(shrunk)[0] > max_ha:
                    return False
                if hectares(shapely.union(shrunk, sites.union(ra, rb)))[0] > max_ha:
                    return False
            outer.join(ra, rb, grown=grown)
        sites.join(ra, rb)
        members[ra] = np.concatenate([members[ra], members[rb]])  # ra stays the root
        return True

    limit_n = float("inf") if max_sites is None else float(max_sites)
    kruskal(uf, rows, cols, float("inf"), limit_n, accept=closed_fits)
    roots = uf.roots()[zone_units]
    return np.unique(roots, return_inverse=True)[1]


def _one_union(geoms: np.ndarray):
    """The union of ``geoms``; a single geometry as it is."""
    return geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)


class _GrownZones:
    """Each zone's grown members (or its sites) for :func:`exact_band`, as pieces merged only
    when needed, with an upper bound of the hectares of their union (the sum of the pieces'
    hectares): a join whose bound fits the band is taken without a union."""

    def __init__(self, grown: list, roots: list[int], hectares):
        self._hectares = hectares
        areas = hectares(np.asarray(grown, dtype=object)) if grown else []
        self._pieces = {r: [g] for r, g in zip(roots, grown)}
        self._bound = {r: float(ha) for r, ha in zip(roots, areas)}

    def bound(self, root: int) -> float:
        return self._bound[root]

    def _merged(self, root: int):
        pieces = self._pieces[root]
        if len(pieces) > 1:
            merged = shapely.union_all(np.asarray(pieces, dtype=object))
            self._pieces[root] = [merged]
            self._bound[root] = float(self._hectares(merged)[0])
        return self._pieces[root][0]

    def union(self, ra: int, rb: int):
        """The union of both zones' grown members (each zone's pieces merged and kept)."""
        return shapely.union(self._merged(ra), self._merged(rb))

    def join(self, ra: int, rb: int, *, grown=None) -> None:
        """``rb`` joins ``ra``: as pieces, or as their union ``grown`` when it is known."""
        if grown is None:
            self._pieces[ra] = self._pieces[ra] + self._pieces.pop(rb)
            self._bound[ra] += self._bound.pop(rb)
        else:
            self._pieces.pop(rb)
            self._bound.pop(rb)
            self._pieces[ra] = [grown]
            self._bound[ra] = float(self._hectares(grown)[0])


# --- figures and geometry -----------------------------------------------------------------------
def members_of(labels: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, bounds)


def dilation(metric: np.ndarray, groups: list[np.ndarray], gap_m: float, *,
             cached: dict | None = None) -> np.ndarray:
    """Union of each group's sites grown by half the gap (the closing's first step), kept in
    ``cached`` under ``("grown", gap_m, *sorted positions)`` so that it is computed once."""
    half = gap_m / 2.0
    out = np.empty(len(groups), dtype=object)
    keys = [("grown", float(gap_m), *np.sort(g).tolist()) for g in groups]
    todo = [k for k, key in enumerate(keys) if not (cached and key in cached)]
    for k, key in enumerate(keys):
        if k not in todo:
            out[k] = cached[key]
    if todo:
        grown = _grow(metric[np.concatenate([groups[k] for k in todo])], half)
        start = 0
        for k in todo:
            size = len(groups[k])
            out[k] = shapely.union_all(grown[start:start + size])
            start += size
            if cached is not None:
                cached[keys[k]] = out[k]
    return out


def zone_geometry(metric: np.ndarray, groups: list[np.ndarray], gap_m: float, *,
                   cached: dict | None = None) -> np.ndarray:
    """Union of each zone's sites, closed over the gap (metric CRS).

    Morphological closing: grow every site by half the gap, merge, shrink by the same amount,
    with mitred corners (limit 2) so that the strip between two sites less than ``gap_m`` apart
    becomes part of the remediation area. Single-site zones are the site itself.
    """
    half = gap_m / 2.0
    out = np.empty(len(groups), dtype=object)
    multi = []
    for k, g in enumerate(groups):
        known = cached.get(tuple(np.sort(g))) if cached else None
        if known is not None and len(g) > 1:
            out[k] = known
        elif len(g) > 1:
            multi.append(k)
        else:
            out[k] = metric[g[0]]
    if multi and half > 0:
        merged = dilation(metric, [groups[k] for k in multi], gap_m, cached=cached)
        for k, grown in zip(multi, merged):
            # erosion can shave a corner off an acute site: the zone always covers its sites
            out[k] = shapely.union(_shrink(grown, half), _sites_union(metric, groups[k], cached))
    elif multi:
        for k in multi:
            out[k] = _sites_union(metric, groups[k], cached)
    return out


def _sites_union(metric: np.ndarray, group: np.ndarray, cached: dict | None):
    """The union of a zone's sites, kept in ``cached`` under the key the zone figures read
    (``("sites_ha", *sorted positions)``) so that it is computed once."""
    key = ("sites_ha", *np.sort(group).tolist())
    if cached is not None and key in cached:
        return cached[key]
    union = shapely.union_all(metric[group])
    if cached is not None:
        cached[key] = union
    return union
