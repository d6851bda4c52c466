"""The neighbour graph of sites: who touches whom, or lies within ``gap_m`` metres.

>>> graph = og.adjacency.neighbour_graph(sites, gap_m=500)
>>> graph.edges.head()            # site_a, site_b, gap_m, shared_m, source
>>> graph = graph.remove_link("SYN-M0001", "SYN-M0002").add_link("SYN-M0003", "SYN-P0009")

Distances are measured in the project's metric CRS (``settings.metric_crs``), with a spatial index
(shapely ``STRtree``): never all pairs. A :class:`NeighbourGraph` is a plain value: its ``edges``
table can be inspected, edited, saved (``to_csv``) and read back (:func:`graph_from_edges`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from ..core import projection

__all__ = ["NeighbourGraph", "neighbour_graph", "graph_from_edges", "EDGE_COLUMNS"]

log = logging.getLogger("ordos_geo")

EDGE_COLUMNS = ["site_a", "site_b", "gap_m", "shared_m", "overlap", "source"]
#: Two boundaries closer than this (m) count as shared (coordinates rarely coincide after
#: reprojection).
SHARED_TOLERANCE_M = 1.0


@dataclass(frozen=True)
class NeighbourGraph:
    """Sites (``site_ids``, in the order of the sites frame) and undirected ``edges``.

    ``edges`` columns: ``site_a`` < ``site_b`` (site ids), ``gap_m`` (0 when they touch or
    overlap), ``shared_m`` (length of the boundary two adjacent, non-overlapping sites share, m),
    ``overlap`` (their interiors overlap, e.g. a pit inside its mine), ``source`` (``computed``,
    ``manual``, or ``mine_id`` for a parcel's link to its mine).
    """

    site_ids: tuple[str, ...]
    edges: pd.DataFrame
    gap_m: float
    _ends: tuple | None = field(default=None, repr=False, compare=False)

    @property
    def _pos(self) -> dict[str, int]:
        cached = self.__dict__.get("_pos_cache")
        if cached is None:
            cached = {s: i for i, s in enumerate(self.site_ids)}
            object.__setattr__(self, "_pos_cache", cached)
        return cached

    @property
    def n_sites(self) -> int:
        return len(self.site_ids)

    def __repr__(self) -> str:
        return (f"NeighbourGraph({self.n_sites} sites, {len(self.edges)} links, "
                f"gap_m={self.gap_m:g})")

    def positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Edge end points as positions into ``site_ids`` (row order of the sites frame)."""
        if self._ends is not None:
            return self._ends
        a = self.edges["site_a"].map(self._pos).to_numpy(dtype=np.int64)
        b = self.edges["site_b"].map(self._pos).to_numpy(dtype=np.int64)
        object.__setattr__(self, "_ends", (a, b))
        return a, b

    def to_scipy(self, weight: str | None = None) -> sparse.csr_matrix:
        """Symmetric sparse adjacency matrix (1 per link, or the ``weight`` column)."""
        a, b = self.positions()
        w = np.ones(len(a)) if weight is None else self.edges[weight].to_numpy(dtype=float)
        n = self.n_sites
        m = sparse.coo_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        return m.tocsr()

    def neighbours(self, site_id: str) -> list[str]:
        """Site ids linked to ``site_id``."""
        e = self.edges
        return sorted(set(e.loc[e["site_a"] == site_id, "site_b"])
                      | set(e.loc[e["site_b"] == site_id, "site_a"]))

    def add_link(self, a: str, b: str, *, gap_m: float = float("nan"),
                 source: str = "manual") -> "NeighbourGraph":
        """A new graph with a link between sites ``a`` and ``b`` (planner's decision)."""
        for s in (a, b):
            if s not in self._pos:
                raise KeyError(f"Unknown site {s!r}; not in this graph.")
        lo, hi = sorted((a, b))
        row = pd.DataFrame([{"site_a": lo, "site_b": hi, "gap_m": gap_m, "shared_m": 0.0,
                             "overlap": False, "source": source}])
        edges = pd.concat([self._without(lo, hi), row], ignore_index=True)
        return NeighbourGraph(self.site_ids, _sort(edges), self.gap_m)

    def remove_link(self, a: str, b: str) -> "NeighbourGraph":
        """A new graph without the link between ``a`` and ``b`` (KeyError if there is none)."""
        lo, hi = sorted((a, b))
        kept = self._without(lo, hi)
        if len(kept) == len(self.edges):
            raise KeyError(f"There is no link between {a!r} and {b!r}.")
        return NeighbourGraph(self.site_ids, kept, self.gap_m)

    def _without(self, lo: str, hi: str) -> pd.DataFrame:
        e = self.edges
        return e[~((e["site_a"] == lo) & (e["site_b"] == hi))].reset_index(drop=True)

    def subgraph_edges(self, keep: pd.Series | np.ndarray, *,
                       gap_m: float | None = None) -> "NeighbourGraph":
        """A new graph with only the links where ``keep`` is True (and, when given, the smaller
        ``gap_m`` those links were chosen by)."""
        keep = np.asarray(keep, dtype=bool)
        ends = None if self._ends is None else (self._ends[0][keep], self._ends[1][keep])
        return NeighbourGraph(self.site_ids, self.edges[keep].reset_index(drop=True),
                              self.gap_m if gap_m is None else float(gap_m), ends)


def _sort(edges: pd.DataFrame) -> pd.DataFrame:
    return edges.sort_values(["site_a", "site_b"], kind="stable").reset_index(drop=True)


def neighbour_graph(sites: gpd.GeoDataFrame, *, gap_m: float = 500.0,
                    link_parcels: bool = True) -> NeighbourGraph:
    """Link sites that touch or lie within ``gap_m`` metres of each other (metric CRS).

    ``sites`` needs ``site_id`` (unique) and a CRS. With ``link_parcels`` a pit, dump or other
    parcel is also linked to its mine (``mine_id``) whatever the distance (``source='mine_id'``).
    """
    if not gap_m >= 0:
        raise ValueError(f"gap_m must be a number ≥ 0, got {gap_m!r}.")
    ids = sites["site_id"].astype(str).to_numpy()
    if len(set(ids)) != len(ids):
        dup = pd.Series(ids)[pd.Series(ids).duplicated()].iloc[0]
        raise ValueError(f"site_id {dup!r} is not unique; validate the sites first.")
    metric = np.asarray(projection.to_metric(sites.geometry).values)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))  # order of the ids as text
    i, j, gaps = _pairs_within(metric, rank, gap_m)
    overlap, shared = _contact(metric, i, j, gaps)
    order = np.lexsort((rank[j], rank[i]))
    i, j = i[order], j[order]
    edges = pd.DataFrame({"site_a": ids[i], "site_b": ids[j], "gap_m": np.round(gaps[order], 3),
                          "shared_m": np.round(shared[order], 3), "overlap": overlap[order],
                          "source": "computed"})
    graph = NeighbourGraph(tuple(ids), edges, float(gap_m), (i, j))
    if link_parcels and "mine_id" in sites.columns:
        graph = _link_parcels(graph, sites)
    log.info("neighbour graph: %d sites, %d links within %g m", graph.n_sites, len(graph.edges),
             gap_m)
    return graph


def _pairs_within(metric: np.ndarray, rank: np.ndarray, gap_m: float
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every unordered pair (``rank[i] < rank[j]``) at most ``gap_m`` apart, with its distance.

    The index is asked for the sites whose bounding boxes, grown by the gap, meet (a superset:
    two sites within the gap are within it along x and along y); the distance is then computed
    once per unordered pair. A ``dwithin`` query would test each pair twice, once from each
    side, and the graph needs the distance anyway.
    """
    b = shapely.bounds(metric)
    boxes = shapely.box(b[:, 0] - gap_m, b[:, 1] - gap_m, b[:, 2] + gap_m, b[:, 3] + gap_m)
    i, j = shapely.STRtree(metric).query(boxes)
    keep = rank[i] < rank[j]
    i, j = i[keep], j[keep]
    gaps = shapely.distance(metric[i], metric[j])
    keep = gaps <= gap_m
    return i[keep], j[keep], gaps[keep]


def _contact(metric: np.ndarray, i: np.ndarray, j: np.ndarray, gaps: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Which pairs overlap, and how much boundary the adjacent (touching) ones share."""
    overlap = np.zeros(len(i), dtype=bool)
    shared = np.zeros(len(i))
    close = np.flatnonzero(gaps <= SHARED_TOLERANCE_M)
    if not len(close):
        return overlap, shared
    # interiors meet (DE-9IM 'T********'): they intersect (distance 0) and do not only touch;
    # the first of each pair is prepared for the test and released after
    meet = close[gaps[close] == 0]
    first = np.unique(i[meet])
    fresh = first[~shapely.is_prepared(metric[first])]
    shapely.prepare(metric[fresh])
    try:
        overlap[meet] = ~shapely.touches(metric[i[meet]], metric[j[meet]])
    finally:
        shapely.destroy_prepared(metric[fresh])
    adjacent = close[~overlap[close]]
    if len(adjacent):
        band = shapely.buffer(metric[j[adjacent]], SHARED_TOLERANCE_M, quad_segs=2)
        shared[adjacent] = shapely.length(
            shapely.intersection(shapely.boundary(metric[i[adjacent]]), band))
    return overlap, shared


def _link_parcels(graph: NeighbourGraph, sites: gpd.GeoDataFrame) -> NeighbourGraph:
    """Mark (or add) the link of every parcel to its mine (``mine_id``)."""
    ids = np.asarray(graph.site_ids, dtype=object)
    mine_ids = sites["mine_id"].to_numpy(dtype=object)
    pos = graph._pos
    parcel = np.array([m is not None and m == m and str(m) in pos and str(m) != s
                       for m, s in zip(mine_ids, ids)], dtype=bool)
    if not parcel.any():
        return graph
    p = np.flatnonzero(parcel)
    q = np.array([pos[str(m)] for m in mine_ids[p]], dtype=np.int64)
    swap = ids[q] < ids[p]
    pa, pb = np.where(swap, q, p), np.where(swap, p, q)  # positions, site_a < site_b as text
    lo, hi = ids[pa], ids[pb]
    key = pd.MultiIndex.from_arrays([lo, hi])
    edges = graph.edges.copy()
    have = pd.MultiIndex.from_frame(edges[["site_a", "site_b"]])
    edges.loc[have.isin(key), "source"] = "mine_id"
    new = ~key.isin(have)
    extra = pd.DataFrame({"site_a": lo[new], "site_b": hi[new], "gap_m": np.nan, "shared_m": 0.0,
                          "overlap": False, "source": "mine_id"})
    a, b = graph.positions()
    a, b = np.r_[a, pa[new]], np.r_[b, pb[new]]
    # sorted by (site_a, site_b) as text, as _sort does, keeping the positions in step
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    order = np.lexsort((rank[b], rank[a]))
    table = pd.concat([edges, extra], ignore_index=True).iloc[order].reset_index(drop=True)
    return NeighbourGraph(graph.site_ids, table, graph.gap_m, (a[order], b[order]))


def graph_from_edges(sites: gpd.GeoDataFrame | pd.Series, edges: pd.DataFrame, *,
                     gap_m: float = float("nan")) -> NeighbourGraph:
    """Rebuild a graph from a saved edges table (columns ``site_a``, ``site_b``, …)."""
    ids = (sites["site_id"] if isinstance(sites, pd.DataFrame) else sites).astype(str)
    missing = set(edges["site_a"]).union(edges["site_b"]) - set(ids)
    if missing:
        raise KeyError(f"The edges name sites that are not in the sites table: {sorted(missing)[:5]}")
    table = edges.copy()
    for col, default in (("gap_m", np.nan), ("shared_m", 0.0), ("overlap", False),
                         ("source", "manual")):
        if col not in table.columns:
            table[col] = default
    lo = np.minimum(table["site_a"].astype(str), table["site_b"].astype(str))
    hi = np.maximum(table["site_a"].astype(str), table["site_b"].astype(str))
    table["site_a"], table["site_b"] = lo, hi
    table = table.drop_duplicates(["site_a", "site_b"])[EDGE_COLUMNS]
    return NeighbourGraph(tuple(ids), _sort(table), float(gap_m))
