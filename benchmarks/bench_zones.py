"""Zoning benchmark: graph + zones (size band included) on 1k/10k/100k clustered synthetic sites
(0.1–30 km² each, clustered around the real GCMT mine points), gap 500 m, band 5,000 ha.

Side by side in one run, each case in a fresh process (wall time, peak memory):
* ``floor``  – a bare shapely ``STRtree.query(..., predicate="dwithin", distance=500)`` over the
  sites already in the metric CRS: the spatial-index query any graph needs.
* ``floor: box query + distance`` – the cheapest bare route to the same pairs, as the graph
  takes it since 0.3: one index query with the bounding boxes grown by the gap (no predicate),
  then one ``shapely.distance`` per unordered candidate pair, kept when ≤ 500 m. A ``dwithin``
  query tests every pair from both sides; this floor does not, so it is the tighter one (column
  ``x pair floor``).
* ``ordos_geo graph`` – ``og.adjacency.neighbour_graph`` (reprojection, query, gaps, overlaps,
  shared boundary lengths, parcel links).
* ``ordos_geo graph+zones`` – graph + ``og.zones.zone_members`` with the size band: the target.
  Since 0.2 the band bounds a zone's closed remediation area (``area_ha``), so zones near
  the band are closed over the gap to check it (their closings are reused by
  ``build_zones``); zones whose grown members or convex hull fit are not closed.
* ``ordos_geo build_zones`` – the same plus zone figures, priority areas and the closed zone
  geometry (what the CLI writes).
* ``ordos_geo Planner …`` – interactive re-zoning in a notebook: ``og.zones.Planner(sites)``
  with its graph built (and the zones of 500 m made) before the clock starts; then zones for a
  gap not tried before, zones for a gap tried before (its closings kept), and ``sensitivity``
  over 10 gaps (100–1,000 m) from the kept graph.
* ``libpysal`` – ``fuzzy_contiguity(buffer=250)`` (buffers of 250 m meet ⇔ within 500 m) and
  connected components: a graph without gaps, shared lengths, size band or rules.
* ``spopt SKATER`` (1k and 10k) – contiguity-constrained regions on the libpysal graph of the
  *largest connected component* (SKATER on the whole graph turns each of the hundreds of isolated
  groups into a region and did not finish in 20 minutes at 1k), asked for as many regions as
  ordos_geo made in that component (SKATER has no upper area bound). Stopped after
  ``--skater-timeout`` seconds.
"""

from __future__ import annotations

import argparse
import subprocess

from _harness import run_case, write_markdown

SETUP = """
import numpy as np, shapely, ordos_geo as og
og.settings.progress = False
sites = og.synthetic.clustered_sites({n})
metric = og.projection.to_metric(sites)
"""
CASES = {
    "floor: STRtree dwithin": (
        "g = np.asarray(metric.geometry.values)",
        "i, j = shapely.STRtree(g).query(g, predicate='dwithin', distance=500)"),
    "floor: box query + distance": (
        "g = np.asarray(metric.geometry.values)",
        "b = shapely.bounds(g)\n"
        "q = shapely.box(b[:, 0] - 500, b[:, 1] - 500, b[:, 2] + 500, b[:, 3] + 500)\n"
        "i, j = shapely.STRtree(g).query(q)\n"
        "i, j = i[i < j], j[i < j]\n"
        "d = shapely.distance(g[i], g[j])\n"
        "i, j = i[d <= 500], j[d <= 500]"),
    "ordos_geo graph": ("", "graph = og.adjacency.neighbour_graph(sites, gap_m=500)"),
    "ordos_geo graph+zones": ("", (
        "graph = og.adjacency.neighbour_graph(sites, gap_m=500)\n"
        "labels, _ = og.zones.zone_members(sites, graph, max_zone_ha=5000)")),
    "ordos_geo build_zones": ("", "result = og.zones.build_zones(sites, gap_m=500, max_zone_ha=5000)"),
    "ordos_geo Planner re-zoning, a new gap": (
        "plan = og.zones.Planner(sites)\nplan.zones(gap_m=500, max_zone_ha=5000)\n"
        "gaps = iter([450, 400, 350, 300, 250])",
        "result = plan.zones(gap_m=next(gaps), max_zone_ha=5000)"),
    "ordos_geo Planner re-zoning, a gap tried before": (
        "plan = og.zones.Planner(sites)\nplan.zones(gap_m=300, max_zone_ha=5000)\n"
        "plan.zones(gap_m=500, max_zone_ha=5000)",
        "result = plan.zones(gap_m=300, max_zone_ha=5000)"),
    "ordos_geo Planner sensitivity, 10 gaps": (
        "plan = og.zones.Planner(sites)",
        "table = plan.sensitivity(gaps=range(100, 1001, 100), max_zone_ha=5000)"),
    "libpysal fuzzy+components": (
        "from libpysal.weights import fuzzy_contiguity\n"
        "from scipy.sparse.csgraph import connected_components",
        "w = fuzzy_contiguity(metric, buffering=True, buffer=250)\n"
        "n_comp, comp = connected_components(w.sparse, directed=False)"),
    "spopt SKATER (largest component)": (
        "from libpysal.weights import fuzzy_contiguity\n"
        "from scipy.sparse.csgraph import connected_components\n"
        "from spopt.region import Skater\n"
        "w = fuzzy_contiguity(metric, buffering=True, buffer=250)\n"
        "comp = connected_components(w.sparse, directed=False)[1]\n"
        "big = comp == np.bincount(comp).argmax()\n"
        "labels = og.zones.zone_members(sites, max_zone_ha=5000)[0]\n"
        "k = len(np.unique(labels[big]))\n"
        "sub = metric[big].reset_index(drop=True)\n"
        "c = sub.geometry.centroid\n"
        "sub['cx'], sub['cy'] = c.x, c.y\n"
        "ws = fuzzy_contiguity(sub, buffering=True, buffer=250)\n"
        "print('SKATER sub-problem:', len(sub), 'sites,', k, 'regions', flush=True)",
        "model = Skater(sub, ws, ['cx', 'cy'], n_clusters=k)\n"
        "model.solve()"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skater-max", type=int, default=10_000, help="largest n for SKATER")
    ap.add_argument("--skater-timeout", type=int, default=600, help="seconds before SKATER stops")
    args = ap.parse_args()
    rows = []
    for n in [int(s) for s in args.sizes.split(",")]:
        base = tight = None
        for name, (extra, stmt) in CASES.items():
            if name.startswith("spopt") and n > args.skater_max:
                continue
            repeat = 1 if name.startswith("spopt") or n >= 100_000 else args.repeat
            timeout = args.skater_timeout if name.startswith("spopt") else 3600
            try:
                res = run_case(SETUP.format(n=n) + extra, stmt, repeat=repeat, timeout=timeout)
            except subprocess.TimeoutExpired:
                rows.append({"sites": n, "method": name, "seconds": f"> {timeout} (stopped)",
                             "x floor": f"> {timeout / base:.0f}", "x pair floor": "-",
                             "peak MB": "-"})
                print(rows[-1], flush=True)
                continue
            base = base or res["seconds"]
            if name.startswith("floor: box"):
                tight = res["seconds"]
            rows.append({"sites": n, "method": name, "seconds": res["seconds"],
                         "x floor": res["seconds"] / base,
                         "x pair floor": res["seconds"] / tight if tight else "-",
                         "peak MB": res["peak_mb"]})
            print(rows[-1], flush=True)
    path = write_markdown("zones", "Zoning: neighbour graph + zones", rows, __doc__)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
