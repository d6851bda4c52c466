"""Disturbance benchmark: ``og.disturbance.detect`` over one 10,000 × 10,000 scene stack of 8 dates
(the imagery benchmark's two red/NIR scenes, alternating; 10 m pixels, UTM 49N) around 1,000
mines (the imagery benchmark's rectangles, as licence boundaries; the search zones 2 km around
them cover most of the scene), against a read floor of the same parallelism: every block of both
bands of every date read and converted to reflectance, strips on Dask threads as ordos_geo runs
them (and both on one thread). Target ≤ 1.5× the floor, < 1.5 GB. Each case in a fresh process.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _harness import run_case, write_markdown

_FLOOR = (
    "import rasterio, numpy as np, dask\nfrom rasterio.windows import Window\n"
    "def strip(r0):\n"
    "    for d in range(DATES):\n"
    "        red_p, nir_p = SCENES[d % 2]\n"
    "        with rasterio.Env(GDAL_CACHEMAX=64), rasterio.open(red_p) as r, "
    "rasterio.open(nir_p) as n:\n"
    "            w = Window(0, r0, r.width, min(512, r.height - r0))\n"
    "            a = r.read(1, window=w).astype('float32') / 1e4\n"
    "            b = n.read(1, window=w).astype('float32') / 1e4\n")
_OURS = ("import geopandas as gpd, datetime as dt, ordos_geo as og\n"
         "og.settings.progress = False\n"
         "sites = gpd.read_file(POLYS).assign(kind='mine')\n"
         "scenes = [og.imagery.Scene(dt.date(2018 + d, 8, 1), 'generic', "
         "{'red': (SCENES[d % 2][0], 1), 'nir': (SCENES[d % 2][1], 1)}) for d in range(DATES)]")
CASES = {
    "floor: read strips of every date, Dask threads": (
        _FLOOR, "dask.compute(*[dask.delayed(strip)(r0) for r0 in range(0, 10000, 512)], "
                "scheduler='threads')", None),
    "floor: read strips of every date, 1 thread": (
        _FLOOR, "for r0 in range(0, 10000, 512):\n    strip(r0)", None),
    "ordos_geo detect, Dask threads": (
        _OURS, "res = og.disturbance.detect(sites, scenes)",
        "floor: read strips of every date, Dask threads"),
    "ordos_geo detect, 1 thread": (
        _OURS + "\nimport dask\ndask.config.set(num_workers=1)",
        "res = og.disturbance.detect(sites, scenes)",
        "floor: read strips of every date, 1 thread"),
}


def main() -> None:
    from bench_imagery import make_polygons, make_scene

    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--mines", type=int, default=1000)
    ap.add_argument("--dates", type=int, default=8)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scenes = []
        for k in range(2):
            red, nir = tmp / f"s{k}_red.tif", tmp / f"s{k}_nir.tif"
            make_scene(red, nir, seed=k)
            scenes.append((str(red), str(nir)))
        polys = tmp / "mines.gpkg"
        make_polygons(args.mines, polys, prefix="M")
        print("inputs written", flush=True)
        base = {}
        for name, (setup, stmt, floor) in CASES.items():
            pre = f"SCENES = {scenes!r}\nPOLYS = {str(polys)!r}\nDATES = {args.dates}\n"
            res = run_case(pre + setup, stmt, repeat=1, timeout=3600)
            base.setdefault(name, res["seconds"])
            rows.append({"mines": args.mines, "dates": args.dates, "method": name,
                         "seconds": res["seconds"],
                         "x its floor": res["seconds"] / base[floor] if floor else 1.0,
                         "floor": floor or "-", "peak MB": res["peak_mb"]})
            print(rows[-1], flush=True)
    path = write_markdown("disturbance", "Disturbance: 8 dates of 10,000 × 10,000 around 1,000 "
                          "mines", rows, __doc__)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
