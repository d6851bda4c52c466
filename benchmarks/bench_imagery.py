"""Imagery benchmark: zonal statistics of 1,000 and 10,000 polygons over 10,000 × 10,000 two-band
(red, NIR) scenes — tiled, deflate-compressed GeoTIFFs, 10 m pixels in UTM 49N — for one date and
for eight dates (two distinct scenes alternate, so the eight reads do the same work).

Side by side in one run, each case in a fresh process (wall time, peak memory). Every method is
compared with a floor of the SAME parallelism (column ``floor``):
* ``floor, 1 thread`` – read every block of both bands of every date and compute NDVI; nothing
  else, one date after the other.
* ``floor, Dask threads as ordos_geo`` – the same reads, dates run as ordos_geo runs them: Dask's
  threaded scheduler, four dates at a time, on every core.
* ``ordos_geo progress`` – ``og.reclamation.progress``: coverage fractions once for the grid, then
  per date the strip-wise NDVI/FVC/masks and coverage-weighted sums per polygon; with Dask
  threads (the default), and with one worker thread (``dask.config.set(num_workers=1)``).
* ``exactextract per date`` – ``exact_extract([red, nir], polygons, ["mean", "count"])`` once
  per date (coverage-weighted band means; no NDVI, no masks).
* ``rasterstats`` – ``zonal_stats`` (mean, count) of each band, one date only (an 8-date run is
  8 times that); centroid-in-polygon counting, no partial pixels.
Polygons: rotated rectangles, log-normal areas (median 0.1 km², 0.01–5 km²), seed 7.
Every case imports its libraries before the clock starts (the floors rasterio, numpy and dask;
ordos_geo its modules, exactextract and scipy).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _harness import run_case, write_markdown

N_PIX = 10_000
PIXEL = 10.0
ORIGIN = (550_000.0, 4_450_000.0)


def make_scene(path_red: Path, path_nir: Path, seed: int) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    coarse = rng.random((N_PIX // 200 + 1, N_PIX // 200 + 1))  # 2 km patches of cover
    profile = dict(driver="GTiff", width=N_PIX, height=N_PIX, count=1, dtype="uint16",
                   crs="EPSG:32649", transform=from_origin(*ORIGIN, PIXEL, PIXEL), tiled=True,
                   blockxsize=512, blockysize=512, compress="deflate", predictor=2)
    with rasterio.open(path_red, "w", **profile) as red, rasterio.open(path_nir, "w", **profile) as nir:
        for r0 in range(0, N_PIX, 1024):
            rows = min(1024, N_PIX - r0)
            cover = np.kron(coarse, np.ones((200, 200)))[r0:r0 + rows, :N_PIX]
            noise = rng.integers(-30, 30, (rows, N_PIX))
            r = (1800 - 1200 * cover + noise).astype(np.uint16)
            n = (2200 + 1200 * cover + noise).astype(np.uint16)
            red.write(r, 1, window=Window(0, r0, N_PIX, rows))
            nir.write(n, 1, window=Window(0, r0, N_PIX, rows))


def make_polygons(n: int, path: Path, *, origin=ORIGIN, extent: float = N_PIX * PIXEL,
                  margin: float = 2000.0, rotate: bool = True, prefix: str = "B",
                  crs: str = "EPSG:32649") -> None:
    """Rectangles with log-normal areas (median 0.1 km², 0.01–5 km²), seed 7, ``margin`` metres
    inside the ``extent`` square from ``origin``; rotated at random with ``rotate``."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(7)
    area = np.clip(rng.lognormal(np.log(0.1), 0.8, n), 0.01, 5.0) * 1e6
    aspect = rng.uniform(1, 2.5, n)
    w, h = np.sqrt(area * aspect), np.sqrt(area / aspect)
    cx = origin[0] + rng.uniform(margin, extent - margin, n)
    cy = origin[1] - rng.uniform(margin, extent - margin, n)
    t = rng.uniform(0, np.pi, n) if rotate else np.zeros(n)
    geoms = [shapely.affinity.rotate(shapely.box(x - a / 2, y - b / 2, x + a / 2, y + b / 2), th,
                                     use_radians=True) for x, y, a, b, th in zip(cx, cy, w, h, t)]
    gpd.GeoDataFrame({"site_id": [f"{prefix}{i:05d}" for i in range(n)], "banner": "准格尔旗"},
                     geometry=geoms, crs=crs).to_file(path)


_FLOOR_READ = (
    "def read_ndvi(d):\n"
    "    red_p, nir_p = SCENES[d % 2]\n"
    "    with rasterio.open(red_p) as r, rasterio.open(nir_p) as n:\n"
    "        for _, win in r.block_windows(1):\n"
    "            a = r.read(1, window=win).astype('float32'); b = n.read(1, window=win).astype('float32')\n"
    "            ndvi = (b - a) / (b + a)\n")
_OURS = ("import geopandas as gpd, datetime as dt, ordos_geo as og\n"
         "import dask, exactextract, scipy.sparse, ordos_geo.imagery.reclamation  # as the floors\n"
         "og.settings.progress = False\n"
         "sites = gpd.read_file(POLYS).to_crs(4326)\n"
         "scenes = [og.imagery.Scene(dt.date(2020 + d // 2, 6 + d % 2, 1), 'generic', "
         "{'red': (SCENES[d % 2][0], 1), 'nir': (SCENES[d % 2][1], 1)}) for d in range(DATES)]")
#: name -> (setup, statement, the floor it is compared with)
CASES = {
    "floor: read + NDVI, 1 thread": (
        "import rasterio, numpy as np\n" + _FLOOR_READ,
        "for d in range(DATES):\n    read_ndvi(d)", None),
    "floor: read + NDVI, Dask threads as ordos_geo": (
        "import rasterio, numpy as np, dask\n" + _FLOOR_READ,
        "for s in range(0, DATES, 4):\n"
        "    dask.compute(*[dask.delayed(read_ndvi)(d) for d in range(s, min(s + 4, DATES))],"
        " scheduler='threads')", None),
    "ordos_geo progress, 1 thread": (
        _OURS + "\nimport dask\ndask.config.set(num_workers=1)",
        "res = og.reclamation.progress(sites, scenes)", "floor: read + NDVI, 1 thread"),
    "ordos_geo progress, Dask threads": (
        _OURS, "res = og.reclamation.progress(sites, scenes)",
        "floor: read + NDVI, Dask threads as ordos_geo"),
    "exactextract per date": (
        "import geopandas as gpd\nfrom exactextract import exact_extract\n"
        "polys = gpd.read_file(POLYS)",
        "for d in range(DATES):\n"
        "    out = exact_extract(list(SCENES[d % 2]), polys, ['mean', 'count'], output='pandas')",
        "floor: read + NDVI, 1 thread"),
    "rasterstats (1 date)": (
        "import geopandas as gpd\nfrom rasterstats import zonal_stats\n"
        "polys = gpd.read_file(POLYS)",
        "for band in SCENES[0]:\n"
        "    out = zonal_stats(polys, str(band), stats=['mean', 'count'])",
        "floor: read + NDVI, 1 thread"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--polygons", default="1000,10000")
    ap.add_argument("--dates", default="1,8")
    ap.add_argument("--no-rasterstats", action="store_true")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        scenes = []
        for k in range(2):
            red, nir = tmp / f"s{k}_red.tif", tmp / f"s{k}_nir.tif"
            make_scene(red, nir, seed=k)
            scenes.append((str(red), str(nir)))
        print("scenes written", flush=True)
        for n in [int(v) for v in args.polygons.split(",")]:
            polys = tmp / f"polys_{n}.gpkg"
            make_polygons(n, polys)
            for dates in [int(v) for v in args.dates.split(",")]:
                floors = {}
                for name, (setup, stmt, floor) in CASES.items():
                    if name.startswith("rasterstats") and (args.no_rasterstats or dates > 1):
                        continue
                    pre = f"SCENES = {scenes!r}\nPOLYS = {str(polys)!r}\nDATES = {dates}\n"
                    res = run_case(pre + setup, stmt, repeat=args.repeat, timeout=3600)
                    floors.setdefault(name, res["seconds"])
                    base = floors[floor] if floor else res["seconds"]
                    rows.append({"polygons": n, "dates": dates, "method": name,
                                 "seconds": res["seconds"], "x its floor": res["seconds"] / base,
                                 "floor": floor or "-", "peak MB": res["peak_mb"]})
                    print(rows[-1], flush=True)
    path = write_markdown("imagery", "Imagery: zonal statistics over 10,000 × 10,000 scenes",
                          rows, __doc__)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
