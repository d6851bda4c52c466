"""Land-cover classifier benchmark: how right, and how fast.

* Accuracy (``sample scenes``): on the seeded land-cover scenes (three dates, 600 × 600 pixels
  of 20 m, every pixel's class known; ``og.landscapes``) the random forest trained from the
  scenes' labels (50 trees) and the fixed thresholds on the same scenes, each judged against
  the truth over every pixel (overall accuracy), with the wall time of training and
  predicting.
* Speed (``N x N``): one scene of N × N pixels with 8 bands (blue, green, red, NIR, SWIR1,
  SWIR2, red edge and the SCL class band; uint16, deflate, 512-pixel tiles) classified by a
  50-tree forest (``og.classify.predict``: features, forest, GeoTIFF written, in strips on Dask
  threads) against the floor: reading every band the scene's manifest gives the project (the
  six it reads — blue, green, red, NIR, SWIR1 and the class band; SWIR2 and red edge are not
  read) in the same strips on the same Dask threads (nothing computed); and the forest's own
  floor: the same forest (``classify.classes_of``, scikit-learn's ``predict`` in chunks) over
  features already in memory (one strip's, as many
  times as the scene has strips, on the same Dask threads) — what scikit-learn's tree
  traversal costs without reading or features. The scene is generated once (seeded, from the
  sample scenes' August spectra) and kept in ``--cache``.

Columns: wall time (best of 3, one run at the largest size; each case in a fresh process), the
process's peak memory, and for the accuracy rows the overall accuracy against the truth.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _harness import run_case, write_markdown

HERE = Path(__file__).resolve().parent
BANDS = ("blue", "green", "red", "nir", "swir1", "swir2", "rededge", "qa")


def big_scene(folder: Path, n: int, seed: int = 7) -> Path:
    """A one-date, 8-band scene of ``n`` × ``n`` pixels and its manifest (kept once made)."""
    import rasterio
    from rasterio.transform import from_origin

    from ordos_geo.imagery.landscapes import SPECTRA

    manifest = folder / f"manifest_{n}.csv"
    if manifest.exists():
        return manifest
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    lookup = np.array([SPECTRA[c][1] if c in SPECTRA else (0, 0, 0, 0, 0) for c in range(9)])
    profile = dict(driver="GTiff", width=n, height=n, count=1, crs="EPSG:32649",
                   transform=from_origin(500_000, 4_400_000, 20, 20), tiled=True,
                   blockxsize=512, blockysize=512, compress="deflate")
    block = rng.integers(1, 9, (n // 64 + 1, n // 64 + 1))  # 64-pixel patches of one class
    files = {b: rasterio.open(folder / f"big_{n}_{b}.tif", "w", dtype="uint16" if b != "qa"
                              else "uint8", **profile) for b in BANDS}
    try:
        for r0 in range(0, n, 1024):
            rows = min(1024, n - r0)
            cls = np.repeat(np.repeat(block, 64, 0), 64, 1)[r0:r0 + rows, :n]
            for k, band in enumerate(BANDS):
                if band == "qa":
                    files[band].write(np.where(cls == 6, 6, 4).astype(np.uint8), 1,
                                      window=((r0, r0 + rows), (0, n)))
                    continue
                refl = lookup[cls, min(k, 4)] + rng.normal(0, 0.02, cls.shape)
                files[band].write(np.clip(refl * 10000 + 1000, 1, 65535).astype(np.uint16), 1,
                                  window=((r0, r0 + rows), (0, n)))
    finally:
        for f in files.values():
            f.close()
    lines = ["date,sensor,baseline,scene_id," + ",".join(BANDS),
             "2025-08-15,sentinel2-l2a,05.11,BIG," + ",".join(f"big_{n}_{b}.tif" for b in BANDS)]
    manifest.write_text("\n".join(lines) + "\n", "utf-8")
    return manifest


SETUP = f"""
import sys; sys.path.insert(0, {str(HERE)!r})
import numpy as np, geopandas as gpd, rasterio, dask
from ordos_geo.imagery import classify, landscapes, read_manifest
import ordos_geo as og
og.settings.progress = False
sample = read_manifest(landscapes.write_landcover_scenes({{cache!r}} + "/sample"))
labels = gpd.read_file({{cache!r}} + "/sample/labels.geojson")
"""
BIG = SETUP + """
model = classify.train([s for s in sample if s.date.month == 8], labels, trees=50, folds=2)
scenes = read_manifest({manifest!r})
"""
FLOOR = """
from rasterio.windows import Window
def read_strip(r0):
    total = 0
    for scene in scenes:
        for path, index in scene.bands.values():
            with rasterio.open(path) as src:
                total += int(src.read(index, window=Window(0, r0, src.width,
                                                          min(256, src.height - r0)))[0, 0])
    return total
import rasterio as _r
h = _r.open(scenes[0].bands["red"][0]).height
dask.compute(*[dask.delayed(read_strip)(r0) for r0 in range(0, h, 256)], scheduler="threads")
"""
FOREST = """
parts = [dask.delayed(classify.classes_of)(model.forest, flat[:min(256, h - r0) * w])
         for r0 in range(0, h, 256)]
dask.compute(*parts, scheduler="threads")
"""
FOREST_SETUP = """
from rasterio.windows import Window
import rasterio as _r
with _r.open(scenes[0].bands["red"][0]) as _src:
    h, w = _src.height, _src.width
flat = classify.features(scenes, Window(0, 0, w, min(256, h))).reshape(-1, len(classify.FEATURES))
"""
CASES = {
    "ordos_geo predict, Dask threads": "classify.predict(model, scenes, {out!r})",
    "floor: read the bands in strips, Dask threads": FLOOR,
    "forest alone on features in memory, Dask threads": FOREST,
}
ACCURACY = {
    "ordos_geo classify (train + predict)":
        "m = classify.train(sample, labels, trees=50)\n"
        "classify.predict(m, sample, {cache!r} + '/rf.tif')",
    "thresholds (threshold_map)": "classify.threshold_map(sample, {cache!r} + '/thr.tif')",
}


def _overall(cache: Path) -> dict:
    import rasterio

    truth = rasterio.open(cache / "sample" / "truth_landcover.tif").read(1)
    return {name: float((rasterio.open(cache / f).read(1) == truth).mean())
            for name, f in (("ordos_geo classify (train + predict)", "rf.tif"),
                            ("thresholds (threshold_map)", "thr.tif"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="2000,10000")
    ap.add_argument("--cache", default="/tmp/ordos_bench_classify")
    args = ap.parse_args()
    cache = Path(args.cache)
    rows = []
    setup = SETUP.format(cache=str(cache))
    for name, stmt in ACCURACY.items():
        timing = run_case(setup, stmt.format(cache=str(cache)), repeat=1)
        rows.append({"size": "sample scenes", "case": name, "seconds": timing["seconds"],
                     "peak MB": timing["peak_mb"], "overall accuracy": float("nan")})
        print(rows[-1], flush=True)
    for row in rows:
        row["overall accuracy"] = _overall(cache)[row["case"]]
    sizes = [int(v) for v in args.sizes.split(",")]
    for n in sizes:
        manifest = big_scene(cache, n)
        big = BIG.format(cache=str(cache), manifest=str(manifest))
        for name, stmt in CASES.items():
            setup = big + (FOREST_SETUP if stmt is FOREST else "")
            timing = run_case(setup, stmt.format(out=str(cache / f"pred_{n}.tif")),
                              repeat=1 if n == max(sizes) and n >= 5000 else 3, timeout=7200)
            rows.append({"size": f"{n} x {n}", "case": name, "seconds": timing["seconds"],
                         "peak MB": timing["peak_mb"], "overall accuracy": float("nan")})
            print(rows[-1], flush=True)
    sys.path.insert(0, str(HERE))
    print(f"wrote {write_markdown('classify', 'Land cover: a random forest, right and fast', rows, __doc__)}")


if __name__ == "__main__":
    main()
