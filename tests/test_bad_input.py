"""A user's mistake ends with exit 1 (fix the input) or 2 (usage) and a message naming the file,
row or option — never exit 70 ("internal error"), never a traceback.

Each case builds the bad input the way a careless user or a broken export would, runs the command
in-process through ``ordos_geo.cli.main`` and checks the exit code and the message.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from conftest import site_frame
from imagery_helpers import write_scene
from rasterio.transform import from_origin

import ordos_geo as og
from ordos_geo import cli

SITES = og.datasets.synthetic_sites_path()
PLANS = og.datasets.synthetic_plans_path()


def run(argv, capsys):
    rc = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out + err


def _geojson(tmp: Path, features: list[dict], name: str = "s.geojson") -> Path:
    path = tmp / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    return path


def _square(lon=111.2, lat=39.8, d=0.001):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + d, lat], [lon + d, lat + d],
                                                [lon, lat + d], [lon, lat]]]}


def _feature(site_id="A1", geometry=None, **props):
    return {"type": "Feature", "geometry": geometry or _square(),
            "properties": {"site_id": site_id, "kind": "mine", "banner": "准格尔旗",
                           "status": "producing", **props}}


def _scenes(tmp: Path, rows: list[dict], suffix=".csv", encoding="utf-8") -> Path:
    path = tmp / f"manifest{suffix}"
    if suffix == ".csv":
        cols = sorted({k for r in rows for k in r})
        lines = [",".join(cols)] + [",".join(str(r.get(c, "")) for c in cols) for r in rows]
        path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    else:
        import yaml

        path.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding=encoding)
    return path


def _scene_row(paths: dict, date="2021-06-01", sensor="sentinel2-l2a") -> dict:
    return {"date": date, "sensor": sensor, **{k: v.name for k, v in paths.items()}}


def _one_scene(tmp: Path):
    classes = np.zeros((40, 40), dtype=int)
    return write_scene(tmp, "s1", classes)


def _progress_args(tmp: Path, manifest: Path):
    return ["progress", SITES, "--imagery", manifest, "--out", tmp / "out"]


# --- the cases: (name, builder(tmp) -> argv, allowed exit codes, text the message must hold) ----
def case_out_is_file(tmp):
    (tmp / "taken").write_text("x")
    return ["zones", SITES, "--out", tmp / "taken"]


def case_map_out_is_dir(tmp):
    (tmp / "page.html").mkdir()
    return ["map", SITES, "--out", tmp / "page.html"]


def case_export_out_under_a_file(tmp):
    (tmp / "file").write_text("x")
    return ["export", SITES, "--format", "gpkg", "--out", tmp / "file" / "x.gpkg"]


def case_export_out_is_dir(tmp):
    (tmp / "x.gpkg").mkdir()
    return ["export", SITES, "--format", "gpkg", "--out", tmp / "x.gpkg"]


def case_nan_coordinates(tmp):
    feature = _feature()
    feature["geometry"]["coordinates"][0][1][0] = float("nan")
    text = json.dumps({"type": "FeatureCollection", "features": [feature, _feature("A2")]})
    assert "NaN" in text
    path = tmp / "nan.geojson"
    path.write_text(text, encoding="utf-8")
    return ["validate", path, "--report", tmp / "r.csv"]


def case_nan_in_corner_points(tmp):
    path = tmp / "corners.csv"
    path.write_text("矿山编号,点号,X,Y\nC1,1,4400000,37500000\nC1,2,4400000,nan\n"
                    "C1,3,4401000,37501000\n", encoding="utf-8")
    return ["zones", path, "--out", tmp / "z"]


def case_local_cs_prj(tmp):
    from conftest import write_shapefile

    shp = write_shapefile(site_frame(2), tmp / "local.shp", encoding="UTF-8")
    shp.with_suffix(".prj").write_text('LOCAL_CS["Site grid",UNIT["metre",1]]')
    return ["zones", shp, "--out", tmp / "z"]


def case_id_with_semicolon(tmp):
    return ["zones", _geojson(tmp, [_feature("A;B")]), "--out", tmp / "z"]


def case_missing_zones_file(tmp):
    return ["map", SITES, "--zones", tmp / "nope.geojson", "--out", tmp / "m.html"]


def case_zones_file_not_zones(tmp):
    return ["map", SITES, "--zones", SITES, "--out", tmp / "m.html"]


def case_zones_file_garbage(tmp):
    (tmp / "z.geojson").write_text("{not json", encoding="utf-8")
    return ["progress", SITES, "--imagery", tmp / "m.csv", "--zones", tmp / "z.geojson",
            "--out", tmp / "o"]


def case_progress_file_missing(tmp):
    return ["map", SITES, "--progress", tmp / "nope.csv", "--out", tmp / "m.html"]


def case_progress_file_wrong_columns(tmp):
    (tmp / "p.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return ["map", SITES, "--progress", tmp / "p.csv", "--out", tmp / "m.html"]


def case_progress_file_bad_years(tmp):
    (tmp / "p.csv").write_text("site_id,year,vegetated_share\nSYN-M0001,soon,0.5\n",
                               encoding="utf-8")
    return ["map", SITES, "--progress", tmp / "p.csv", "--out", tmp / "m.html"]


def case_progress_file_matches_nothing(tmp):
    (tmp / "p.csv").write_text("site_id,year,vegetated_share\nNOPE,2020,0.5\n", encoding="utf-8")
    return ["map", SITES, "--progress", tmp / "p.csv", "--out", tmp / "m.html"]


def case_stac_broken_link(tmp):
    (tmp / "catalog.json").write_text(json.dumps({
        "type": "Catalog", "id": "c", "stac_version": "1.0.0", "description": "d",
        "links": [{"rel": "item", "href": "./missing/item.json", "type": "application/json"}]}))
    return _progress_args(tmp, tmp / "catalog.json")


def case_stac_not_json(tmp):
    (tmp / "catalog.json").write_text("<html>", encoding="utf-8")
    return _progress_args(tmp, tmp / "catalog.json")


def case_manifest_empty_date(tmp):
    return _progress_args(tmp, _scenes(tmp, [_scene_row(_one_scene(tmp), date="")]))


def case_manifest_nan_date(tmp):
    return _progress_args(tmp, _scenes(tmp, [_scene_row(_one_scene(tmp), date="NaN")]))


def case_manifest_empty_file(tmp):
    (tmp / "m.csv").write_text("", encoding="utf-8")
    return _progress_args(tmp, tmp / "m.csv")


def case_manifest_header_only(tmp):
    (tmp / "m.csv").write_text("date,sensor,red,nir\n", encoding="utf-8")
    return _progress_args(tmp, tmp / "m.csv")


def case_manifest_gbk(tmp):
    paths = _one_scene(tmp)
    row = _scene_row(paths) | {"scene_id": "景一"}
    row["sensor"] = "传感器"  # unknown sensor, in GBK bytes: named, not a crash
    return _progress_args(tmp, _scenes(tmp, [row], encoding="gbk"))


def case_manifest_yaml_not_a_list(tmp):
    (tmp / "m.yaml").write_text("just a string\n", encoding="utf-8")
    return _progress_args(tmp, tmp / "m.yaml")


def case_manifest_yaml_broken(tmp):
    (tmp / "m.yaml").write_text("scenes: [\n  - date: {\n", encoding="utf-8")
    return _progress_args(tmp, tmp / "m.yaml")


def case_manifest_yaml_gbk(tmp):
    paths = _one_scene(tmp)
    row = _scene_row(paths, sensor="未知")
    return _progress_args(tmp, _scenes(tmp, [row], suffix=".yaml", encoding="gbk"))


def case_manifest_bad_band_index(tmp):
    paths = _one_scene(tmp)
    row = {"date": "2021-06-01", "sensor": "generic", "file": paths["red"].name,
           "bands": "red=one;nir=2"}
    return _progress_args(tmp, _scenes(tmp, [row]))


def case_scenes_cover_no_site(tmp):
    # a valid scene (its NIR band at 20 m, read resampled) far from every synthetic site
    paths = _one_scene(tmp)
    with rasterio.open(paths["nir"], "w", driver="GTiff", width=20, height=20, count=1,
                       dtype="uint16", crs="EPSG:32649",
                       transform=from_origin(600_000, 4_410_000, 20, 20)) as dst:
        dst.write(np.full((1, 20, 20), 3000, np.uint16))
    return _progress_args(tmp, _scenes(tmp, [_scene_row(paths)]))


def case_band_not_a_raster(tmp):
    paths = _one_scene(tmp)
    paths["nir"].write_text("not a tiff", encoding="utf-8")
    return _progress_args(tmp, _scenes(tmp, [_scene_row(paths)]))


def case_band_truncated(tmp):
    # a scene under the synthetic sites, cut short after its header
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    manifest = og.samples.write_sample_scenes(tmp / "img", sites=None)
    first = sorted((tmp / "img").rglob("*.tif"))[0]
    data = first.read_bytes()
    first.write_bytes(data[: len(data) // 3])
    return ["progress", SITES, "--imagery", manifest, "--out", tmp / "o"]


def _rules(tmp, edit, encoding="utf-8"):
    import yaml

    spec = yaml.safe_load(og.rules.default_rules_text())
    edit(spec)
    path = tmp / "rules.yaml"
    path.write_bytes(yaml.safe_dump(spec, allow_unicode=True).encode(encoding))
    return ["zones", SITES, "--rules", path, "--out", tmp / "z"]


def case_rules_gbk_and_wrong(tmp):
    def edit(spec):
        spec["standards"]["pv_platform"]["pit_policy"] = "留坑"
    return _rules(tmp, edit, encoding="gbk")


def case_rules_end_use_without_label(tmp):
    return _rules(tmp, lambda s: s["end_uses"]["pv"].pop("zh"))


def case_rules_when_not_a_mapping(tmp):
    return _rules(tmp, lambda s: s["rules"][0].__setitem__("when", ["area_ha > 3"]))


def case_rules_rule_not_a_mapping(tmp):
    return _rules(tmp, lambda s: s["rules"].insert(0, "pv if flat"))


def case_rules_negative_topsoil(tmp):
    return _rules(tmp, lambda s: s["standards"]["pv_platform"].__setitem__("topsoil_cm", -50))


def case_rules_cover_250(tmp):
    return _rules(tmp, lambda s: s["standards"]["pv_platform"].__setitem__("target_cover_pct",
                                                                            250))


def case_rules_banner_in_two_regions(tmp):
    return _rules(tmp, lambda s: s["regions"]["east"].append("杭锦旗"))


def case_rules_region_typo(tmp):
    return _rules(tmp, lambda s: s["regions"].__setitem__("west", "鄂托克"))


def _plans(tmp, row: str):
    path = tmp / "plans.csv"
    path.write_text("mine_id,year,target_ha,standard,money_wan,deadline\n" + row + "\n",
                    encoding="utf-8")
    return ["zones", SITES, "--plans", path, "--out", tmp / "z"]


def case_plans_garbage_year(tmp):
    return _plans(tmp, "SYN-M0001,twenty,10,pv_platform,5,2024-12-31")


def case_plans_fractional_year(tmp):
    return _plans(tmp, "SYN-M0001,2024.5,10,pv_platform,5,2024-12-31")


def case_plans_year_99999(tmp):
    return _plans(tmp, "SYN-M0001,99999,10,pv_platform,5,2024-12-31")


def case_plans_target_1e12(tmp):
    return _plans(tmp, "SYN-M0001,2024,1e12,pv_platform,5,2024-12-31")


def case_plans_negative_money(tmp):
    return _plans(tmp, "SYN-M0001,2024,10,pv_platform,-5,2024-12-31")


def case_plans_bad_deadline(tmp):
    return _plans(tmp, "SYN-M0001,2024,10,pv_platform,5,end of year")


def case_plans_missing_columns(tmp):
    (tmp / "p.csv").write_text("who,when\nA,2024\n", encoding="utf-8")
    return ["zones", SITES, "--plans", tmp / "p.csv", "--out", tmp / "z"]


def case_cannot_link_unknown_site(tmp):
    (tmp / "cl.csv").write_text("site_a,site_b\nSYN-M0001,NOPE\n", encoding="utf-8")
    return ["zones", SITES, "--cannot-link", tmp / "cl.csv", "--out", tmp / "z"]


def case_cannot_link_missing(tmp):
    return ["zones", SITES, "--cannot-link", tmp / "nope.csv", "--out", tmp / "z"]


CASES = [
    (case_out_is_file, {2}, "taken"),
    (case_map_out_is_dir, {2}, "page.html"),
    (case_export_out_under_a_file, {2}, "file"),
    (case_export_out_is_dir, {2}, "x.gpkg"),
    (case_nan_coordinates, {1}, "A1"),
    (case_nan_in_corner_points, {1}, "C1"),
    (case_local_cs_prj, {1}, "Site grid"),
    (case_id_with_semicolon, {1}, "A;B"),
    (case_missing_zones_file, {1}, "nope.geojson"),
    (case_zones_file_not_zones, {1}, "zone_id"),
    (case_zones_file_garbage, {1}, "z.geojson"),
    (case_progress_file_missing, {1}, "nope.csv"),
    (case_progress_file_wrong_columns, {1}, "year"),
    (case_progress_file_bad_years, {1}, "2"),
    (case_progress_file_matches_nothing, {1}, "site"),
    (case_stac_broken_link, {1}, "item.json"),
    (case_stac_not_json, {1}, "catalog.json"),
    (case_manifest_empty_date, {1}, "date"),
    (case_manifest_nan_date, {1}, "NaN"),
    (case_manifest_empty_file, {1}, "m.csv"),
    (case_manifest_header_only, {1}, "no scenes"),
    (case_manifest_gbk, {1}, "传感器"),
    (case_manifest_yaml_not_a_list, {1}, "list of scenes"),
    (case_manifest_yaml_broken, {1}, "YAML"),
    (case_manifest_yaml_gbk, {1}, "未知"),
    (case_manifest_bad_band_index, {1}, "red=one"),
    (case_scenes_cover_no_site, {1}, "1 景影像"),
    (case_band_not_a_raster, {1}, "s1_nir.tif"),
    (case_band_truncated, {1}, ".tif"),
    (case_rules_gbk_and_wrong, {1}, "留坑"),
    (case_rules_end_use_without_label, {1}, "'zh' missing"),
    (case_rules_when_not_a_mapping, {1}, "'when'"),
    (case_rules_rule_not_a_mapping, {1}, "pv if flat"),
    (case_rules_negative_topsoil, {1}, "-50"),
    (case_rules_cover_250, {1}, "250"),
    (case_rules_banner_in_two_regions, {1}, "two regions"),
    (case_rules_region_typo, {1}, "鄂托克"),
    (case_plans_garbage_year, {1}, "row 2, year"),
    (case_plans_fractional_year, {1}, "2024.5"),
    (case_plans_year_99999, {1}, "99999"),
    (case_plans_target_1e12, {1}, "target_ha"),
    (case_plans_negative_money, {1}, "money_wan"),
    (case_plans_bad_deadline, {1}, "deadline"),
    (case_plans_missing_columns, {1}, "mine_id"),
    (case_cannot_link_unknown_site, {1}, "NOPE"),
    (case_cannot_link_missing, {1}, "nope.csv"),
]


@pytest.mark.parametrize("build, codes, text", CASES, ids=[c[0].__name__[5:] for c in CASES])
def test_a_user_mistake_is_exit_1_or_2_with_a_message(build, codes, text, tmp_path, capsys):
    argv = build(tmp_path)
    rc, output = run(argv, capsys)
    assert rc in codes, (rc, output)
    assert "internal error" not in output and "Traceback" not in output
    assert text in output, output


@pytest.mark.parametrize("option, value", [
    ("--gap-m", "-100"), ("--gap-m", "inf"), ("--gap-m", "nan"), ("--gap-m", "abc"),
    ("--max-zone-ha", "0"), ("--max-zone-ha", "-5"), ("--max-sites", "0"),
    ("--max-sites", "1.5"), ("--attach-m", "nan")])
def test_meaningless_zone_options_are_usage_errors(option, value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["zones", str(SITES), option, value, "--out", str(tmp_path / "z")])
    assert exc.value.code == 2
    assert option in capsys.readouterr().err
    assert not (tmp_path / "z").exists()


@pytest.mark.parametrize("kwargs", [{"gap_m": float("nan")}, {"gap_m": -1.0},
                                    {"max_zone_ha": 0.0}, {"attach_m": float("inf")},
                                    {"max_sites": 0}])
def test_build_zones_refuses_meaningless_options(kwargs):
    sites, _ = og.sites.read_sites(SITES)
    with pytest.raises(og.errors.UsageError):
        og.zones.build_zones(sites.iloc[:5], **kwargs)


def test_a_region_given_as_a_string_is_one_banner(tmp_path):
    import yaml

    spec = yaml.safe_load(og.rules.default_rules_text())
    spec["regions"]["west"] = "鄂托克旗"
    spec["regions"]["east"] = [b for b in spec["regions"]["east"]]
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    rules = og.rules.load_rules(path)
    assert rules.regions["鄂托克旗"] == "west"
    assert "鄂" not in rules.regions  # not split into characters
