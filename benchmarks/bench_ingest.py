"""Ingest benchmark: ``og.sites.read_sites`` (map + validate + reproject + area + banner check)
against what a user would otherwise run, on 1k/10k/100k clustered synthetic sites.

Peers, side by side in one run:
* ``floor``   – ``geopandas.read_file`` alone (pyogrio engine): reading, nothing checked.
* ``by hand`` – ``read_file`` + ``make_valid`` + ``to_crs(4326)`` + area in an equal-area CRS +
  duplicate-id check: the careful analyst's script (no field mapping, no report).
* ``ordos_geo`` – ``og.sites.read_sites``.
For the GBK Shapefile without .cpg the peers return mojibake field names; ordos_geo does not.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from _harness import run_case, write_markdown

PEERS = {
    "floor: geopandas.read_file": "g = gpd.read_file(PATH)",
    "by hand: read+make_valid+to_crs+area": (
        "g = gpd.read_file(PATH)\n"
        "g['geometry'] = g.geometry.make_valid()\n"
        "g = g.to_crs(4326)\n"
        "a = g.to_crs(og.projection.equal_area_crs()).area / 1e4\n"
        "d = g.iloc[:, 0].duplicated().sum()"),
    "ordos_geo: read_sites": "s, r = og.sites.read_sites(PATH, refused='report')",
}


def make_inputs(folder: Path, sizes: list[int]) -> dict[tuple[int, str], Path]:
    import pyogrio

    import ordos_geo as og

    paths = {}
    for n in sizes:
        frame = og.synthetic.clustered_sites(n)
        bureau = frame.rename(columns={"site_id": "矿山编号", "name": "矿山名称", "banner": "旗区",
                                       "kind": "类型", "status": "矿山状态"}).to_crs("EPSG:4525")
        gpkg = folder / f"sites_{n}.gpkg"
        pyogrio.write_dataframe(frame, gpkg)
        shp = folder / f"sites_{n}.shp"
        pyogrio.write_dataframe(bureau.drop(columns="synthetic"), shp, encoding="GBK")
        shp.with_suffix(".cpg").unlink()
        paths[(n, "GeoPackage WGS84")] = gpkg
        paths[(n, "Shapefile GBK GK37, no .cpg")] = shp
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inputs = make_inputs(Path(tmp), sizes)
        for (n, fmt), path in inputs.items():
            setup = f"import geopandas as gpd, ordos_geo as og\nog.settings.progress = False\nPATH = {str(path)!r}"
            base = None
            for peer, stmt in PEERS.items():
                res = run_case(setup, stmt, repeat=args.repeat)
                base = base or res["seconds"]
                rows.append({"sites": n, "format": fmt, "method": peer, "seconds": res["seconds"],
                             "x floor": res["seconds"] / base, "peak MB": res["peak_mb"]})
                print(rows[-1], flush=True)
    path = write_markdown("ingest", "Ingest: read + validate", rows, __doc__)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
