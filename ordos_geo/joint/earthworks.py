"""Cut–fill balancing between the mines of a zone (联合治理): dumps supply fill, pits to be
backfilled demand it, and the hauls are chosen to move the least m³·km.

>>> result = og.earthworks.balance(supply, demand=demand, distance_m=distance_m, haul_limit_m=5000)
>>> result.flows            # from, to, volume_m3, distance_m, m3km

A transportation linear programme solved by HiGHS (``scipy.optimize.linprog``), by column
generation — each dump's and pit's nearest hauls first, then every haul that would lower the
cost, until none would (exact, and fast on 500 × 500):
minimise Σ volume × distance (km) + borrow × ``borrow_cost_km`` + spoil × ``spoil_cost_km``,
where every pit's demand is met by dumps or by borrow from outside, and every dump's supply goes
to pits or to an outside spoil site; a haul longer than ``haul_limit_m`` is not allowed. Outside
borrow and spoil are priced as hauls of the given kilometres, so with no limit and costs above
every distance the result balances as much as the volumes allow. ``separate_m3km`` prices the
same work done by each mine alone (its own dump fills its own pit, the rest borrowed or spoiled),
under the same haul limit — so the joint plan is never dearer than each mine alone (it may do
what they do); ``saving_pct`` is what the joint plan saves. A problem that cannot be solved (a pit out of reach
of every dump and no borrow) is explained, not raised as a solver error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.errors import ValidationError
from ..core.messages import msg
from ..core.utils import keywords_after

__all__ = ["balance", "Balance", "FLOW_COLUMNS", "retention", "zone_balances", "flow_lines",
           "ZONE_COLUMNS",
           "RETENTION_COLUMNS"]

FLOW_COLUMNS = ["from_site_id", "to_site_id", "volume_m3", "distance_m", "m3km"]


@dataclass(frozen=True)
class Balance:
    """The flows (:data:`FLOW_COLUMNS`; ``from``/``to`` ``outside`` for borrow and spoil), what
    stays unbalanced (borrowed, spoiled), and the comparison with each mine alone."""

    flows: pd.DataFrame
    borrowed_m3: float
    spoiled_m3: float
    joint_m3km: float
    separate_m3km: float

    @property
    def saving_pct(self) -> float:
        if not self.separate_m3km:
            return 0.0
        return 100.0 * (self.separate_m3km - self.joint_m3km) / self.separate_m3km

    @property
    def unbalanced_m3(self) -> float:
        return self.borrowed_m3 + self.spoiled_m3


@keywords_after(1, ("demand", "distance_m"))
def balance(supply: pd.Series, *, demand: pd.Series, distance_m: pd.DataFrame,
            haul_limit_m: float | None = None, borrow_cost_km: float = 20.0,
            spoil_cost_km: float = 20.0, owner: pd.Series | None = None,
            outside: bool = True) -> Balance:
    """Balance ``supply`` (m³ of each dump, indexed by site id) against ``demand`` (m³ of each
    pit) over ``distance_m`` (rows dumps, columns pits, metres). ``owner`` (mine of each site)
    defines "each mine alone" for the comparison (default: every site its own mine). With
    ``outside=False`` nothing may be borrowed or spoiled outside the zone."""

    s = supply[supply > 0].astype(float)
    d = demand[demand > 0].astype(float)
    dist = distance_m.reindex(index=s.index, columns=d.index).to_numpy(dtype=float)
    if np.isnan(dist).any() or (dist < 0).any():
        raise ValidationError(msg("earthworks_distances"))
    ns, nd = len(s), len(d)
    allowed = np.ones((ns, nd), dtype=bool) if haul_limit_m is None else dist <= haul_limit_m
    res, pairs = _solve(dist / 1000.0, allowed, s.to_numpy(), d.to_numpy(), borrow_cost_km,
                        spoil_cost_km, outside)
    x, nx = res.x, len(pairs)
    used = np.flatnonzero(x[:nx] > 1e-6)
    flows = [{"from_site_id": s.index[i], "to_site_id": d.index[j], "volume_m3": x[k],
              "distance_m": dist[i, j]} for k, (i, j) in zip(used, pairs[used])]
    flows += [{"from_site_id": "outside", "to_site_id": d.index[j], "volume_m3": x[nx + j],
               "distance_m": borrow_cost_km * 1000.0} for j in range(nd) if x[nx + j] > 1e-6]
    flows += [{"from_site_id": s.index[i], "to_site_id": "outside", "volume_m3": x[nx + nd + i],
               "distance_m": spoil_cost_km * 1000.0} for i in range(ns)
              if x[nx + nd + i] > 1e-6]
    table = pd.DataFrame(flows, columns=FLOW_COLUMNS[:-1])
    table["m3km"] = table["volume_m3"] * table["distance_m"] / 1000.0
    return Balance(table[FLOW_COLUMNS], float(x[nx:nx + nd].sum()),
                   float(x[nx + nd:].sum()), float(res.fun),
                   _separate(s, d, dist, owner, borrow_cost_km, spoil_cost_km, haul_limit_m))


#: Hauls offered to the programme at first, per dump and per pit (the nearest ones); more are
#: added while any other would lower the cost (column generation), so the optimum is exact.
CANDIDATES = 12


def _programme(cost_km, pairs, supply, demand, borrow, spoil, outside):
    """The transportation programme over the haul ``pairs``, solved by HiGHS."""
    from scipy import sparse
    from scipy.optimize import linprog

    ns, nd, nx = len(supply), len(demand), len(pairs)
    cost = np.r_[cost_km[pairs[:, 0], pairs[:, 1]], np.full(nd, borrow), np.full(ns, spoil)]
    # dump i: hauls + spoil = supply; pit j: hauls + borrow = demand (sparse)
    rows = np.r_[pairs[:, 0], ns + pairs[:, 1], ns + np.arange(nd), np.arange(ns)]
    cols = np.r_[np.arange(nx), np.arange(nx), nx + np.arange(nd), nx + nd + np.arange(ns)]
    a_eq = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(ns + nd, nx + nd + ns))
    bounds = [(0, None)] * nx + [(0, None if outside else 0)] * (nd + ns)
    return linprog(cost, A_eq=a_eq, b_eq=np.r_[supply, demand], bounds=bounds, method="highs")


def _solve(cost_km, allowed, supply, demand, borrow, spoil, outside):
    """The optimum over every allowed haul, by column generation: start from each dump's and
    each pit's nearest hauls, add every haul whose reduced cost (cost − dual of its dump − dual
    of its pit) is negative, until none is — then no allowed haul can lower the cost."""
    ns, nd = cost_km.shape
    masked = np.where(allowed, cost_km, np.inf)
    offer = np.zeros_like(allowed)
    k = min(CANDIDATES, nd)
    if k:
        rows = np.argpartition(masked, k - 1, axis=1)[:, :k]
        offer[np.repeat(np.arange(ns), k), rows.ravel()] = True
    k = min(CANDIDATES, ns)
    if k:
        cols = np.argpartition(masked, k - 1, axis=0)[:k, :]
        offer[cols.ravel(), np.tile(np.arange(nd), k)] = True
    offer &= allowed
    while True:
        pairs = np.argwhere(offer)
        res = _programme(cost_km, pairs, supply, demand, borrow, spoil, outside)
        if res.status != 0:
            if not outside and (allowed & ~offer).any():
                offer = allowed.copy()  # infeasible with the offer: try every allowed haul
                continue
            raise ValidationError(msg("earthworks_infeasible", reason=res.message))
        dual = res.eqlin.marginals
        reduced = cost_km - dual[:ns, None] - dual[None, ns:]
        better = allowed & ~offer & (reduced < -1e-9)
        if not better.any():
            return res, pairs
        # add, per dump, its few most negative hauls (all of them would swamp the programme
        # while the first duals are still rough)
        score = np.where(better, reduced, np.inf)
        k = min(CANDIDATES, nd)
        top = np.argpartition(score, k - 1, axis=1)[:, :k]
        pick = np.zeros_like(better)
        pick[np.repeat(np.arange(ns), k), top.ravel()] = True
        offer |= pick & better


def _separate(s: pd.Series, d: pd.Series, dist: np.ndarray, owner: pd.Series | None,
              borrow_km: float, spoil_km: float, haul_limit_m: float | None = None) -> float:
    """m³·km when each mine balances alone: its dumps fill its own pits (nearest first, by the
    same programme restricted to the mine, under the same haul limit), the rest borrowed or
    spoiled."""
    own_s = (owner.reindex(s.index) if owner is not None else pd.Series(s.index, index=s.index))
    own_d = (owner.reindex(d.index) if owner is not None else pd.Series(d.index, index=d.index))
    total = 0.0
    for mine in set(own_s.dropna()) | set(own_d.dropna()):
        si, dj = np.flatnonzero(own_s.to_numpy() == mine), np.flatnonzero(own_d.to_numpy() == mine)
        if len(si) and len(dj):
            part = balance(s.iloc[si], demand=d.iloc[dj],
                           distance_m=pd.DataFrame(dist[np.ix_(si, dj)], index=s.index[si],
                                                   columns=d.index[dj]),
                           haul_limit_m=haul_limit_m, borrow_cost_km=borrow_km,
                           spoil_cost_km=spoil_km)
            total += part.joint_m3km
        else:
            total += s.iloc[si].sum() * spoil_km + d.iloc[dj].sum() * borrow_km
    unowned = own_d.isna().to_numpy()
    total += d.to_numpy()[unowned].sum() * borrow_km
    total += s.to_numpy()[own_s.isna().to_numpy()].sum() * spoil_km
    return float(total)


# --- a zone's plan from the terrain -------------------------------------------------------------
ZONE_COLUMNS = ["zone_id", "supply_m3", "demand_m3", "retained_m3", "joint_m3km",
                "separate_m3km", "saving_pct", "unbalanced_m3", "borrowed_m3", "spoiled_m3",
                "not_significant", "incomplete"]
RETENTION_COLUMNS = ["site_id", "zone_id", "pit_volume_m3", "mean_depth_m", "area_ha",
                     "town_km", "retained", "explanation"]


def rules() -> dict:
    """The joint-remediation table (``resources/earthworks.yaml``), checked against its schema."""
    from ..core.yaml_tables import load_table

    return load_table("earthworks")


@keywords_after(1, ("terrain", "zone_of"))
def retention(sites, *, terrain: pd.DataFrame, zone_of: pd.Series,
              table: dict | None = None) -> pd.DataFrame:
    """Final-pit retention (尾坑留置) of every pit (:data:`RETENTION_COLUMNS`): kept as a water
    body or landscape when its mean depth, area and distance to the nearest town meet the rule
    (``resources/earthworks.yaml``), else backfilled; each decision explained."""
    from ..core import projection
    from ..io import datasets

    spec = (table or rules())["retention"]
    pits = sites[sites["kind"] == "pit"]
    metric = projection.to_metric(pits.geometry)
    towns = datasets.places()
    towns = projection.to_metric(towns[towns["kind"].str.startswith("populated place")].geometry)
    town_km = np.array([towns.distance(g).min() / 1000.0 for g in metric]) if len(towns) \
        else np.full(len(pits), np.nan)
    t = terrain.set_index("site_id")
    ids = pits["site_id"].astype(str)
    volume = ids.map(t["pit_volume_m3"]).to_numpy(dtype=float)
    area = projection.area_ha(pits).to_numpy()
    depth = volume / np.maximum(area * 10_000.0, 1e-9)
    checks = [(depth >= spec["min_mean_depth_m"], "mean_depth", depth, spec["min_mean_depth_m"],
               "m", ">="),
              (area >= spec["min_area_ha"], "area", area, spec["min_area_ha"], "ha", ">="),
              (town_km <= spec["max_town_km"], "town", town_km, spec["max_town_km"], "km", "<=")]
    keep = np.all([c[0] for c in checks], axis=0) & np.isfinite(volume)
    text = []
    for k in range(len(pits)):
        parts = [msg(f"retain_{name}", value=f"{value[k]:.1f}", limit=f"{limit:g}",
                     ok=("✓" if ok[k] else "✗")) for ok, name, value, limit, _, _ in checks]
        text.append(msg("retain_keep" if keep[k] else "retain_fill", reasons="，".join(parts)))
    return pd.DataFrame({"site_id": ids.to_numpy(), "zone_id": ids.map(zone_of).to_numpy(),
                         "pit_volume_m3": volume, "mean_depth_m": depth, "area_ha": area,
                         "town_km": town_km, "retained": keep, "explanation": text})


@keywords_after(1, ("terrain", "zone_of"))
def zone_balances(sites, *, terrain: pd.DataFrame, zone_of: pd.Series,
                  table: dict | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Per zone, dumps (supply: their dump volume) against pits to backfill (demand: their
    void, unless retained), hauls measured between the parcels' centres in the metric CRS.
    Only volumes the terrain measured (``volume_status`` complete or filled) and that stand
    out of the DEM's noise (``pit_significant`` / ``dump_significant``) are balanced; the pits
    and dumps left out are named per zone (``incomplete``, ``not_significant``), never dropped
    silently. Returns ``(flows with zone_id, zones table (ZONE_COLUMNS), retention table)``."""
    from ..core import projection

    spec = table or rules()
    kept = retention(sites, terrain=terrain, zone_of=zone_of, table=spec)
    ids = sites["site_id"].astype(str)
    centre = projection.to_metric(sites.geometry).centroid.set_axis(ids.to_numpy())
    owner = pd.Series(sites["mine_id"].where(sites["mine_id"].notna(), ids).astype(str).to_numpy()
                      if "mine_id" in sites else ids.to_numpy(), index=ids.to_numpy())
    zone = ids.map(zone_of).set_axis(ids.to_numpy())
    kind = sites["kind"].set_axis(ids.to_numpy())
    usable = _usable(terrain)
    retained = set(kept.loc[kept["retained"], "site_id"])
    flows, rows = [], []
    for zone_id in sorted(zone.dropna().unique()):
        members = [m for m in zone.index[zone == zone_id] if kind[m] in ("pit", "dump")]
        row, flow = _zone(zone_id, members, kind, usable, retained, centre, owner, spec["haul"])
        if row is not None:
            rows.append(row)
            flows.append(flow)
    flow_table = pd.concat(flows, ignore_index=True) if flows else \
        pd.DataFrame(columns=[*FLOW_COLUMNS, "zone_id"])
    flow_table = flow_table[["zone_id", *FLOW_COLUMNS]]
    return flow_table, pd.DataFrame(rows, columns=ZONE_COLUMNS), kept


def _usable(terrain: pd.DataFrame) -> pd.DataFrame:
    """Per site: its pit and dump volumes where usable (NaN where not) and why not."""
    t = terrain.set_index("site_id")
    status = t["volume_status"] if "volume_status" in t else \
        pd.Series("complete", index=t.index)
    measured = status.isin(["complete", "filled"]) & t["pit_volume_m3"].notna()
    out = pd.DataFrame(index=t.index)
    for part in ("pit", "dump"):
        significant = t[f"{part}_significant"].astype(bool) if f"{part}_significant" in t else \
            t[f"{part}_volume_m3"] > 0
        out[part] = t[f"{part}_volume_m3"].where(measured & significant)
        out[f"{part}_noise"] = measured & ~significant
    out["incomplete"] = ~measured
    return out


def _zone(zone_id, members, kind, usable, retained, centre, owner, haul):
    """One zone's row of :data:`ZONE_COLUMNS` and its flows (None, None: nothing to say)."""
    incomplete = [m for m in members if usable.loc[m, "incomplete"]]
    noise = [m for m in members if m not in incomplete and
             usable.loc[m, "pit_noise" if kind[m] == "pit" else "dump_noise"]]
    dumps = [m for m in members if kind[m] == "dump" and usable.loc[m, "dump"] > 0]
    pits = [m for m in members if kind[m] == "pit" and m not in retained and
            usable.loc[m, "pit"] > 0]
    held = float(sum(usable.loc[m, "pit"] for m in members if kind[m] == "pit" and
                     m in retained and np.isfinite(usable.loc[m, "pit"])))
    if not dumps and not pits and not incomplete and not noise:
        return None, None
    supply = usable.loc[dumps, "dump"] if dumps else pd.Series(dtype=float)
    demand = usable.loc[pits, "pit"] if pits else pd.Series(dtype=float)
    dist = pd.DataFrame([[centre[a].distance(centre[b]) for b in pits] for a in dumps],
                        index=dumps, columns=pits)
    result = balance(supply, demand=demand, distance_m=dist, haul_limit_m=haul["limit_m"],
                     borrow_cost_km=haul["borrow_cost_km"], spoil_cost_km=haul["spoil_cost_km"],
                     owner=owner) if dumps or pits else \
        Balance(pd.DataFrame(columns=FLOW_COLUMNS), 0.0, 0.0, 0.0, 0.0)
    row = {"zone_id": zone_id, "supply_m3": float(supply.sum()), "demand_m3": float(demand.sum()),
           "retained_m3": held, "joint_m3km": result.joint_m3km,
           "separate_m3km": result.separate_m3km, "saving_pct": result.saving_pct,
           "unbalanced_m3": result.unbalanced_m3, "borrowed_m3": result.borrowed_m3,
           "spoiled_m3": result.spoiled_m3, "not_significant": ";".join(noise),
           "incomplete": ";".join(incomplete)}
    return row, result.flows.assign(zone_id=zone_id)


@keywords_after(1, ("sites",))
def flow_lines(flows: pd.DataFrame, *, sites):
    """The hauls between sites (``outside`` ones left out) as lines between the sites' centres,
    in the metric CRS, with the flow's columns."""
    import geopandas as gpd
    import shapely

    from ..core import projection

    centre = projection.to_metric(sites.geometry).centroid.set_axis(
        sites["site_id"].astype(str).to_numpy())
    inside = flows[(flows["from_site_id"] != "outside") & (flows["to_site_id"] != "outside")]
    lines = [shapely.LineString([centre[a], centre[b]])
             for a, b in zip(inside["from_site_id"], inside["to_site_id"])]
    return gpd.GeoDataFrame(inside.reset_index(drop=True), geometry=lines, crs=centre.crs)
